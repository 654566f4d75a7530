/**
 * `--scene ./my-game/scene.ts`: bundles a game's scene module (engine-demo/src/sceneModule.ts)
 * into its own copy of the render harness page. The bundle resolves every `@babylonjs/*` import
 * to the renderer's Babylon, so the module and the harness share one engine library. Output: a
 * folder served as the site root (harness.html, its scripts, assets/) for this dataset run.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { DEMO_DIST, DEMO_ROOT } from "../../../engine-demo/node/browser.ts";

/** File names `--scene` takes as a scene module. */
export const SCENE_MODULE_FILE = /\.(ts|mts|js|mjs)$/i;

export function isSceneModule(scene: string): boolean {
  return SCENE_MODULE_FILE.test(scene);
}

/** sha256 of the module file: part of the dataset's identity (a changed scene is another dataset). */
export function sceneModuleHash(path: string): string {
  return createHash("sha256")
    .update(readFileSync(resolve(path)))
    .digest("hex");
}

/** Every `@babylonjs/...` import, wherever the module lives, resolves to the renderer's copy. */
function oneBabylon(): Plugin {
  return {
    name: "one-babylon",
    setup(b) {
      b.onResolve({ filter: /^@babylonjs\// }, async (args) => {
        if (args.pluginData === "one-babylon") return undefined;
        const r = await b.resolve(args.path, { resolveDir: DEMO_ROOT, kind: args.kind, pluginData: "one-babylon" });
        return r.errors.length ? { errors: r.errors } : { path: r.path, sideEffects: r.sideEffects };
      });
    },
  };
}

export interface SceneModuleBundle {
  /** Folder to serve as "/": harness.html, harness.js and its chunks, assets/. */
  dir: string;
  dispose(): void;
}

/** Bundles `modulePath` with the harness page; errors (syntax, missing imports) name the module. */
export async function bundleSceneModule(modulePath: string): Promise<SceneModuleBundle> {
  const module = resolve(modulePath);
  const dir = mkdtempSync(join(tmpdir(), "remaster-scene-"));
  const entry = join(dir, "entry.ts");
  const src = join(DEMO_ROOT, "src");
  writeFileSync(
    entry,
    [
      `import * as sceneModule from ${JSON.stringify(module)};`,
      `import { registerSceneModule } from ${JSON.stringify(join(src, "sceneModule.ts"))};`,
      `import ${JSON.stringify(join(src, "harness-page.ts"))};`,
      `registerSceneModule(${JSON.stringify(basename(module))}, sceneModule);`,
      "",
    ].join("\n"),
  );
  try {
    await build({
      entryPoints: { harness: entry },
      outdir: join(dir, "site"),
      bundle: true,
      splitting: true,
      format: "esm",
      target: "es2022",
      logLevel: "silent",
      plugins: [oneBabylon()],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
    const detail = errors?.length
      ? errors
          .map((x) => (x.location ? `${resolve(x.location.file)}:${x.location.line}: ${x.text}` : x.text))
          .join("; ")
      : (e as Error).message;
    throw new Error(`scene module ${module} does not build: ${detail}`, { cause: e });
  }
  const site = join(dir, "site");
  copyFileSync(join(DEMO_DIST, "harness.html"), join(site, "harness.html"));
  mkdirSync(join(site, "assets"), { recursive: true });
  copyFileSync(join(DEMO_DIST, "assets/photoStudio.env"), join(site, "assets/photoStudio.env"));
  return { dir: site, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
