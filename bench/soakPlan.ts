/**
 * The soak's plans and their schedule (what happens at which frame), shared by `npm run bench:soak`
 * (bench/soak.ts: FULL_PLAN, 10,000 frames), the short version in `npm test` (SHORT_PLAN:
 * test/browser/soak.test.ts) and the driver that carries one out (bench/soakDriver.ts).
 * Resizes and toggles come in even numbers between samples, so every sample sees the same state
 * (base size, enabled): its GPU object counts must then be equal.
 */

export interface SoakPlan {
  /** false: the control run, the same schedule on the page with no RemasterPostProcess (soak.html's
   * `effect=off`: a game without the plugin), so that what the heap does with the effect can be
   * told from what Babylon and V8 do anyway (`controlPlan`). Runs stored before 2026-12-07 lack it: on. */
  effect?: boolean;
  frames: number;
  sampleEvery: number;
  /** Every n-th frame is read back and checked for black. */
  checkEvery: number;
  resizes: number;
  toggles: number;
  /** The base size and the one resizes alternate with. */
  sizes: [number, number];
  /** Frames of the one-off faults (-1: not in this plan). */
  swapAt: number;
  lossesAt: number;
  losses: number;
  disposeAt: number;
  /** URL (on the page's server) of the model the swap loads. */
  swapModel: string;
  /** How long the effect may take to run again after a fault or a resize before it counts as not recovered. */
  recoverSeconds: number;
  /** A heap snapshot at every sample, summed by source (bench/heapSnapshot.ts): what grows. */
  heapSnapshots: boolean;
  /** A heap sample (after a forced GC; by source with heapSnapshots) just before the first loss and
   * after each loss's recovery: what one more loss leaves on the heap (`SoakResult.lossSamples`). */
  sampleEachLoss: boolean;
}

export const FULL_PLAN: SoakPlan = {
  effect: true,
  frames: 10_000,
  sampleEvery: 500,
  checkEvery: 10,
  resizes: 100,
  toggles: 200,
  sizes: [64, 96],
  swapAt: 5_000,
  lossesAt: 2_500,
  losses: 10,
  disposeAt: 7_500,
  swapModel: "/models/swap.onnx",
  recoverSeconds: 180,
  heapSnapshots: true,
  sampleEachLoss: true,
};

export const SHORT_PLAN: SoakPlan = {
  effect: true,
  frames: 400,
  sampleEvery: 100,
  checkEvery: 5,
  resizes: 8,
  toggles: 16,
  sizes: [64, 96],
  swapAt: 200,
  lossesAt: 100,
  losses: 2,
  disposeAt: 300,
  swapModel: "/models/swap.onnx",
  recoverSeconds: 180,
  heapSnapshots: false,
  sampleEachLoss: false,
};

/** The control of `plan`: the same frames, resizes, toggles (which then do nothing) and losses on a
 * page without the effect; no model to swap or dispose. */
export function controlPlan(plan: SoakPlan): SoakPlan {
  return { ...plan, effect: false, swapAt: -1, disposeAt: -1 };
}

/** `base` stretched or shrunk to `frames` frames: resizes and toggles in proportion (even numbers,
 * so every sample sees the base size, enabled), the one-off faults at the same fractions of the run,
 * `losses` losses in a row (base's count by default). */
export function scalePlan(base: SoakPlan, frames: number, losses = base.losses): SoakPlan {
  const k = frames / base.frames;
  return {
    ...base,
    frames,
    resizes: 2 * Math.round((base.resizes * k) / 2),
    toggles: 2 * Math.round((base.toggles * k) / 2),
    swapAt: base.swapAt < 0 ? -1 : Math.round(base.swapAt * k),
    lossesAt: base.lossesAt < 0 ? -1 : Math.round(base.lossesAt * k),
    disposeAt: base.disposeAt < 0 ? -1 : Math.round(base.disposeAt * k),
    losses,
    sampleEvery: Math.min(base.sampleEvery, Math.max(100, Math.round(frames / 10 / 100) * 100)),
  };
}

/** What the driver does at a planned frame. */
export type SoakEvent = "resize" | "toggle" | "swap" | "losses" | "dispose";

/** Frame -> events: resizes and toggles spread evenly, in even numbers per sample interval. */
export function schedule(p: SoakPlan): Map<number, SoakEvent[]> {
  const at = new Map<number, SoakEvent[]>();
  const add = (f: number, e: SoakEvent) => at.set(f, [...(at.get(f) ?? []), e]);
  const intervals = Math.floor(p.frames / p.sampleEvery);
  const spread = (total: number, e: SoakEvent) => {
    // Even counts per interval summing to `total` (e.g. 100 over 20: 4, 6, 4, 6, ...).
    const base = 2 * Math.floor(total / intervals / 2);
    let left = total - base * intervals;
    for (let i = 0; i < intervals; i++) {
      const n = base + (left >= 2 ? 2 : 0);
      left -= n - base;
      for (let k = 0; k < n; k++) add(i * p.sampleEvery + Math.round(((k + 1) * p.sampleEvery) / (n + 1)), e);
    }
  };
  spread(p.resizes, "resize");
  spread(p.toggles, "toggle");
  if (p.swapAt >= 0) add(p.swapAt + Math.round(p.sampleEvery / 3), "swap");
  if (p.lossesAt >= 0 && p.losses > 0) add(p.lossesAt + Math.round(p.sampleEvery / 3), "losses");
  if (p.disposeAt >= 0) add(p.disposeAt + Math.round(p.sampleEvery / 3), "dispose");
  return at;
}
