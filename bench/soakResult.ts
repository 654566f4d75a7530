/**
 * What a soak run records (bench/soakDriver.ts fills it; bench/soakFigures.ts judges it; stored in
 * bench/results/NAME.json by bench/soakRuns.ts): samples every `sampleEvery` frames, a heap sample
 * around each device/context loss, one record per fault, and the frames checked for black.
 */
import type { HeapBySource } from "./heapSnapshot.ts";
import type { SoakPlan } from "./soakPlan.ts";

export interface SoakSample {
  frame: number;
  /** The device (WebGPU) or context life (WebGL2) the GPU counts belong to: +1 per loss. */
  generation: number;
  heapMb: number;
  /** The same heap by source, from a snapshot (plans with heapSnapshots). */
  heapBySource?: HeapBySource;
  buffersLive: number;
  texturesLive: number;
  /** Of the live ones, those held only by render targets Babylon's post-processes keep cached for
   * another size (freed after 100 of their frames: engine-demo/src/postProcessCaches.ts); runs
   * before 2026-12-07 lack them. */
  buffersIdleCached?: number;
  texturesIdleCached?: number;
  buffersCreated: number;
  buffersDestroyed: number;
  texturesCreated: number;
  texturesDestroyed: number;
  sessionsOpen: number;
  inferences: number;
  framesRendered: number;
  passedThrough: number;
  errors: number;
  /** The plugin's onnxruntime call queue so far: its longest call, and calls still running after 10 s. */
  queueLongestMs: number;
  queueSlowCalls: number;
  /** WebGPU: the bind groups Babylon's bind group cache holds (it is reset at a device loss; runs
   * before 2026-12-07 lack it). */
  bindGroupsCached?: number;
  /** WebGPU: how many textures that cache is keyed by Babylon has released (their entries can never be
   * looked up again: the cache's leak; runs before 2026-12-07 lack it). */
  releasedTexturesCached?: number;
}

/** The heap after a forced GC just before the losses (`loss` 0) and after the `loss`-th recovered. */
export interface LossSample {
  loss: number;
  heapMb: number;
  heapBySource?: HeapBySource;
}

export interface FaultRecord {
  kind: "device-loss" | "context-loss" | "model-swap" | "dispose-in-flight";
  atFrame: number;
  /** Errors the effect reported for it (a loss: exactly 1; a swap or dispose: 0). */
  reported: number;
  recovered: boolean;
  seconds: number;
  note?: string;
}

export interface SoakResult {
  engine: string;
  plan: SoakPlan;
  samples: SoakSample[];
  /** Plans with sampleEachLoss (runs before 2026-11-25 have none). */
  lossSamples?: LossSample[];
  faults: FaultRecord[];
  resizes: number;
  toggles: number;
  framesChecked: number;
  blackFrames: number;
  framesFailed: string[];
  errors: string[];
  seconds: number;
}

/** A run's result before anything has happened (runSoak fills it; the figures' tests build on it). */
export function emptySoakResult(engine: string, plan: SoakPlan): SoakResult {
  return {
    engine,
    plan,
    samples: [],
    faults: [],
    resizes: 0,
    toggles: 0,
    framesChecked: 0,
    blackFrames: 0,
    framesFailed: [],
    errors: [],
    seconds: 0,
  };
}
