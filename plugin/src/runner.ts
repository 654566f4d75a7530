/**
 * The runner contract between the Babylon pass and an inference backend (the pass knows nothing
 * else of a backend): `run(frame)` turns the frame just rendered into a remastered texture,
 * `result` is that texture (or null: pass the frame through), `dispose()` frees every GPU object.
 *   WebGpuRunner (webgpu/webgpuRunner.ts): Babylon's GPUDevice, no pixel readback.
 *   WasmRunner   (wasm/wasmRunner.ts):     any engine; read back, CPU inference, upload.
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import type { BaseTexture } from "@babylonjs/core/Materials/Textures/baseTexture.js";
import type { ThinTexture } from "@babylonjs/core/Materials/Textures/thinTexture.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { FrameTexture } from "./babylon/internals.ts";
import type { LoadedModel } from "./core/modelLoader.ts";
import type { ResolvedOptions } from "./core/options.ts";
import { WasmRunner } from "./wasm/wasmRunner.ts";
import { WebGpuRunner } from "./webgpu/webgpuRunner.ts";

export type Backend = "webgpu" | "wasm";

/** Milliseconds per stage: frame -> tensor, inference, tensor -> frame. */
export interface StageTimes {
  toTensor: number;
  inference: number;
  toFrame: number;
}

export interface RunTiming {
  /** Frame to result, all stages. */
  totalMs: number;
  /** WASM: frame readback (with the async path: until the pixels arrived); WebGPU: 0. */
  readbackMs: number;
  stagesMs: StageTimes;
}

/** What a runner reports about itself (copied into the pass's stats after every run). */
export interface RunnerInfo {
  inputWidth: number;
  inputHeight: number;
  /** WebGPU: whether the session replays a captured graph. */
  graphCapture: boolean;
  /** WASM: whether the last frame was read back asynchronously (pixel-pack buffer + fence). */
  asyncReadback: boolean;
}

export interface FrameRunner {
  readonly backend: Backend;
  readonly info: RunnerInfo;
  /** The last remastered frame for the current input size, or null (the frame passes through). */
  readonly result: ThinTexture | BaseTexture | null;
  /**
   * Runs the network on the frame just rendered into `frame`. Resolves with the timings once
   * `result` holds the output, or with null when no inference ran (a new input size was being
   * prepared, or the runner was disposed meanwhile).
   */
  run(frame: FrameTexture): Promise<RunTiming | null>;
  dispose(): void;
}

export interface RunnerOptions {
  engine: AbstractEngine;
  scene: Scene;
  model: LoadedModel;
  options: ResolvedOptions;
}

/** Backend `auto` resolves to WebGPU on a WebGPUEngine, else WASM. */
export function resolveBackend(engine: AbstractEngine, asked: ResolvedOptions["backend"]): Backend {
  if (asked === "webgpu" && !engine.isWebGPU)
    throw new Error("RemasterPostProcess: backend 'webgpu' needs a WebGPUEngine");
  return asked === "auto" ? (engine.isWebGPU ? "webgpu" : "wasm") : asked;
}

/** Builds the runner of a backend (each loads its own onnxruntime-web build). */
export function createRunner(backend: Backend, o: RunnerOptions): Promise<FrameRunner> {
  return backend === "webgpu" ? WebGpuRunner.create(o) : WasmRunner.create(o);
}
