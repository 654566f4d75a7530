/**
 * `npm run bench`: the project's speed and value, measured side by side in one run.
 * Writes bench/results/<name>.json and bench/results/<name>.html (tables + bar charts).
 * Options: --name NAME (default "latest"), --quick (fewer sizes and frames), --webgpu-720p.
 *
 * Headless Chromium here runs WebGPU on SwiftShader (a CPU emulation): its absolute times say
 * nothing about a real GPU; compare ratios measured in the same run.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ortNode from "onnxruntime-node";
import { launchChromium, serveDemo } from "../engine-demo/node/browser.ts";
import { timeRuns } from "../engine-demo/src/timing.ts";
import { renderHtml, type BenchReport } from "./html.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (n: string) => args.includes(n);
const opt = (n: string, d: string) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const name = opt("--name", "latest");
const quick = flag("--quick");
const python = join(root, "training/.venv/bin/python");
const MODEL = join(root, "models/remaster-realtime.onnx");
const tmp = join(root, "bench/results/tmp");
mkdirSync(tmp, { recursive: true });
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

// ---- model cost (FLOPs from the PyTorch definition) ----
log("model FLOPs per preset");
const flops = JSON.parse(
  execFileSync(
    python,
    [
      "-c",
      `
import json
from remaster.model.remaster import PRESETS, RemasterNet, count_flops
from dataclasses import replace
out = {}
for name, cfg in [("seed", PRESETS["seed"]), ("realtime", PRESETS["realtime"]), ("realtime+skips", replace(PRESETS["realtime"], skip_connections=True))]:
    m = RemasterNet(cfg)
    out[name] = {"parameters": sum(p.numel() for p in m.parameters()), **{f"{w}x{h}": count_flops(cfg, h, w) for w, h in [(256, 256), (512, 512), (1280, 720), (1920, 1080)]}}
    out[name]["flops_per_output_pixel"] = out[name]["1280x720"] / (1280 * 720)
print(json.dumps(out))
`,
    ],
    { encoding: "utf8" },
  ),
);
const shipped = JSON.parse(
  execFileSync(
    python,
    [
      "-c",
      `import json; from remaster.export import read_metadata; m = read_metadata("${MODEL}"); print(json.dumps({"preset": m["preset"], "flops_per_output_pixel": m["flops_per_output_pixel"], "skip_connections": m["model_config"]["skip_connections"]}))`,
    ],
    { encoding: "utf8" },
  ),
);

// ---- a MatMul model for the peak microbenchmark ----
const N = 768;
const matmulPath = join(tmp, "matmul.onnx");
execFileSync(python, [
  "-c",
  `
import onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "mm",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [${N}, ${N}]), helper.make_tensor_value_info("b", TensorProto.FLOAT, [${N}, ${N}])],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, [${N}, ${N}])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), "${matmulPath}")
`,
]);

// ---- onnxruntime-node on the same model, same machine, same run ----
const sizes: Array<[number, number]> = quick
  ? [
      [256, 256],
      [512, 512],
    ]
  : [
      [256, 256],
      [512, 512],
      [1280, 720],
    ];
const reps = quick ? 3 : 5;
log("onnxruntime-node");
const nodeSession = await ortNode.InferenceSession.create(MODEL, { intraOpNumThreads: Math.min(4, cpus().length) });
const nodeMs: Record<string, number> = {};
for (const [i, [w, h]] of sizes.entries()) {
  const x = new ortNode.Tensor("float32", new Float32Array(3 * w * h).fill(0.5), [1, 3, h, w]);
  nodeMs[`${w}x${h}`] = (await timeRuns(() => nodeSession.run({ input: x }), reps, i === 0 ? 4 : 1)).median;
}
const mmSession = await ortNode.InferenceSession.create(matmulPath, { intraOpNumThreads: Math.min(4, cpus().length) });
const a = new ortNode.Tensor("float32", new Float32Array(N * N).fill(0.01), [N, N]);
const nodePeak = (2 * N ** 3) / ((await timeRuns(() => mmSession.run({ a, b: a }), reps)).median * 1e6);

// ---- the browser ----
const server = await serveDemo({ "/bench-tmp/": tmp });
const browser = await launchChromium();
const results: Record<string, unknown> = {};
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}bench.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  log("onnxruntime-web WASM");
  const wasmMs = await page.evaluate(
    ([s, r]) =>
      window.remasterBench.ortWasm("./models/remaster-realtime.onnx", s as Array<[number, number]>, r as number),
    [sizes, reps] as const,
  );
  const wasmPeak = await page.evaluate(([n, r]) => window.remasterBench.matmul("/bench-tmp/matmul.onnx", n, r), [
    N,
    reps,
  ] as const);
  const threads = await page.evaluate(() => window.remasterBench.threads());
  const modelRows = sizes.map(([w, h]) => {
    const k = `${w}x${h}`;
    const f = flops.realtime[k] * (shipped.skip_connections ? flops["realtime+skips"][k] / flops.realtime[k] : 1);
    return {
      size: k,
      flops: f,
      node_ms: nodeMs[k],
      wasm_ms: wasmMs[k],
      wasm_over_node: wasmMs[k] / nodeMs[k],
      node_gflops: f / (nodeMs[k] * 1e6),
      wasm_gflops: f / (wasmMs[k] * 1e6),
    };
  });
  results.model = {
    presets: flops,
    shipped,
    inference: modelRows,
    peak: { matmul_n: N, node_gflops: nodePeak, wasm_gflops: wasmPeak.gflops },
    browser_threads: threads,
  };

  log("frame cost in the browser");
  const frameRuns: Array<{ engine: "webgl2" | "webgpu"; w: number; h: number }> = [];
  for (const [w, h] of sizes) frameRuns.push({ engine: "webgl2", w, h });
  // SwiftShader runs WebGPU compute on the CPU: one 512x512 inference takes tens of seconds there.
  const webgpuSizes = quick
    ? sizes.filter(([w]) => w <= 256)
    : sizes.filter(([w]) => w < 1280 || flag("--webgpu-720p"));
  for (const [w, h] of webgpuSizes) frameRuns.push({ engine: "webgpu", w, h });
  const frames: unknown[] = [];
  for (const r of frameRuns) {
    const n = r.engine === "webgpu" ? (quick ? 4 : 8) : quick ? 8 : 16;
    const p = await browser.newPage();
    await p.goto(`${server.url}bench.html`);
    await p.waitForFunction(() => document.body.dataset.ready === "true");
    const base = await p.evaluate((o) => window.remasterBench.frameCost(o), {
      engine: r.engine,
      width: r.w,
      height: r.h,
      frames: n,
      remaster: false,
    });
    const withFx = await p.evaluate((o) => window.remasterBench.frameCost(o), {
      engine: r.engine,
      width: r.w,
      height: r.h,
      frames: n,
      remaster: true,
    });
    await p.close();
    // passMs: what the effect adds to the frame itself (composite pass + submitting the pack);
    // the inference runs beside the frame loop and is broken down in toTensor/model/toFrame.
    frames.push({
      ...withFx,
      sceneOnlyFrameMs: base.frameMs,
      frameMsWithRemaster: withFx.frameMs,
      passMs: withFx.frameMs - base.frameMs,
      remasterOverSceneOnly: withFx.frameMs / base.frameMs,
    });
    log(
      `  ${r.engine} ${r.w}x${r.h}: scene ${base.frameMs.toFixed(1)} ms, with remaster ${withFx.frameMs.toFixed(1)} ms, inference ${withFx.inferenceMs?.toFixed(1)} ms (readback ${withFx.readbackMs?.toFixed(1)}, to tensor ${withFx.toTensorMs?.toFixed(1)}, model ${withFx.modelMs?.toFixed(1)}, to frame ${withFx.toFrameMs?.toFixed(1)})`,
    );
  }
  results.frames = frames;
} finally {
  await browser.close();
  await server.close();
}

// ---- quality-cost table on the held-out test frames ----
// One block per evaluated dataset (each block's rows are measured on the same frames). Cost: the
// renderer's ms per frame from the dataset manifest (SwiftShader or WebGL on this CPU: compare
// within a block) and, for the model, its inference ms at 512x512 in this run (node and WASM).
const quality: Array<Record<string, unknown>> = [];
const inf512 = (
  results.model as { inference: Array<{ size: string; node_ms: number; wasm_ms: number }> }
).inference.find((i) => i.size === "512x512");
for (const [set, label, file] of [
  ["test split, WebGL2 renders", "realtime (skips)", "runs/realtime/test/results.json"],
  ["test split, WebGL2 renders", "realtime (no skips)", "runs/realtime-noskip/test/results.json"],
  ["test frames, WebGPU renders (with FSR1)", "realtime (skips)", "runs/realtime/test-webgpu/results.json"],
] as const) {
  const p = join(root, file);
  if (!existsSync(p)) continue;
  const r = JSON.parse(readFileSync(p, "utf8"));
  const renderMs = (r.render_ms ?? {}) as Record<string, number>;
  const block = `${set} (${r.frames} frames)`;
  const metrics = (v: Record<string, number>) => ({ psnr: v.psnr, ssim: v.ssim, lpips: v.lpips, flip: v.flip });
  for (const [method, v] of Object.entries(r.table as Record<string, Record<string, number>>)) {
    if (method === "remaster") {
      quality.push({
        set: block,
        method: `low + remaster ${label}`,
        ...metrics(v),
        render_ms: renderMs.low ?? null,
        inference_ms_node: inf512?.node_ms ?? null,
        inference_ms_wasm: inf512?.wasm_ms ?? null,
      });
    } else if (!quality.some((q) => q.set === block && q.method === method)) {
      quality.push({ set: block, method, ...metrics(v), render_ms: renderMs[method] ?? v.ms_per_frame ?? null });
    }
  }
  if (renderMs.high !== undefined && !quality.some((q) => q.set === block && q.method === "high"))
    quality.push({ set: block, method: "high (the target)", render_ms: renderMs.high });
}
results.quality = quality;

const report = {
  benchmark: "remaster",
  name,
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model} x${cpus().length}, headless Chromium (WebGPU on SwiftShader)`,
  command: `npm run bench -- ${args.join(" ")}`.trim(),
  ...results,
};
const outDir = join(root, "bench/results");
writeFileSync(join(outDir, `${name}.json`), JSON.stringify(report, null, 2) + "\n");
writeFileSync(join(outDir, `${name}.html`), renderHtml(report as unknown as BenchReport));
console.log(JSON.stringify(report, null, 2));
