/**
 * The soak's verdicts from a run's samples and faults (bench/soakDriver.ts runs it): the heap's
 * slope against its noise, GPU objects per device / context life, sessions, black frames, faults.
 */
import type { SoakResult, SoakSample } from "./soakDriver.ts";
import type { HeapBySource } from "./heapSnapshot.ts";

/** Least-squares slope of y over x, and the standard deviation of the residuals. */
export function slope(xs: number[], ys: number[]): { slope: number; residualStd: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const k = sxx ? xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx : 0;
  const res = ys.map((y, i) => y - my - k * (xs[i] - mx));
  return { slope: k, residualStd: Math.sqrt(res.reduce((a, r) => a + r * r, 0) / Math.max(1, n - 2)) };
}

export interface SoakFigures {
  /** JS heap growth, KB per 1000 frames (samples after the first), and the samples' noise. */
  heapSlopeKbPer1000Frames: number;
  heapResidualStdKb: number;
  /** The run's heap growth by that slope is within 3 residual standard deviations (or under 64 KB). */
  heapGrowthWithinNoise: boolean;
  /** The same three for the heap snapshot's `page` part (bench/heapSnapshot.ts: the heap less
   * Chromium's performance timeline, compiled code and the inspector's records), where a leak of
   * the plugin's would show; null without snapshots. */
  pageHeapSlopeKbPer1000Frames: number | null;
  pageHeapResidualStdKb: number | null;
  pageHeapGrowthWithinNoise: boolean | null;
  /** Snapshot heap by source: the change from the second sample to the last, KB (null without). */
  heapChangeBySourceKb: Record<string, number> | null;
  /** The page part's slope between faults (segmentSlope, cut at every fault's frame): growth
   * while the game just runs, apart from the steps a loss, a swap or a dispose leaves. */
  pageHeapSlopeBetweenFaultsKbPer1000Frames: number | null;
  /** The page part's change across each fault (last sample before -> first after), KB. */
  pageHeapStepsAtFaultsKb: Array<{ kind: string; atFrame: number; kb: number }> | null;
  /** Live GPU buffers / textures equal at every sample of one device or context life, after the
   * first sample (same size, enabled, settled, no inference running; the first interval's first
   * resizes and toggles allocate Babylon's caches once). A loss starts a new life whose count may
   * differ: the lost objects went with the old device. */
  gpuObjectsConstant: boolean;
  /** Per device / context life: the distinct (buffers, textures) live counts its samples saw. */
  gpuObjectsByGeneration: Record<number, string[]>;
  /** Live GPU buffers / textures never above the first count of their device / context life
   * (after the first sample; fewer, e.g. freed at a model swap, is fine). */
  gpuObjectsNeverGrow: boolean;
  sessionsOpenAlwaysOne: boolean;
  noBlackFrame: boolean;
  everyLossReportedOnceAndRecovered: boolean;
  swapAndDisposeSilentAndRecovered: boolean;
  /** Inferences that failed on a live device and restarted the network (each reported once). */
  runtimeRestarts: number;
}

function byGeneration(samples: SoakSample[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const x of samples) {
    const v = `${x.buffersLive} buffers + ${x.texturesLive} textures`;
    out[x.generation] = [...new Set([...(out[x.generation] ?? []), v])];
  }
  return out;
}

/**
 * Least-squares slope shared by segments, each with its own intercept (the within-segment
 * regression): growth while nothing happens, with the steps at the segment borders left out.
 */
export function segmentSlope(xs: number[], ys: number[], cuts: number[]): number {
  const seg = xs.map((x) => cuts.filter((c) => c < x).length);
  // Each segment's own mean taken off: the pooled slope of what is left is the shared slope.
  const centred = (v: number[]) =>
    v.map((y, i) => {
      const own = v.filter((_, k) => seg[k] === seg[i]);
      return y - own.reduce((a, b) => a + b, 0) / own.length;
    });
  return slope(centred(xs), centred(ys)).slope;
}

/** Slope (KB per 1000 frames), residual noise and the within-noise verdict of a KB series. */
function growth(s: SoakSample[], kb: (x: SoakSample) => number) {
  const { slope: k, residualStd } = slope(
    s.map((x) => x.frame / 1000),
    s.map(kb),
  );
  const span = (s.at(-1)!.frame - s[0].frame) / 1000;
  return { k, residualStd, within: Math.abs(k * span) <= Math.max(3 * residualStd, 64) };
}

/** The change of each source's KB from `a` to `b`. */
function sourceChange(a: HeapBySource, b: HeapBySource): Record<string, number> {
  return Object.fromEntries((Object.keys(a) as Array<keyof HeapBySource>).map((k) => [k, b[k] - a[k]]));
}

export function figures(r: SoakResult): SoakFigures {
  const s = r.samples.slice(1); // the first sample still holds one-time warm-up allocations
  const heap = growth(s, (x) => x.heapMb * 1024);
  const snaps = s.every((x) => x.heapBySource) && s.length >= 2;
  const page = snaps ? growth(s, (x) => x.heapBySource!.pageKb) : null;
  const faultFrames = [...new Set(r.faults.map((f) => f.atFrame))].sort((a, b) => a - b);
  const losses = r.faults.filter((f) => f.kind.endsWith("loss"));
  const others = r.faults.filter((f) => !f.kind.endsWith("loss"));
  return {
    heapSlopeKbPer1000Frames: heap.k,
    heapResidualStdKb: heap.residualStd,
    heapGrowthWithinNoise: heap.within,
    pageHeapSlopeKbPer1000Frames: page ? page.k : null,
    pageHeapResidualStdKb: page ? page.residualStd : null,
    pageHeapGrowthWithinNoise: page ? page.within : null,
    pageHeapSlopeBetweenFaultsKbPer1000Frames: snaps
      ? segmentSlope(
          s.map((x) => x.frame / 1000),
          s.map((x) => x.heapBySource!.pageKb),
          faultFrames.map((f) => f / 1000),
        )
      : null,
    pageHeapStepsAtFaultsKb: snaps
      ? faultFrames.flatMap((f) => {
          const before = [...s].reverse().find((x) => x.frame <= f);
          const after = s.find((x) => x.frame > f);
          if (!before || !after) return [];
          const kind = [...new Set(r.faults.filter((x) => x.atFrame === f).map((x) => x.kind))].join("+");
          return [{ kind, atFrame: f, kb: after.heapBySource!.pageKb - before.heapBySource!.pageKb }];
        })
      : null,
    heapChangeBySourceKb: snaps ? sourceChange(s[0].heapBySource!, s.at(-1)!.heapBySource!) : null,
    gpuObjectsConstant: Object.values(byGeneration(s)).every((v) => v.length === 1),
    gpuObjectsByGeneration: byGeneration(s),
    gpuObjectsNeverGrow: s.every((x) => {
      const first = s.find((y) => y.generation === x.generation)!;
      return x.buffersLive <= first.buffersLive && x.texturesLive <= first.texturesLive;
    }),
    sessionsOpenAlwaysOne: r.samples.every((x) => x.sessionsOpen === 1),
    noBlackFrame: r.blackFrames === 0 && r.framesChecked > 0,
    everyLossReportedOnceAndRecovered:
      losses.length === r.plan.losses && losses.every((f) => f.reported === 1 && f.recovered),
    swapAndDisposeSilentAndRecovered:
      others.length === [r.plan.swapAt, r.plan.disposeAt].filter((f) => f >= 0).length &&
      others.every((f) => f.reported === 0 && f.recovered),
    runtimeRestarts: r.errors.filter((e) => /the network restarts/.test(e)).length,
  };
}
