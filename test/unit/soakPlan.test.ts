/**
 * The soak's plans (bench/soakPlan.ts): the full plan scaled to another length (`--frames`,
 * `--warmup`) keeps what the figures rely on: every sample sees the base size, enabled (resizes and
 * toggles even between samples), the faults at the same fractions of the run, a fault that is not in
 * the plan stays out of it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FULL_PLAN, SHORT_PLAN, controlPlan, scalePlan, schedule } from "../../bench/soakPlan.ts";

/** Events of each kind between two samples, for every sample interval of the plan. */
function perInterval(plan: typeof FULL_PLAN, kind: string): number[] {
  const counts = new Array(Math.floor(plan.frames / plan.sampleEvery)).fill(0);
  for (const [f, events] of schedule(plan))
    counts[Math.floor(f / plan.sampleEvery)] += events.filter((e) => e === kind).length;
  return counts;
}

test("the full plan scaled to 4,000 and 40,000 frames keeps even events between samples and faults in place", () => {
  for (const frames of [4_000, 40_000]) {
    const p = scalePlan(FULL_PLAN, frames);
    assert.equal(p.frames, frames);
    for (const kind of ["resize", "toggle"]) {
      const counts = perInterval(p, kind);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        kind === "resize" ? p.resizes : p.toggles,
      );
      assert.ok(
        counts.every((n) => n % 2 === 0),
        `${kind} counts between samples must be even: ${counts}`,
      );
    }
    assert.equal(p.resizes, (FULL_PLAN.resizes * frames) / FULL_PLAN.frames);
    assert.equal(p.swapAt / frames, FULL_PLAN.swapAt / FULL_PLAN.frames);
    assert.equal(p.lossesAt / frames, FULL_PLAN.lossesAt / FULL_PLAN.frames);
    assert.equal(p.losses, FULL_PLAN.losses);
    assert.ok(p.frames % p.sampleEvery === 0 && p.sampleEvery <= FULL_PLAN.sampleEvery);
  }
});

test("a fault not in the plan stays out when it is scaled, and losses can be given", () => {
  const p = scalePlan({ ...SHORT_PLAN, swapAt: -1 }, 800, 3);
  assert.equal(p.swapAt, -1);
  assert.equal(p.losses, 3);
  const events = [...schedule(p).values()].flat();
  assert.ok(!events.includes("swap"));
  assert.equal(events.filter((e) => e === "losses").length, 1);
});

test("the control plan keeps the frames, resizes, toggles and losses, without a swap or dispose, also when scaled", () => {
  const c = scalePlan(controlPlan(FULL_PLAN), 20_000);
  assert.equal(c.effect, false);
  assert.equal(FULL_PLAN.effect, true);
  const withEffect = scalePlan(FULL_PLAN, 20_000);
  const kinds = (p: typeof FULL_PLAN) => [...schedule(p).entries()].flatMap(([f, e]) => e.map((x) => `${f}:${x}`));
  assert.deepEqual(
    kinds(c),
    kinds(withEffect).filter((x) => !/swap|dispose/.test(x)),
  );
  assert.ok(
    kinds(withEffect).some((x) => x.endsWith(":swap")) && kinds(withEffect).some((x) => x.endsWith(":dispose")),
  );
  assert.equal(c.losses, FULL_PLAN.losses);
});
