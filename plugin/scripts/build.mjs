// Builds the publishable package into plugin/dist/:
//   index.js (+ .map)  ES module bundle of src/ (Babylon and onnxruntime-web stay external: peers)
//   types/             .d.ts files for every module (exports map "types")
//   models/            the shipped models (the default model URL resolves here via import.meta.url)
//   ort/               onnxruntime-web's .wasm/.mjs files (the default wasmPaths; no CDN)
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const require = createRequire(import.meta.url);
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { index: join(root, "src/index.ts") },
  outdir: dist,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  external: ["@babylonjs/core", "@babylonjs/core/*", "onnxruntime-web", "onnxruntime-web/*"],
  logLevel: "warning",
});
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
// The sources import with .ts extensions (run directly by tsx and esbuild); declarations must
// name the .js modules a consumer's TypeScript resolves to the .d.ts files.
for (const f of readdirSync(join(dist, "types"), { recursive: true }).filter((f) => f.endsWith(".d.ts"))) {
  const p = join(dist, "types", f);
  writeFileSync(
    p,
    readFileSync(p, "utf8")
      .replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2")
      .replace(/(import\(["']\.{1,2}\/[^"']+)\.ts(["']\))/g, "$1.js$2"),
  );
}
mkdirSync(join(dist, "models"), { recursive: true });
for (const f of readdirSync(join(root, "../models")).filter((f) => /^remaster-realtime(\.fp16)?\.onnx$/.test(f)))
  cpSync(join(root, "../models", f), join(dist, "models", f));
const ortDist = dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
mkdirSync(join(dist, "ort"), { recursive: true });
// Plain build for the WASM backend, asyncify build for onnxruntime-web/webgpu.
for (const f of [
  "ort-wasm-simd-threaded.wasm",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.asyncify.wasm",
  "ort-wasm-simd-threaded.asyncify.mjs",
])
  cpSync(join(ortDist, f), join(dist, "ort", f));
console.log(`plugin built into ${dist} in ${Date.now() - started} ms`);
