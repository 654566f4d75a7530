/**
 * The soak's verdicts from a run's samples and faults (bench/soakDriver.ts runs it): the heap's
 * slope against its noise, GPU objects per device / context life, sessions, black frames, faults.
 */
import type { LossSample, SoakResult, SoakSample } from "./soakResult.ts";
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

/** A heap series while nothing happens, apart from the steps faults leave (`betweenFaults`). */
export interface BetweenFaults {
  /** Slope shared by the segments between faults (segmentSlope), KB per 1000 frames. */
  slopeKbPer1000Frames: number;
  /** The residuals' standard deviation about each segment's own line, KB. */
  residualStdKb: number;
  /** That slope over the run's frames is within 3 residual standard deviations (or under 64 KB). */
  withinNoise: boolean;
  /** The change across each fault (last sample before -> first after), KB. */
  stepsAtFaultsKb: Array<{ kind: string; atFrame: number; kb: number }>;
}

/** What each further loss leaves, from `SoakResult.lossSamples` (the heap after every recovery). */
export interface PerLoss {
  losses: number;
  /** The heap's change across the first loss, KB: code and buffers a first recovery builds once. */
  firstKb: number;
  /** Least-squares KB per loss over the later half of the losses (from loss ceil(n/2) on), the whole
   * heap and by source (null without snapshots), with the residual noise. */
  laterKbPerLoss: number;
  laterResidualStdKb: number;
  /** The later losses' growth by that slope is within 3 residual std (or under 64 KB); one-sided. */
  laterWithinNoise: boolean;
  laterBySourceKbPerLoss: Record<string, number> | null;
}

export interface SoakFigures {
  /** JS heap growth, KB per 1000 frames (samples after the first), and the samples' noise. */
  heapSlopeKbPer1000Frames: number;
  heapResidualStdKb: number;
  /** The run's heap growth by that slope is within 3 residual standard deviations (or under 64 KB). */
  heapGrowthWithinNoise: boolean;
  /** The whole JS heap between faults: growth while the game just runs, apart from the steps a
   * loss, a swap or a dispose leaves (those steps are in it too). */
  heapBetweenFaults: BetweenFaults;
  /** The heap after each loss of a plan with sampleEachLoss (null without): whether a further loss
   * still adds to the heap, or the steps at the losses were built once. */
  heapPerLoss: PerLoss | null;
  /** The same three for the heap snapshot's `page` part (bench/heapSnapshot.ts: the heap less
   * Chromium's performance timeline, compiled code and the inspector's records), where a leak of
   * the plugin's would show; null without snapshots. */
  pageHeapSlopeKbPer1000Frames: number | null;
  pageHeapResidualStdKb: number | null;
  pageHeapGrowthWithinNoise: boolean | null;
  /** Snapshot heap by source: the change from the second sample to the last, KB (null without). */
  heapChangeBySourceKb: Record<string, number> | null;
  /** The page part between faults (null without snapshots): where a leak of the plugin's would show. */
  pageHeapBetweenFaults: BetweenFaults | null;
  /** Live GPU buffers / textures (less the post-processes' idle cached targets: `held`) equal at
   * every sample of one device or context life, after the first sample (same size, enabled,
   * settled, no inference running; the first interval's first resizes and toggles allocate
   * Babylon's caches once). A loss starts a new life whose count may differ: the lost objects went
   * with the old device. */
  gpuObjectsConstant: boolean;
  /** Per device / context life: the distinct (buffers, textures) live counts its samples saw. */
  gpuObjectsByGeneration: Record<number, string[]>;
  /** Live GPU buffers / textures never above the first count of their device / context life
   * (after the first sample; fewer, e.g. freed at a model swap, is fine). */
  gpuObjectsNeverGrow: boolean;
  /** One onnxruntime session open at every sample (null for the control, which has no effect). */
  sessionsOpenAlwaysOne: boolean | null;
  noBlackFrame: boolean;
  /** Every loss reported once by the effect (the control: by nothing, there is no effect) and recovered. */
  everyLossReportedOnceAndRecovered: boolean;
  swapAndDisposeSilentAndRecovered: boolean;
  /** Inferences that failed on a live device and restarted the network (each reported once). */
  runtimeRestarts: number;
}

