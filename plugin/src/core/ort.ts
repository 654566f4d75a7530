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

let tail: Promise<unknown> = Promise.resolve();
/**
 * onnxruntime-web's calls one at a time, page-wide. Its WebAssembly instance is shared by every
 * session and is not re-entrant: a session created while another effect's was mid-run failed with
 * "memory access out of bounds" (found by the soak: dispose during an inference, then a new effect).
 */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const previous = tail;
  const next = previous.then(fn, fn);
  // A call that never settles (a lost device, a hung driver) must not hold every later one, the
  // sessions of a restored device included: the queue moves on after QUEUE_LIMIT_MS. The timer is
  // cleared when the call settles (the soak's heap snapshots showed one pending 10 s timer, with
  // its closure and promise, per call made in the last 10 s).
  tail = previous.then(
    () =>
      new Promise<void>((moveOn) => {
        const timer = setTimeout(moveOn, QUEUE_LIMIT_MS);
        const settled = () => {
          clearTimeout(timer);
          moveOn();
        };
        next.then(settled, settled);
      }),
  );
  return next;
}

const QUEUE_LIMIT_MS = 10_000;

export function runSession(
  session: OrtNS.InferenceSession,
  feeds: OrtNS.InferenceSession.FeedsType,
  fetches?: OrtNS.InferenceSession.FetchesType,
): Promise<OrtNS.InferenceSession.ReturnType> {
  return serialized(() => (fetches ? session.run(feeds, fetches) : session.run(feeds)));
}

/** Releases a session once, counted; errors while releasing (a lost device) are dropped. */
export async function releaseSession(session: OrtNS.InferenceSession): Promise<void> {
  sessionCounts.released++;
  await serialized(() => session.release()).catch(() => undefined);
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
  const session = await serialized(() =>
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
  const session = await serialized(() =>
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
