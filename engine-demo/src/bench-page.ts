/**
 * bench.html: measurements for `npm run bench`, driven by Playwright. Nothing here is asserted;
 * the bench prints ratios measured in one run.
 *   ortWasm:   the model alone in onnxruntime-web's WASM backend (same file as onnxruntime-node)
 *   matmul:    a matrix-multiply microbenchmark in the same backend (achieved-peak reference)
 *   frameCost: the demo scene (low preset) with and without RemasterPostProcess
 */
import * as ortWasm from "onnxruntime-web/wasm";
import { RemasterPostProcess } from "@remaster/plugin";
import type { EngineKind } from "./contracts.ts";
import { createEngine } from "./engine.ts";
import { seedMathRandom } from "./rng.ts";
import { createSceneInstance } from "./sceneInstance.ts";
import { median, timeRuns } from "./timing.ts";

const counters = { mapAsync: 0, readPixels: 0 };
if (typeof GPUBuffer !== "undefined") {
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (...a: Parameters<typeof mapAsync>) {
    counters.mapAsync++;
    return mapAsync.apply(this, a);
  };
}

async function wasmRuntime() {
  ortWasm.env.wasm.wasmPaths = new URL("./ort/", location.href).href;
  // ?threads=N overrides the plugin's choice (for comparing thread counts).
  const asked = Number(new URLSearchParams(location.search).get("threads") ?? 0);
  ortWasm.env.wasm.numThreads = asked || (crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
  return ortWasm;
}

const api = {
  threads: () => ({ crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency }),
  /** Median and best-of-`reps` milliseconds per size. */
  async ortWasm(modelUrl: string, sizes: Array<[number, number]>, reps: number) {
    const ort = await wasmRuntime();
    const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
    const out: Record<string, number> = {};
    for (const [i, [w, h]] of sizes.entries()) {
      const x = new ort.Tensor("float32", new Float32Array(3 * w * h).fill(0.5), [1, 3, h, w]);
      const t = await timeRuns(() => session.run({ input: x }), reps, i === 0 ? 4 : 1);
      out[`${w}x${h}`] = t.median;
      out[`${w}x${h}:min`] = t.min;
    }
    await session.release();
    return out;
  },
  async matmul(modelUrl: string, n: number, reps: number) {
    const ort = await wasmRuntime();
    const session = await ort.InferenceSession.create(new Uint8Array(await (await fetch(modelUrl)).arrayBuffer()), {
      executionProviders: ["wasm"],
    });
    const a = new ort.Tensor("float32", new Float32Array(n * n).fill(0.01), [n, n]);
    const t = await timeRuns(() => session.run({ a, b: a }), reps);
    await session.release();
    return { ms: t.median, gflops: (2 * n ** 3) / (t.median * 1e6) };
  },
  async frameCost(o: {
    engine: EngineKind;
    width: number;
    height: number;
    frames: number;
    remaster: boolean;
    backend?: "webgpu" | "wasm";
  }) {
    seedMathRandom(1 ^ 0x5eed);
    const canvas = document.createElement("canvas");
    document.body.appendChild(canvas);
    const engine = await createEngine({ canvas, kind: o.engine, width: o.width, height: o.height });
    const instance = await createSceneInstance({
      engine,
      source: { kind: "demo", layout: "street", seed: 1 },
      variant: "low",
      envUrl: "./assets/photoStudio.env",
    });
    await instance.warmUp();
    let remaster: RemasterPostProcess | null = null;
    if (o.remaster) {
      // profile: stage times to GPU completion (WebGPU); no effect on the WASM path's figures.
      remaster = new RemasterPostProcess({ camera: instance.camera, backend: o.backend ?? "auto", profile: true });
      instance.scene.addPostProcess(remaster);
    }
    const sync = async () => {
      if (engine.isWebGPU) await (engine as unknown as { _device: GPUDevice })._device.queue.onSubmittedWorkDone();
      else (engine as unknown as { _gl: WebGL2RenderingContext })._gl.finish();
    };
    const frame = async (f: number) => {
      instance.setFrame(f, instance.poseAt(0, f));
      engine.beginFrame();
      instance.scene.render();
      engine.endFrame();
      await sync();
    };
    let f = 0;
    if (remaster) {
      // Wait for the first remastered frame, rendering as a game would.
      let done = false;
      remaster.ready.then(
        () => (done = true),
        () => (done = true),
      );
      while (!done) {
        await frame(f++);
        await new Promise((r) => requestAnimationFrame(r));
      }
      if (remaster.error) throw remaster.error;
    } else {
      for (let i = 0; i < 3; i++) await frame(f++);
    }
    const c0 = { ...counters };
    const s0 = remaster ? { ...remaster.stats } : null;
    const times: number[] = [];
    const inferMs: number[] = [];
    const readMs: number[] = [];
    const stages: Array<{ toTensor: number; inference: number; toFrame: number }> = [];
    let lastCount = s0?.inferences ?? 0;
    const t0 = performance.now();
    // At least `frames` frames, and (with the effect) until 3 inferences finished or 60 s passed:
    // inference runs beside the frame loop, so frames alone may outpace it.
    const enough = (i: number) =>
      i >= o.frames &&
      (!remaster || remaster.stats.inferences - (s0?.inferences ?? 0) >= 3 || performance.now() - t0 > 60_000);
    for (let i = 0; !enough(i); i++) {
      const a = performance.now();
      await frame(f++);
      times.push(performance.now() - a);
      if (remaster && remaster.stats.inferences !== lastCount) {
        lastCount = remaster.stats.inferences;
        inferMs.push(remaster.stats.lastInferenceMs);
        readMs.push(remaster.stats.lastReadbackMs);
        stages.push({ ...remaster.stats.lastStagesMs });
      }
      // Yield to the browser until its next animation frame, as a game's render loop does: the
      // inference's promises run meanwhile, and Chromium updates WebGL fences (the WASM path's
      // async readback) only between animation frames.
      await new Promise((r) => requestAnimationFrame(r));
    }
    const wall = performance.now() - t0;
    const res = {
      engine: o.engine,
      size: `${o.width}x${o.height}`,
      remaster: o.remaster,
      backend: remaster?.stats.backend ?? "none",
      frames: times.length,
      frameMs: median(times),
      framesPerSecond: (times.length / wall) * 1000,
      inferences: remaster ? remaster.stats.inferences - (s0?.inferences ?? 0) : 0,
      inferenceMs: inferMs.length ? median(inferMs) : null,
      readbackMs: readMs.length ? median(readMs) : null,
      toTensorMs: stages.length ? median(stages.map((s) => s.toTensor)) : null,
      modelMs: stages.length ? median(stages.map((s) => s.inference)) : null,
      toFrameMs: stages.length ? median(stages.map((s) => s.toFrame)) : null,
      asyncReadback: remaster?.stats.asyncReadback ?? false,
      graphCapture: remaster?.stats.graphCapture ?? false,
      precision: remaster?.stats.precision ?? "none",
      readbacksPerFrame:
        (counters.mapAsync - c0.mapAsync + counters.readPixels - c0.readPixels) / times.length +
        (remaster?.stats.backend === "wasm" ? (remaster.stats.inferences - (s0?.inferences ?? 0)) / times.length : 0),
    };
    remaster?.dispose();
    instance.dispose();
    engine.dispose();
    canvas.remove();
    return res;
  },
};

declare global {
  interface Window {
    remasterBench: typeof api;
  }
}
window.remasterBench = api;
document.body.dataset.ready = "true";
