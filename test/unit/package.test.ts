/**
 * The plugin as a published package: `npm pack` ships the bundle, its declarations, the default
 * models and onnxruntime-web's runtime files, and a consumer's TypeScript (no workspace "source"
 * condition) compiles the one-liner against the built declarations. Needs the built package
 * (`npm test` builds it with the demo; `npm run build -w plugin` alone).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

test("the plugin package's exports point at built files, and npm pack ships models and runtime", () => {
  const pkg = JSON.parse(readFileSync(join(root, "plugin/package.json"), "utf8"));
  const entry = pkg.exports["."];
  for (const k of ["types", "import"]) {
    assert.match(entry[k], /^\.\/dist\//, `exports.${k} must point into dist/`);
    assert.ok(existsSync(join(root, "plugin", entry[k])), `plugin/${entry[k]} is missing: run npm run build -w plugin`);
  }
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "-w", "plugin"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const files = (JSON.parse(out)[0].files as Array<{ path: string }>).map((f) => f.path);
  for (const f of [
    "dist/index.js",
    "dist/types/index.d.ts",
    "dist/models/remaster-realtime.onnx",
    "dist/models/remaster-realtime.fp16.onnx",
    "dist/ort/ort-wasm-simd-threaded.wasm",
    "dist/ort/ort-wasm-simd-threaded.asyncify.wasm",
    "package.json",
  ]) {
    assert.ok(files.includes(f), `npm pack does not ship ${f}`);
  }
});

test("a consumer's TypeScript compiles the one-liner against the built declarations", () => {
  // Inside node_modules so that "@remaster/plugin" resolves through the workspace link and its exports map.
  const base = join(root, "node_modules/.cache");
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, "remaster-consumer-"));
  try {
    writeFileSync(
      join(dir, "game.ts"),
      `
import type { Scene } from "@babylonjs/core/scene.js";
import { RemasterPostProcess, type RemasterOptions } from "@remaster/plugin";
export function enable(scene: Scene): RemasterPostProcess {
  const options: RemasterOptions = { precision: "auto", strength: 0.8, graphCapture: true };
  const fx = new RemasterPostProcess(options);
  scene.addPostProcess(fx);
  fx.onErrorObservable.add((e: Error) => console.warn(e.message, fx.stats.backend));
  return fx;
}
// @ts-expect-error: a misspelt option is a type error as well as a runtime error
new RemasterPostProcess({ strenght: 1 });
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "Bundler",
          lib: ["ES2022", "DOM"],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ["game.ts"],
      }),
    );
    const tsc = require.resolve("typescript/bin/tsc");
    let out = "";
    try {
      out = execFileSync(process.execPath, [tsc, "-p", dir, "--listFiles"], { encoding: "utf8", maxBuffer: 64 << 20 });
    } catch (e) {
      assert.fail(
        `the consumer does not compile:\n${(e as { stdout?: string }).stdout
          ?.split("\n")
          .filter((l) => l.includes("error"))
          .join("\n")}`,
      );
    }
    const files = out.split("\n");
    assert.ok(
      files.some((f) => f.endsWith("plugin/dist/types/index.d.ts")),
      "the consumer did not compile against plugin/dist/types",
    );
    assert.ok(
      !files.some((f) => f.includes("plugin/src/")),
      "the consumer compiled the plugin's sources, not its declarations",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
