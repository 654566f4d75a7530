/**
 * The soak's verdict table (bench/soakVerdict.ts): each figure of a run read from its figures, met
 * or not; a growing heap, a black frame, a GPU object left behind or a loss reported twice each
 * show as "NOT met" and are named under the table; the control's sessions are not judged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FULL_PLAN, controlPlan, type SoakPlan } from "../../bench/soakPlan.ts";
import { emptySoakResult, type FaultRecord } from "../../bench/soakResult.ts";
import { figures } from "../../bench/soakFigures.ts";
import type { SoakRun } from "../../bench/soakRuns.ts";
import { verdictMarkdown, verdictRows } from "../../bench/soakVerdict.ts";
import { soakSample } from "../helpers/soakSample.ts";

const PLAN: SoakPlan = { ...FULL_PLAN, losses: 2 };

/** A stored run: a heap of `kbPer1000` KB per 1,000 frames (+ 0-29 KB of noise), 2 losses at frame
 * 5,000 each reported `reported` times, the swap and dispose silent; `more` changes the result. */
function run(
  plan: SoakPlan,
  kbPer1000: number,
  opts: { reported?: number; black?: number; leftBuffers?: number; engine?: string } = {},
): SoakRun {
  const fault = (kind: FaultRecord["kind"], atFrame: number, reported: number): FaultRecord => ({
    kind,
    atFrame,
    reported,
    recovered: true,
    seconds: 1.5,
  });
  const result = {
    ...emptySoakResult(opts.engine ?? "webgpu", plan),
    samples: Array.from({ length: 21 }, (_, i) => i * 500).map((frame) =>
      soakSample(frame, (18000 + (kbPer1000 * frame) / 1000 + ((frame * 7) % 30)) / 1024, {
        sessionsOpen: plan.effect === false ? 0 : 1,
        // A buffer the run leaves behind at every sample from frame 6,000 on (same device life).
        buffersLive: 10 + (frame >= 6000 ? (opts.leftBuffers ?? 0) * (frame / 500 - 11) : 0),
      }),
    ),
    faults: [
      fault("device-loss", 5000, opts.reported ?? 1),
      fault("device-loss", 5000, opts.reported ?? 1),
      ...(plan.effect === false ? [] : [fault("model-swap", 7000, 0), fault("dispose-in-flight", 9000, 0)]),
    ],
    framesChecked: 1000,
    blackFrames: opts.black ?? 0,
    resizes: 100,
    toggles: 200,
    seconds: 600,
  };
  return { result, figures: figures(result) };
}

const cell = (runs: SoakRun[], figure: RegExp, i = 0) => {
  const row = verdictRows(runs).find((r) => figure.test(r.figure));
  assert.ok(row, `no row ${figure}`);
  return row.cells[i];
};

test("a run that holds every figure reads met throughout, with the measured values", () => {
  const runs = [run(PLAN, 0)];
  const rows = verdictRows(runs);
  const judged = rows.flatMap((r) => r.cells).filter((c) => c.met !== null);
  assert.ok(judged.length >= 6);
  assert.ok(
    judged.every((c) => c.met === true),
    JSON.stringify(rows),
  );
  assert.match(cell(runs, /no frame black/).text, /^1,000 \/ 0$/);
  assert.match(cell(runs, /every loss/).text, /^2 of 2 recovered, 1\.5-1\.5 s each$/);
  assert.match(cell(runs, /GPU objects/).text, /10 buffers \+ 2 textures/);
  const md = verdictMarkdown("x", { date: "d", machine: "m", size: 64 }, runs);
  assert.match(md, /All \d+ judged figures met\./);
  assert.doesNotMatch(md, /NOT met/);
});

test("growth, a black frame, a GPU object left behind and a loss reported twice each read NOT met and are named", () => {
  const runs = [run(PLAN, 0), run(PLAN, 200, { reported: 2, black: 3, leftBuffers: 1, engine: "webgl2" })];
  assert.equal(cell(runs, /slope over the run/, 0).met, true);
  const slope = cell(runs, /slope over the run/, 1);
  assert.equal(slope.met, false);
  assert.match(slope.text, /^\+(199\.[5-9]|200\.[0-4]) \(noise \d+\)$/);
  assert.equal(cell(runs, /no frame black/, 1).met, false);
  assert.equal(cell(runs, /GPU objects/, 1).met, false);
  assert.equal(cell(runs, /every loss/, 1).met, false);
  const md = verdictMarkdown("x", { date: "d", machine: "m", size: 64 }, runs);
  assert.match(md, /\| figure \| webgpu \| webgl2 \|/);
  const notMet = /Not met \((\d+) of \d+ judged\): (.*)\./.exec(md);
  assert.ok(notMet, md);
  assert.ok(Number(notMet[1]) >= 4);
  for (const what of ["slope over the run", "no frame black", "GPU objects", "every loss"])
    assert.ok(notMet[2].includes(`${what}`) && notMet[2].includes("(webgl2)"), `${what} not named: ${notMet[2]}`);
  assert.ok(!notMet[2].includes("(webgpu)"), notMet[2]);
});

test("the control page's sessions and swap are not judged", () => {
  const runs = [run(controlPlan(PLAN), 0)];
  assert.equal(cell(runs, /sessions open/).met, null);
  assert.equal(cell(runs, /model swap/).met, null);
  assert.match(verdictMarkdown("c", { date: "d", machine: "m", size: 64 }, runs), /\| webgpu without the effect \|/);
});
