// Bundles the demo app and the render harness page into dist/ (esbuild, ES modules with code
// splitting: Babylon loads its WGSL/GLSL shader modules through dynamic imports).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const dist = join(root, "dist");
const require = createRequire(import.meta.url);

// The demo imports @remaster/plugin as a game would: its built package (plugin/dist). Rebuild it
// when any of its sources or shipped models is newer than the bundle.
const pluginDir = join(root, "../plugin");
const newest = (dir) =>
  Math.max(0, ...readdirSync(dir, { recursive: true }).map((f) => statSync(join(dir, f)).mtimeMs));
const pluginBundle = join(pluginDir, "dist/index.js");
if (
  !existsSync(pluginBundle) ||
  Math.max(
    newest(join(pluginDir, "src")),
    newest(join(root, "../models")),
    statSync(join(pluginDir, "package.json")).mtimeMs,
  ) > statSync(pluginBundle).mtimeMs
) {
  execFileSync(process.execPath, [join(pluginDir, "scripts/build.mjs")], { stdio: "inherit" });
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });
const started = Date.now();
await build({
  entryPoints: {
    app: join(root, "src/app.ts"),
    harness: join(root, "src/harness-page.ts"),
    remaster: join(root, "src/remaster-page.ts"),
    bench: join(root, "src/bench-page.ts"),
    soak: join(root, "src/soak-page.ts"),
  },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  minify: false,
  logLevel: "warning",
});
cpSync(join(root, "public"), dist, { recursive: true });
// Image-based lighting for the high preset: the prefiltered studio environment that the
// @babylonjs/viewer npm package ships (served from our own origin: nothing leaves localhost).
const viewerDir = dirname(require.resolve("@babylonjs/viewer/package.json"));
cpSync(join(viewerDir, "assets/photoStudio.env"), join(dist, "assets/photoStudio.env"));
// The plugin resolves its models and onnxruntime-web's .wasm/.mjs files next to its bundle
// (import.meta.url): the demo bundles it, so ship the files its package build laid out beside it.
cpSync(join(pluginDir, "dist/models"), join(dist, "models"), { recursive: true });
cpSync(join(pluginDir, "dist/ort"), join(dist, "ort"), { recursive: true });
console.log(`engine-demo built into ${dist} in ${Date.now() - started} ms`);
