/** What RemasterPostProcess reports about itself (`stats`), for overlays and benchmarks. */
import type { Backend, StageTimes } from "./runner.ts";

export interface RemasterStats {
  backend: Backend | "none";
  /** Tensor element type the network runs in. */
  precision: "float32" | "float16" | "none";
  /** WebGPU: whether the session replays a captured graph. */
  graphCapture: boolean;
  /** WASM path: whether the frame was read back asynchronously (WebGL2 pixel-pack buffer + fence). */
  asyncReadback: boolean;
  /** Why float16 was not used although precision was `auto` (empty when it was, or not asked). */
  precisionNote: string;
  frames: number;
  /** Frames composited without a remastered frame (loading, a new size, a lost device, an error). */
  passedThrough: number;
  inferences: number;
  /** Times the runtime was dropped and built again after an inference failed (not a device loss). */
  restarts: number;
  /** Milliseconds of the last inference, frame to result (all stages below). */
  lastInferenceMs: number;
  /** WASM: frame readback (with the async path: until the pixels arrived). */
  lastReadbackMs: number;
  /**
   * Stages of the last inference, in milliseconds: frame -> tensor (WASM: conversion after the
   * readback; WebGPU: pack pass), inference, tensor -> frame (WASM: conversion + upload; WebGPU:
   * unpack pass). WebGPU stages are GPU-complete times only with `profile: true`; without it they
   * are the CPU time to submit each stage.
   */
  lastStagesMs: StageTimes;
  inputWidth: number;
  inputHeight: number;
}

export function emptyStats(): RemasterStats {
  return {
    backend: "none",
    precision: "none",
    graphCapture: false,
    asyncReadback: false,
    precisionNote: "",
    frames: 0,
    passedThrough: 0,
    inferences: 0,
    restarts: 0,
    lastInferenceMs: 0,
    lastReadbackMs: 0,
    lastStagesMs: { toTensor: 0, inference: 0, toFrame: 0 },
    inputWidth: 0,
    inputHeight: 0,
  };
}
