/** RemasterPostProcess options: documented defaults; unknown options are an error. */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";

export type RemasterBackend = "auto" | "webgpu" | "wasm";

export interface RemasterOptions {
  /** ONNX model: URL or bytes. Default: the shipped `remaster-realtime.onnx` next to the plugin bundle. */
  model?: string | URL | Uint8Array | ArrayBuffer;
  /** Camera to attach to. Default: the scene's active camera (attaches when one becomes active). */
  camera?: Camera;
  /** Fraction of the frame size fed to the network (rounded down to multiples of 8). Default 1. */
  scale?: number;
  /** Blend between the frame (0) and the remastered frame (1). Default 1. */
  strength?: number;
  /** Inference backend. `auto`: WebGPU when the engine is WebGPU, else WASM. Default `auto`. */
  backend?: RemasterBackend;
  /** Whether the effect runs. Default true. */
  enabled?: boolean;
  /** Where onnxruntime-web's .wasm/.mjs files are served. Default: `ort/` next to the plugin bundle. */
  wasmPaths?: string;
}

export interface ResolvedOptions {
  model: string | Uint8Array;
  camera: Camera | null;
  scale: number;
  strength: number;
  backend: RemasterBackend;
  enabled: boolean;
  wasmPaths: string;
}

const KNOWN = new Set(["model", "camera", "scale", "strength", "backend", "enabled", "wasmPaths"]);

export function resolveOptions(o: RemasterOptions, defaults: { model: string; wasmPaths: string }): ResolvedOptions {
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`RemasterPostProcess: unknown option(s) ${unknown.join(", ")}; known: ${[...KNOWN].join(", ")}`);
  const scale = o.scale ?? 1;
  if (!(scale > 0 && scale <= 1)) throw new Error(`RemasterPostProcess: scale must be in (0, 1], got ${scale}`);
  const strength = o.strength ?? 1;
  if (!(strength >= 0 && strength <= 1)) throw new Error(`RemasterPostProcess: strength must be in [0, 1], got ${strength}`);
  const backend = o.backend ?? "auto";
  if (!["auto", "webgpu", "wasm"].includes(backend)) throw new Error(`RemasterPostProcess: backend must be auto, webgpu or wasm, got ${backend}`);
  let model: string | Uint8Array = defaults.model;
  if (o.model instanceof Uint8Array) model = o.model;
  else if (o.model instanceof ArrayBuffer) model = new Uint8Array(o.model);
  else if (o.model !== undefined) model = String(o.model);
  return { model, camera: o.camera ?? null, scale, strength, backend, enabled: o.enabled ?? true, wasmPaths: o.wasmPaths ?? defaults.wasmPaths };
}

/** Network input size for a frame: scaled, rounded down to a multiple of 8, at least 8. */
export function inputSize(width: number, height: number, scale: number, multiple = 8): { width: number; height: number } {
  const r = (v: number) => Math.max(multiple, Math.floor((v * scale) / multiple) * multiple);
  return { width: r(width), height: r(height) };
}