/** The GPU objects a sample's page holds for use: live, less those held only by render targets
 * Babylon's post-processes keep cached for another size until 100 of their frames pass (how many
 * there are at a sample depends on how long ago the last resize was, not on what is kept). */
export function held(x: SoakSample): { buffers: number; textures: number } {
  return {
    buffers: x.buffersLive - (x.buffersIdleCached ?? 0),
    textures: x.texturesLive - (x.texturesIdleCached ?? 0),
  };
}

function byGeneration(samples: SoakSample[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const x of samples) {
    const h = held(x);
    const v = `${h.buffers} buffers + ${h.textures} textures`;
    out[x.generation] = [...new Set([...(out[x.generation] ?? []), v])];
  }
  return out;
}

/**
 * Least-squares slope shared by segments, each with its own intercept (the within-segment
 * regression): growth while nothing happens, with the steps at the segment borders left out.
 * The residual noise counts one degree of freedom per segment's intercept.
 */
export function segmentSlope(xs: number[], ys: number[], cuts: number[]): { slope: number; residualStd: number } {
  const seg = xs.map((x) => cuts.filter((c) => c < x).length);
  // Each segment's own mean taken off: the pooled slope of what is left is the shared slope.
  const centred = (v: number[]) =>
    v.map((y, i) => {
      const own = v.filter((_, k) => seg[k] === seg[i]);
      return y - own.reduce((a, b) => a + b, 0) / own.length;
    });
  const cx = centred(xs);
  const cy = centred(ys);
  const { slope: k } = slope(cx, cy);
  const dof = Math.max(1, xs.length - new Set(seg).size - 1);
  const ss = cy.reduce((a, y, i) => a + (y - k * cx[i]) ** 2, 0);
  return { slope: k, residualStd: Math.sqrt(ss / dof) };
}

/** Slope (KB per 1000 frames), residual noise and the within-noise verdict of a KB series. */
function growth(s: SoakSample[], kb: (x: SoakSample) => number) {
  const { slope: k, residualStd } = slope(
    s.map((x) => x.frame / 1000),
    s.map(kb),
  );
  return { k, residualStd, within: withinNoise(k, residualStd, s) };
}

/** Growth at `k` KB per 1000 frames over the samples' frames is within 3 residual std (or 64 KB).
 * One-sided: a heap that shrinks (e.g. Babylon's caches freed at a context loss) is not growth. */
function withinNoise(k: number, residualStd: number, s: SoakSample[]): boolean {
  return grownWithinNoise(k * ((s.at(-1)!.frame - s[0].frame) / 1000), residualStd);
}

/** The soak's one rule for noise: growth of `grownKb` over a run is within noise when it is at most
 * 3 residual standard deviations (`noiseKb`) or 64 KB. One-sided: shrinking is never growth. */
export function grownWithinNoise(grownKb: number, noiseKb: number): boolean {
  return grownKb <= Math.max(3 * noiseKb, 64);
}

/** A KB series between the run's faults: the shared slope, its noise, and the step at each fault. */
function betweenFaults(s: SoakSample[], kb: (x: SoakSample) => number, r: SoakResult): BetweenFaults {
  const faultFrames = [...new Set(r.faults.map((f) => f.atFrame))].sort((a, b) => a - b);
  const { slope: k, residualStd } = segmentSlope(
    s.map((x) => x.frame / 1000),
    s.map(kb),
    faultFrames.map((f) => f / 1000),
  );
  return {
    slopeKbPer1000Frames: k,
    residualStdKb: residualStd,
    withinNoise: withinNoise(k, residualStd, s),
    stepsAtFaultsKb: faultFrames.flatMap((f) => {
      const before = [...s].reverse().find((x) => x.frame <= f);
      const after = s.find((x) => x.frame > f);
      if (!before || !after) return [];
      const kind = [...new Set(r.faults.filter((x) => x.atFrame === f).map((x) => x.kind))].join("+");
      return [{ kind, atFrame: f, kb: kb(after) - kb(before) }];
    }),
  };
}

