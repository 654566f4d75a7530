/**
 * Performance assertions on ratios measured within one run, never on absolute times:
 * - the WASM path's inference is within 3x of onnxruntime-node on the same model, same machine;
 * - a disabled remaster pass adds no work: it is off the camera and draws nothing.
 * (The WebGPU path's zero readbacks per frame are asserted in browser/plugin.test.ts.)
 */
import assert from "node:assert/strict";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ortNode from "onnxruntime-node";
import type { Browser } from "playwright-core";
import { launchChromium, serveDemo } from "../../engine-demo/node/browser.ts";
import type { StaticServer } from "../../engine-demo/node/server.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let server: StaticServer;
let browser: Browser;
before(async () => {
  server = await serveDemo();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("WASM inference is within 3x of onnxruntime-node on the same model", { timeout: 180_000 }, async () => {
  const size: [number, number] = [256, 256];
  const reps = 5;
  const session = await ortNode.InferenceSession.create(join(root, "models/remaster-realtime.onnx"), { intraOpNumThreads: Math.min(4, cpus().length) });
  const x = new ortNode.Tensor("float32", new Float32Array(3 * size[0] * size[1]).fill(0.5), [1, 3, size[1], size[0]]);
  await session.run({ input: x });
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await session.run({ input: x });
    t.push(performance.now() - t0);
  }
  const nodeMs = t.sort((a, b) => a - b)[Math.floor(reps / 2)];
  const page = await browser.newPage();
  await page.goto(`${server.url}bench.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  const wasm = await page.evaluate(([s, r]) => window.remasterBench.ortWasm("./models/remaster-realtime.onnx", [s as [number, number]], r as number), [size, reps] as const);
  const wasmMs = wasm["256x256"];
  const ratio = wasmMs / nodeMs;
  console.log(`wasm ${wasmMs.toFixed(1)} ms, onnxruntime-node ${nodeMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
  assert.ok(ratio <= 3, `WASM inference is ${ratio.toFixed(2)}x onnxruntime-node (${wasmMs.toFixed(1)} vs ${nodeMs.toFixed(1)} ms)`);
});

test("a disabled remaster pass adds no work", { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}remaster.html?engine=webgl2&size=64`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  const on = await page.evaluate(() => (window as any).remasterTest.stats());
  assert.equal(on.cameraPostProcesses, 1);
  await page.evaluate(() => ((window as any).remasterTestDisable = (window as any).remasterTest.setEnabled(false)));
  const s0 = await page.evaluate(() => (window as any).remasterTest.stats());
  await page.waitForFunction((n) => (window as any).remasterTest.stats().loopFrames > n + 10, s0.loopFrames);
  const s1 = await page.evaluate(() => (window as any).remasterTest.stats());
  assert.equal(s1.cameraPostProcesses, 0, "the disabled pass is still on the camera");
  assert.equal(s1.frames, s0.frames, "the disabled pass still drew");
  assert.equal(s1.inferences, s0.inferences, "the disabled pass still inferred");
  await page.close();
});
