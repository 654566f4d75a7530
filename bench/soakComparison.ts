/**
 * The plugin's part of a soak's heap figures (bench/soakCompare.ts prints and stores it): a run with
 * the effect beside the control run without it (`--effect off`), pass by pass, with minus without.
 */
import type { SoakPlan } from "./soakPlan.ts";
import type { SoakResult } from "./soakResult.ts";
import { grownWithinNoise, type SoakFigures } from "./soakFigures.ts";
import type { SoakRun } from "./soakRuns.ts";

/** One figure with the effect, without it, and the plugin's part (with minus without). */
export interface Compared {
  with: number;
  without: number;
  plugin: number;
}

/** A growth figure (a slope) compared, with the plugin's part over the pass against the two runs'
 * noise: within when the plugin's part times the span is at most 3 x their residual std combined
 * (root of the sum of squares) or 64 KB, one-sided (the soak's rule, bench/soakFigures.ts). */
export interface ComparedGrowth extends Compared {
  noiseKb: number;
  withinNoise: boolean;
}

export interface PassComparison {
  pass: "warm-up" | "after warm-up" | "run";
  frames: number;
  losses: number;
  /** The whole heap's slope over the pass, KB per 1,000 frames. */
  heapSlope: ComparedGrowth;
  /** The whole heap between faults (the steps at the losses left out), KB per 1,000 frames. */
  betweenFaults: ComparedGrowth;
  /** The heap's change from the second sample to the last, KB. */
  heapChangeKb: Compared;
  /** The heap's step across the losses in a row, KB. */
  stepAtLossesKb: Compared;
  /** What each further loss leaves (the later half of the losses), KB per loss; null without loss samples. */
  perLoss: ComparedGrowth | null;
  /** Of it, compiled code (by heap snapshot), KB per loss. */
  perLossCode: Compared | null;
  /** Compiled code's change over the pass (by heap snapshot), KB. */
  codeChangeKb: Compared | null;
}

/** The plan fields that must agree for two passes to be compared (the effect aside, and the swap
 * and dispose, which the control has no model for). */
const SAME: Array<keyof SoakPlan> = ["frames", "sampleEvery", "resizes", "toggles", "lossesAt", "losses", "sizes"];

function assertSamePlan(a: SoakPlan, b: SoakPlan, what: string): void {
  for (const k of SAME)
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      throw new Error(
        `${what}: the runs' plans differ in ${k} (${JSON.stringify(a[k])} with the effect, ${JSON.stringify(b[k])} without); run the control with the same --frames, --losses and --warmup`,
      );
}

const compared = (a: number, b: number): Compared => ({ with: a, without: b, plugin: a - b });

function growth(a: number, b: number, noiseA: number, noiseB: number, span: number): ComparedGrowth {
  const noiseKb = Math.hypot(noiseA, noiseB);
  return { ...compared(a, b), noiseKb, withinNoise: grownWithinNoise((a - b) * span, noiseKb) };
}

/** One pass (a run, or its warm-up) with the effect against the same pass without it. */
export function comparePass(
  pass: PassComparison["pass"],
  a: { result: SoakResult; figures: SoakFigures },
  b: { result: SoakResult; figures: SoakFigures },
): PassComparison {
  const fa = a.figures;
  const fb = b.figures;
  const s = a.result.samples.slice(1); // as the figures: the first sample holds one-time allocations
  const spanK = (s.at(-1)!.frame - s[0].frame) / 1000;
  const change = (r: SoakResult) => (r.samples.at(-1)!.heapMb - r.samples[1].heapMb) * 1024;
  const lossSteps = (f: SoakFigures) =>
    f.heapBetweenFaults.stepsAtFaultsKb.filter((x) => x.kind.endsWith("loss")).reduce((t, x) => t + x.kb, 0);
  const n = a.result.plan.losses;
  const pa = fa.heapPerLoss;
  const pb = fb.heapPerLoss;
  const code = (f: SoakFigures) => f.heapChangeBySourceKb?.codeKb;
  return {
    pass,
    frames: a.result.plan.frames,
    losses: n,
    heapSlope: growth(
      fa.heapSlopeKbPer1000Frames,
      fb.heapSlopeKbPer1000Frames,
      fa.heapResidualStdKb,
      fb.heapResidualStdKb,
      spanK,
    ),
    betweenFaults: growth(
      fa.heapBetweenFaults.slopeKbPer1000Frames,
      fb.heapBetweenFaults.slopeKbPer1000Frames,
      fa.heapBetweenFaults.residualStdKb,
      fb.heapBetweenFaults.residualStdKb,
      spanK,
    ),
    heapChangeKb: compared(change(a.result), change(b.result)),
    stepAtLossesKb: compared(lossSteps(fa), lossSteps(fb)),
    perLoss:
      pa && pb
        ? growth(
            pa.laterKbPerLoss,
            pb.laterKbPerLoss,
            pa.laterResidualStdKb,
            pb.laterResidualStdKb,
            n - Math.ceil(n / 2),
          )
        : null,
    perLossCode:
      pa?.laterBySourceKbPerLoss && pb?.laterBySourceKbPerLoss
        ? compared(pa.laterBySourceKbPerLoss.codeKb, pb.laterBySourceKbPerLoss.codeKb)
        : null,
    codeChangeKb: code(fa) != null && code(fb) != null ? compared(code(fa)!, code(fb)!) : null,
  };
}

/** Every pass two stored runs of one engine share: the warm-ups (when both have one) and the runs. */
export function comparePasses(a: SoakRun, b: SoakRun, names: { with: string; without: string }): PassComparison[] {
  const what = `${a.result.engine} (${names.with} against ${names.without})`;
  if (a.result.plan.effect === false)
    throw new Error(`${what}: ${names.with} is a control run (no effect on the page)`);
  if (b.result.plan.effect !== false)
    throw new Error(`${what}: ${names.without} was run with the effect; run it with --effect off`);
  assertSamePlan(a.result.plan, b.result.plan, what);
  if (!a.warmup !== !b.warmup)
    throw new Error(`${what}: one run has a warm-up and the other not; run both with the same --warmup`);
  if (a.warmup && b.warmup) {
    assertSamePlan(a.warmup.result.plan, b.warmup.result.plan, `${what}, warm-up`);
    return [comparePass("warm-up", a.warmup, b.warmup), comparePass("after warm-up", a, b)];
  }
  return [comparePass("run", a, b)];
}