/** What each further loss leaves (null without loss samples, or with fewer than 4 losses). */
function perLoss(r: SoakResult): PerLoss | null {
  const ls = r.lossSamples ?? [];
  const n = ls.length - 1;
  if (n < 4) return null;
  const later = ls.filter((x) => x.loss >= Math.ceil(n / 2));
  const fit = (kb: (x: LossSample) => number) =>
    slope(
      later.map((x) => x.loss),
      later.map(kb),
    );
  const whole = fit((x) => x.heapMb * 1024);
  const snaps = ls.every((x) => x.heapBySource);
  return {
    losses: n,
    firstKb: (ls[1].heapMb - ls[0].heapMb) * 1024,
    laterKbPerLoss: whole.slope,
    laterResidualStdKb: whole.residualStd,
    // One-sided, as the heap's other verdicts: a heap that drops from loss to loss has not grown.
    laterWithinNoise: grownWithinNoise(whole.slope * (later.length - 1), whole.residualStd),
    laterBySourceKbPerLoss: snaps
      ? Object.fromEntries(
          (Object.keys(ls[0].heapBySource!) as Array<keyof HeapBySource>).map((k) => [
            k,
            fit((x) => x.heapBySource![k]).slope,
          ]),
        )
      : null,
  };
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
  const losses = r.faults.filter((f) => f.kind.endsWith("loss"));
  const others = r.faults.filter((f) => !f.kind.endsWith("loss"));
  const withEffect = r.plan.effect !== false;
  const lives = byGeneration(s);
  return {
    heapSlopeKbPer1000Frames: heap.k,
    heapResidualStdKb: heap.residualStd,
    heapGrowthWithinNoise: heap.within,
    heapBetweenFaults: betweenFaults(s, (x) => x.heapMb * 1024, r),
    heapPerLoss: perLoss(r),
    pageHeapSlopeKbPer1000Frames: page ? page.k : null,
    pageHeapResidualStdKb: page ? page.residualStd : null,
    pageHeapGrowthWithinNoise: page ? page.within : null,
    pageHeapBetweenFaults: snaps ? betweenFaults(s, (x) => x.heapBySource!.pageKb, r) : null,
    heapChangeBySourceKb: snaps ? sourceChange(s[0].heapBySource!, s.at(-1)!.heapBySource!) : null,
    gpuObjectsConstant: Object.values(lives).every((v) => v.length === 1),
    gpuObjectsByGeneration: lives,
    gpuObjectsNeverGrow: s.every((x) => {
      const [now, first] = [held(x), held(s.find((y) => y.generation === x.generation)!)];
      return now.buffers <= first.buffers && now.textures <= first.textures;
    }),
    sessionsOpenAlwaysOne: withEffect ? r.samples.every((x) => x.sessionsOpen === 1) : null,
    noBlackFrame: r.blackFrames === 0 && r.framesChecked > 0,
    everyLossReportedOnceAndRecovered:
      losses.length === r.plan.losses && losses.every((f) => f.reported === (withEffect ? 1 : 0) && f.recovered),
    swapAndDisposeSilentAndRecovered:
      others.length === [r.plan.swapAt, r.plan.disposeAt].filter((f) => f >= 0).length &&
      others.every((f) => f.reported === 0 && f.recovered),
    runtimeRestarts: r.errors.filter((e) => /the network restarts/.test(e)).length,
  };
}
