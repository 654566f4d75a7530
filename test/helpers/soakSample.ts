/**
 * A soak sample for the figures' unit tests (bench/soakResult.ts's SoakSample): settled, the same
 * GPU objects and one session; what a test varies is given.
 */
import type { SoakSample } from "../../bench/soakResult.ts";

export function soakSample(frame: number, heapMb: number, more: Partial<SoakSample> = {}): SoakSample {
  return {
    frame,
    generation: 1,
    heapMb,
    buffersLive: 10,
    texturesLive: 2,
    buffersCreated: 10,
    buffersDestroyed: 0,
    texturesCreated: 2,
    texturesDestroyed: 0,
    sessionsOpen: 1,
    inferences: frame,
    framesRendered: frame,
    passedThrough: 0,
    errors: 0,
    queueLongestMs: 0,
    queueSlowCalls: 0,
    ...more,
  };
}
