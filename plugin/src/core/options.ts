/** RemasterPostProcess options: documented defaults; unknown options are an error. */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";

export const BACKENDS = ["auto", "webgpu", "wasm"] as const;
export type RemasterBackend = (typeof BACKENDS)[number];
export const PRECISIONS = ["auto", "fp32", "fp16"] as const;
export type RemasterPrecision = (typeof PRECISIONS)[number];
type ModelSource = string | URL | Uint8Array | ArrayBuffer;

export interface RemasterOptions {
  /** ONNX model: URL or bytes. Default: the shipped `remaster-realtime.onnx` next to the plugin bundle. */
  model?: ModelSource;
  /**
   * The float16 twin of `model`, used when precision resolves to fp16. Default: the shipped
   * `remaster-realtime.fp16.onnx` when `model` is not given, else none.
   */
  modelFp16?: ModelSource;
  /**
   * `auto`: float16 on a WebGPU device with the `shader-f16` feature (Babylon requests it only when
   * asked: `new WebGPUEngine(canvas, { deviceDescriptor: { requiredFeatures: ["shader-f16"] } })`
   * or `enableAllFeatures: true`), else float32. `fp16` without `shader-f16` is an error. Default `auto`.
   */
  precision?: RemasterPrecision;
  /** WebGPU: capture the network's GPU commands once per input size and replay them. Default true. */
  graphCapture?: boolean;
  /**
   * WASM path on WebGL2: read the frame back through a pixel-pack buffer + fence (no stall; the
   * pixels arrive a few animation frames later) instead of a blocking readPixels. Default true.
   */
  asyncReadback?: boolean;
  /**
   * Time each stage to GPU completion (stats.lastStagesMs): waits for the GPU between stages, so
   * it costs throughput. For benchmarks. Default false.
   */
  profile?: boolean;
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
  modelFp16: string | Uint8Array | null;
  precision: RemasterPrecision;
  graphCapture: boolean;
  profile: boolean;
  asyncReadback: boolean;
  camera: Camera | null;
  scale: number;
  strength: number;
  backend: RemasterBackend;
  enabled: boolean;
  wasmPaths: string;
}

/**
 * The one list of option names and their defaults (`null`: resolved at run time: the shipped model
 * and runtime files next to the bundle, the scene's active camera). The README's options table is
 * checked against these names by a test.
 */
export const OPTION_DEFAULTS = {
  model: null,
  modelFp16: null,
  precision: "auto",
  graphCapture: true,
  profile: false,
  asyncReadback: true,
  camera: null,
  scale: 1,
  strength: 1,
  backend: "auto",
  enabled: true,
  wasmPaths: null,
} as const satisfies Record<keyof RemasterOptions, unknown>;

const KNOWN = new Set(Object.keys(OPTION_DEFAULTS));

function source(m: ModelSource): string | Uint8Array {
  if (m instanceof Uint8Array) return m;
  if (m instanceof ArrayBuffer) return new Uint8Array(m);
  return String(m);
}

export function resolveOptions(
  o: RemasterOptions,
  defaults: { model: string; modelFp16: string; wasmPaths: string },
): ResolvedOptions {
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length)
    throw new Error(`RemasterPostProcess: unknown option(s) ${unknown.join(", ")}; known: ${[...KNOWN].join(", ")}`);
  const D = OPTION_DEFAULTS;
  const scale = o.scale ?? D.scale;
  if (!(scale > 0 && scale <= 1)) throw new Error(`RemasterPostProcess: scale must be in (0, 1], got ${scale}`);
  const strength = o.strength ?? D.strength;
  if (!(strength >= 0 && strength <= 1))
    throw new Error(`RemasterPostProcess: strength must be in [0, 1], got ${strength}`);
  const backend = o.backend ?? D.backend;
  if (!BACKENDS.includes(backend))
    throw new Error(`RemasterPostProcess: backend must be ${orList(BACKENDS)}, got ${backend}`);
  const precision = o.precision ?? D.precision;
  if (!PRECISIONS.includes(precision))
    throw new Error(`RemasterPostProcess: precision must be ${orList(PRECISIONS)}, got ${precision}`);
  if (o.graphCapture !== undefined && typeof o.graphCapture !== "boolean")
    throw new Error(`RemasterPostProcess: graphCapture must be a boolean, got ${o.graphCapture}`);
  const model = o.model === undefined ? defaults.model : source(o.model);
  const modelFp16 = o.modelFp16 !== undefined ? source(o.modelFp16) : o.model === undefined ? defaults.modelFp16 : null;
  return {
    model,
    modelFp16,
    precision,
    graphCapture: o.graphCapture ?? D.graphCapture,
    profile: o.profile ?? D.profile,
    asyncReadback: o.asyncReadback ?? D.asyncReadback,
    camera: o.camera ?? D.camera,
    scale,
    strength,
    backend,
    enabled: o.enabled ?? D.enabled,
    wasmPaths: o.wasmPaths ?? defaults.wasmPaths,
  };
}

/** "a, b or c" */
function orList(items: readonly string[]): string {
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Network input size for a frame: scaled, rounded down to a multiple of 8, at least 8. */
export function inputSize(
  width: number,
  height: number,
  scale: number,
  multiple = 8,
): { width: number; height: number } {
  const r = (v: number) => Math.max(multiple, Math.floor((v * scale) / multiple) * multiple);
  return { width: r(width), height: r(height) };
}
