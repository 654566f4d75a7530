/**
 * The plugin's part of the soak's heap figures (bench/soakComparison.ts): a run with the effect
 * against the control without it, pass by pass; growth both share is not the plugin's, growth only
 * the run with the effect has is; runs that did not run the same schedule are refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { comparePasses } from "../../bench/soakComparison.ts";
import { FULL_PLAN, controlPlan, type SoakPlan } from "../../bench/soakPlan.ts";
import { emptySoakResult } from "../../bench/soakResult.ts";
import { figures } from "../../bench/soakFigures.ts";
import type { SoakRun } from "../../bench/soakRuns.ts";
import { soakSample } from "../helpers/soakSample.ts";

const PLAN: SoakPlan = { ...FULL_PLAN, losses: 10 };

/** A stored run whose heap (KB) is `kb(frame)` plus 0-29 KB of noise, and grows `perLoss` KB a loss. */
function run(plan: SoakPlan, kb: (frame: number) => number, perLoss: number): SoakRun {
  const result = {
    ...emptySoakResult("webgpu", plan),
    samples: Array.from({ length: 21 }, (_, i) => i * 500).map((frame) =>
      soakSample(frame, (kb(frame) + ((frame * 7) % 30)) / 1024, {
        sessionsOpen: plan.effect === false ? 0 : 1,
        inferences: 0,
      }),
    ),
    lossSamples: Array.from({ length: 11 }, (_, loss) => ({
      loss,
      heapMb: (18000 + perLoss * loss + ((loss * 13) % 20)) / 1024,
      heapBySource: { pageKb: 9000, codeKb: 7000 + perLoss * loss, timelineKb: 50, devtoolsKb: 40 },
    })),
    framesChecked: 1,
  };
  return { result, figures: figures(result) };
}

test("growth the page has without the effect is not the plugin's; growth only the effect's run has is", () => {
  const control = run(controlPlan(PLAN), (f) => 15000 + f / 20, 50); // 50 KB per 1,000 frames, 50 KB a loss
  const same = comparePasses(
    run(PLAN, (f) => 18000 + f / 20, 50),
    control,
    { with: "a", without: "b" },
  );
  assert.equal(same.length, 1);
  const p = same[0];
  assert.equal(p.pass, "run");
  assert.ok(Math.abs(p.heapSlope.with - 50) < 3 && Math.abs(p.heapSlope.without - 50) < 3);
  assert.ok(Math.abs(p.heapSlope.plugin) < 3);
  assert.equal(p.heapSlope.withinNoise, true);
  assert.ok(Math.abs(p.perLoss!.plugin) < 3 && p.perLoss!.withinNoise);
  assert.ok(Math.abs(p.perLossCode!.with - 50) < 0.01);
  const leak = comparePasses(
    run(PLAN, (f) => 18000 + f / 10, 80),
    control,
    { with: "a", without: "b" },
  )[0];
  assert.ok(Math.abs(leak.heapSlope.plugin - 50) < 3); // 100 with, 50 without
  assert.equal(leak.heapSlope.withinNoise, false);
  assert.ok(Math.abs(leak.perLoss!.plugin - 30) < 3);
  assert.equal(leak.perLoss!.withinNoise, false);
  assert.ok(Math.abs(leak.heapChangeKb.plugin - 475) < 40); // 50 KB per 1,000 frames over 9,500 frames
});

test("warm-ups are compared with warm-ups; runs of other schedules, or the wrong way round, are refused", () => {
  const withWarmup = (plan: SoakPlan): SoakRun => ({ ...run(plan, () => 18000, 0), warmup: run(plan, () => 17000, 0) });
  const passes = comparePasses(withWarmup(PLAN), withWarmup(controlPlan(PLAN)), { with: "a", without: "b" });
  assert.deepEqual(
    passes.map((x) => x.pass),
    ["warm-up", "after warm-up"],
  );
  const names = { with: "soak-warm", without: "soak-control" };
  assert.throws(
    () =>
      comparePasses(
        run(PLAN, () => 0, 0),
        run(controlPlan({ ...PLAN, losses: 30 }), () => 0, 0),
        names,
      ),
    /plans differ in losses \(10 with the effect, 30 without\)/,
  );
  assert.throws(
    () =>
      comparePasses(
        run(PLAN, () => 0, 0),
        run(PLAN, () => 0, 0),
        names,
      ),
    /soak-control was run with the effect/,
  );
  assert.throws(
    () =>
      comparePasses(
        run(controlPlan(PLAN), () => 0, 0),
        run(controlPlan(PLAN), () => 0, 0),
        names,
      ),
    /soak-warm is a control run/,
  );
  assert.throws(
    () =>
      comparePasses(
        withWarmup(PLAN),
        run(controlPlan(PLAN), () => 0, 0),
        names,
      ),
    /one run has a warm-up and the other not/,
  );
});
