/**
 * Loading onnxruntime-web and creating sessions. Two builds: `onnxruntime-web/webgpu` (the only
 * one that honours a foreign GPUDevice: the default build silently ignores it and returns wrong
 * output) and `onnxruntime-web/wasm` (CPU, threads when the page is cross-origin isolated).
 * Their .wasm files are served from `wasmPaths` (no CDN).
 */
import type * as OrtNS from "onnxruntime-web";

export type Ort = typeof OrtNS;

/** onnxruntime sessions this page created and released, over every effect (leak checks, soak). */
export const sessionCounts = { created: 0, released: 0 };

/**
 * The page-wide call queue's record (soak, diagnosis): calls made, the longest one, how many calls
 * were still running after QUEUE_WARN_MS (each warned about once, on the console), and the last
 * QUEUE_SLOW_KEPT of those (a game that runs for days keeps a bounded record).
 */
export const queueStats = {
  calls: 0,
  longestMs: 0,
  slowCalls: 0,
  slow: [] as Array<{ call: string; atMs: number }>,
};

const QUEUE_SLOW_KEPT = 16;

let tail: Promise<unknown> = Promise.resolve();
/**
 * onnxruntime-web's calls one at a time, page-wide, each after the previous one settled. Its
 * WebAssembly instance is shared by every session and is not re-entrant: a session created while
 * another effect's was mid-run failed with "memory access out of bounds". There is no watchdog
 * that lets the next call start after a while: SwiftShader's session builds take 11-21 s, so one
 * (10 s) let calls overlap after every device loss. A call that never settles would leave the
 * instance suspended mid-call, where no later call is safe either: the queue waits (the frame
 * passes through meanwhile) and says so on the console after QUEUE_WARN_MS.
 */
function serialized<T>(call: string, fn: () => Promise<T>): Promise<T> {
  const timed = () => {
    queueStats.calls++;
    const t0 = performance.now();
    const warn = setTimeout(() => {
      queueStats.slowCalls++;
      queueStats.slow.push({ call, atMs: performance.now() });
      if (queueStats.slow.length > QUEUE_SLOW_KEPT) queueStats.slow.shift();
      console.warn(
        `RemasterPostProcess: onnxruntime call '${call}' still running after ${QUEUE_WARN_MS / 1000} s; later calls wait for it`,
      );
    }, QUEUE_WARN_MS);
    const settled = () => {
      clearTimeout(warn); // cleared when the call settles: no pending timer per call
      queueStats.longestMs = Math.max(queueStats.longestMs, performance.now() - t0);
    };
    const p = fn();
    p.then(settled, settled);
    return p;
  };
  const next = tail.then(timed, timed);
  tail = next.then(
    () => undefined,
    () => undefined,
  );
  return next;
}

const QUEUE_WARN_MS = 10_000;

/**
 * Fault injection for fault tests (test pages, the soak): the next `failRuns` session runs reject
 * as a runtime fault would, without calling onnxruntime. Leave at 0.
 */
export const testFaults = { failRuns: 0 };

export function runSession(
  session: OrtNS.InferenceSession,
  feeds: OrtNS.InferenceSession.FeedsType,
): Promise<OrtNS.InferenceSession.ReturnType> {
  if (testFaults.failRuns > 0) {
    testFaults.failRuns--;
    return Promise.reject(new Error("injected runtime fault (testFaults.failRuns)"));
  }
  return serialized("run", () => session.run(feeds));
}

/**
 * Releases an output tensor onnxruntime allocated (its OrtValue in the WebAssembly heap: one per
 * run until released), in the queue like every call into that instance; errors are dropped.
 */
export async function releaseTensor(tensor: OrtNS.Tensor): Promise<void> {
  await serialized("release tensor", async () => tensor.dispose()).catch(() => undefined);
}

/** Releases a session once, counted; errors while releasing (a lost device) are dropped. */
export async function releaseSession(session: OrtNS.InferenceSession): Promise<void> {
  sessionCounts.released++;
  await serialized("release", () => session.release()).catch(() => undefined);
}

export async function loadOrt(kind: "webgpu" | "wasm", wasmPaths: string): Promise<Ort> {
  const ort = (kind === "webgpu"
    ? await import("onnxruntime-web/webgpu")
    : await import("onnxruntime-web/wasm")) as unknown as Ort;
  ort.env.wasm.wasmPaths = wasmPaths;
  // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP + COEP headers).
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  // The CPU path runs in onnxruntime's proxy worker, so inference never blocks the render loop.
  if (kind === "wasm") ort.env.wasm.proxy = true;
  return ort;
}

export async function createWasmSession(ort: Ort, model: Uint8Array): Promise<OrtNS.InferenceSession> {
  const session = await serialized("create wasm", () =>
    ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" }),
  );
  sessionCounts.created++;
  return session;
}

export interface WebGpuSessionOptions {
  device: GPUDevice;
  /** Values for the model's symbolic input dims (e.g. { height: 360, width: 640 }): static shapes. */
  freeDimensions: Record<string, number>;
  /** Record the GPU commands once and replay them (needs static shapes and GPU-resident I/O). */
  graphCapture: boolean;
}

/** A WebGPU session on the caller's device (Babylon's), with GPU-resident inputs and outputs. */
export async function createWebGpuSession(
  ort: Ort,
  model: Uint8Array,
  o: WebGpuSessionOptions,
): Promise<OrtNS.InferenceSession> {
  const session = await serialized("create webgpu", () =>
    ort.InferenceSession.create(model, {
      executionProviders: [
        { name: "webgpu", device: o.device } as unknown as OrtNS.InferenceSession.ExecutionProviderConfig,
      ],
      preferredOutputLocation: "gpu-buffer",
      graphOptimizationLevel: "all",
      freeDimensionOverrides: o.freeDimensions,
      enableGraphCapture: o.graphCapture,
    }),
  );
  sessionCounts.created++;
  await assertOrtOnDevice((ort.env as { webgpu?: { device?: unknown } }).webgpu?.device, o.device);
  return session;
}

/**
 * The guard against a runtime computing on a device of its own: the default onnxruntime-web build
 * (JSEP) ignores the `device` option, keeps its own GPUDevice in `env.webgpu.device`, and then
 * silently returns zeros for our buffers. The `onnxruntime-web/webgpu` build runs on the device it
 * is given and leaves `env.webgpu.device` unset. `envDevice` may be a device or a promise of one.
 */
export async function assertOrtOnDevice(envDevice: unknown, device: GPUDevice): Promise<void> {
  const d = await envDevice;
  if (d && d !== device) {
    throw new Error(
      "onnxruntime-web is running on a GPUDevice of its own, not Babylon's (the default onnxruntime-web build ignores a foreign device); import the onnxruntime-web/webgpu build",
    );
  }
}
