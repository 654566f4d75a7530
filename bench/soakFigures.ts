/**
 * The soak's verdicts from a run's samples and faults (bench/soakDriver.ts runs it): the heap's
 * slope against its noise, GPU objects per device / context life, sessions, black frames, faults.
 */
import type { SoakResult, SoakSample } from "./soakDriver.ts";

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

export function figures(r: SoakResult): SoakFigures {
  const s = r.samples.slice(1); // the first sample still holds one-time warm-up allocations
  const { slope: k, residualStd } = slope(
    s.map((x) => x.frame / 1000),
    s.map((x) => x.heapMb * 1024),
  );
  const span = (s.at(-1)!.frame - s[0].frame) / 1000;
  const losses = r.faults.filter((f) => f.kind.endsWith("loss"));
  const others = r.faults.filter((f) => !f.kind.endsWith("loss"));
  return {
    heapSlopeKbPer1000Frames: k,
    heapResidualStdKb: residualStd,
    heapGrowthWithinNoise: Math.abs(k * span) <= Math.max(3 * residualStd, 64),
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
