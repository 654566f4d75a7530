/**
 * Loading onnxruntime-web and creating sessions. Two builds: `onnxruntime-web/webgpu` (the only
 * one that honours a foreign GPUDevice: the default build silently ignores it and returns wrong
 * output) and `onnxruntime-web/wasm` (CPU, threads when the page is cross-origin isolated).
 * Their .wasm files are served from `wasmPaths` (no CDN).
 */
import type * as OrtNS from "onnxruntime-web";

export type Ort = typeof OrtNS;

export async function loadOrt(kind: "webgpu" | "wasm", wasmPaths: string): Promise<Ort> {
  const ort = (kind === "webgpu" ? await import("onnxruntime-web/webgpu") : await import("onnxruntime-web/wasm")) as unknown as Ort;
  ort.env.wasm.wasmPaths = wasmPaths;
  // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP + COEP headers).
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  // The CPU path runs in onnxruntime's proxy worker, so inference never blocks the render loop.
  if (kind === "wasm") ort.env.wasm.proxy = true;
  return ort;
}

export async function createWasmSession(ort: Ort, model: Uint8Array): Promise<OrtNS.InferenceSession> {
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/**
 * A WebGPU session on the caller's device (Babylon's), with outputs kept on the GPU. Whether the
 * runtime really adopted the device is checked on the first inference (GpuPipeline.infer): its
 * output buffer must be usable on our device.
 */
export async function createWebGpuSession(ort: Ort, model: Uint8Array, device: GPUDevice): Promise<OrtNS.InferenceSession> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [{ name: "webgpu", device } as unknown as OrtNS.InferenceSession.ExecutionProviderConfig],
    preferredOutputLocation: "gpu-buffer",
    graphOptimizationLevel: "all",
  });
  return session;
}
