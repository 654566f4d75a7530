/**
 * The soak's verdict as a person reads it: the figures issue #14 asks of a 10,000-frame run, one row
 * each, one column per stored run (engine), each cell the measured value and whether it holds.
 * `npm run bench:soak` (and `--refigure`) writes it beside NAME.json and NAME.svg as NAME.md; the
 * README's "Reliability" section quotes the latest `soak.md`.
 * Judged (`met` true or false): the issue's figures (the whole heap's slope, GPU objects constant,
 * no black frame, every loss reported once and recovered) and the schedule's own (one session, the
 * swap and dispose silent). The heap's diagnostics (between faults, the page's objects, per loss)
 * say whether they are within noise but are not judged; `met` is null for them, for context (the
 * heap's ends, compiled code, restarts) and for what a run cannot have (sessions on the control).
 */
import type { BetweenFaults, SoakFigures } from "./soakFigures.ts";
import { runName, type SoakRun } from "./soakRuns.ts";

export interface VerdictCell {
  text: string;
  met: boolean | null;
}

export interface VerdictRow {
  figure: string;
  cells: VerdictCell[];
}

const kb = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
const withNoise = (slope: number, noise: number) => `${kb(slope)} (noise ${noise.toFixed(0)})`;
const within = (ok: boolean) => (ok ? ", within noise" : ", not within noise");
const betweenFaults = (b: BetweenFaults) =>
  `${withNoise(b.slopeKbPer1000Frames, b.residualStdKb)}${within(b.withinNoise)}`;

/** One row per figure, a cell per run, in the runs' order. */
export function verdictRows(runs: SoakRun[]): VerdictRow[] {
  const row = (figure: string, cell: (r: SoakRun["result"], f: SoakFigures) => VerdictCell): VerdictRow => ({
    figure,
    cells: runs.map((r) => cell(r.result, r.figures)),
  });
  return [
    row("JS heap after GC, first -> last sample (MB)", (r) => ({
      text: `${r.samples[0]?.heapMb.toFixed(2) ?? "-"} -> ${r.samples.at(-1)?.heapMb.toFixed(2) ?? "-"}`,
      met: null,
    })),
    row("**whole heap: slope over the run** (KB per 1,000 frames), no growth beyond noise", (_, f) => ({
      text: withNoise(f.heapSlopeKbPer1000Frames, f.heapResidualStdKb),
      met: f.heapGrowthWithinNoise,
    })),
    row("diagnostic: whole heap between faults (KB per 1,000 frames; the steps at faults left out)", (_, f) => ({
      text: betweenFaults(f.heapBetweenFaults),
      met: null,
    })),
    row(
      "diagnostic: the page's objects between faults (heap snapshot less compiled code, timeline, inspector)",
      (_, f) =>
        f.pageHeapBetweenFaults
          ? {
              text: betweenFaults(f.pageHeapBetweenFaults),
              met: null,
            }
          : { text: "- (no snapshots)", met: null },
    ),
    row("diagnostic: each further loss, later half (KB a loss; of it compiled code)", (_, f) =>
      f.heapPerLoss
        ? {
            text: `${withNoise(f.heapPerLoss.laterKbPerLoss, f.heapPerLoss.laterResidualStdKb)}${within(f.heapPerLoss.laterWithinNoise)}${f.heapPerLoss.laterBySourceKbPerLoss ? `; code ${kb(f.heapPerLoss.laterBySourceKbPerLoss.codeKb)}` : ""}`,
            met: null,
          }
        : { text: "- (no sample per loss)", met: null },
    ),
    row("compiled code over the run (KB, by snapshot)", (_, f) => ({
      text: f.heapChangeBySourceKb ? kb(f.heapChangeBySourceKb.codeKb) : "-",
      met: null,
    })),
    row(
      "**GPU objects created - destroyed**, per device / context life, less targets post-processes keep cached for another size (freed after 100 frames): constant",
      (r, f) => {
        const idle = r.samples.map((x) => (x.buffersIdleCached ?? 0) + (x.texturesIdleCached ?? 0));
        const lives = Object.values(f.gpuObjectsByGeneration)
          .map((v) => v.join(" / "))
          .join("; then ");
        return {
          text: `${lives}${Math.max(0, ...idle) > 0 ? ` (cached for another size at samples: ${Math.min(...idle)}-${Math.max(...idle)})` : ""}`,
          met: f.gpuObjectsConstant,
        };
      },
    ),
    row("onnxruntime sessions open at every sample: 1", (r, f) =>
      f.sessionsOpenAlwaysOne === null
        ? { text: "- (no effect)", met: null }
        : { text: [...new Set(r.samples.map((x) => x.sessionsOpen))].join(", "), met: f.sessionsOpenAlwaysOne },
    ),
    row("**no frame black** (frames read back / black)", (r, f) => ({
      text: `${r.framesChecked.toLocaleString("en-US")} / ${r.blackFrames}`,
      met: f.noBlackFrame,
    })),
    row("**every loss reported once and recovered**", (r, f) => {
      const losses = r.faults.filter((x) => x.kind.endsWith("loss"));
      const secs = losses.map((x) => x.seconds);
      const range = secs.length ? `, ${Math.min(...secs).toFixed(1)}-${Math.max(...secs).toFixed(1)} s each` : "";
      const ok = losses.filter((x) => x.recovered).length;
      return { text: `${ok} of ${r.plan.losses} recovered${range}`, met: f.everyLossReportedOnceAndRecovered };
    }),
    row("model swap; dispose during an inference + a new effect: silent, recovered", (r, f) => {
      const others = r.faults.filter((x) => !x.kind.endsWith("loss"));
      return others.length
        ? {
            text: others.map((x) => `${x.kind} ${x.seconds.toFixed(1)} s`).join("; "),
            met: f.swapAndDisposeSilentAndRecovered,
          }
        : { text: "- (none planned)", met: null };
    }),
    row("runtime restarts (an inference failing on a live device)", (_, f) => ({
      text: String(f.runtimeRestarts),
      met: null,
    })),
    row("frames / resizes / toggles / minutes", (r) => ({
      text: `${r.plan.frames.toLocaleString("en-US")} / ${r.resizes} / ${r.toggles} / ${(r.seconds / 60).toFixed(1)}`,
      met: null,
    })),
  ];
}

const mark = (met: boolean | null) => (met === null ? "" : met ? ": met" : ": **NOT met**");

/** NAME.md: what ran, the table, and the figures not met named in one line. */
export function verdictMarkdown(
  name: string,
  report: { date: string; machine: string; size: number },
  runs: SoakRun[],
): string {
  const rows = verdictRows(runs);
  const missed = rows.flatMap((r) =>
    r.cells.flatMap((c, i) =>
      c.met === false ? [`${r.figure.replace(/\*\*/g, "")} (${runName(runs[i].result)})`] : [],
    ),
  );
  const judged = rows.flatMap((r) => r.cells).filter((c) => c.met !== null).length;
  return [
    `# Soak: ${name}`,
    "",
    `${report.date}, ${report.size}x${report.size}, ${report.machine}. Samples and figures: \`${name}.json\`; picture: \`${name}.svg\`.`,
    "Within noise: the growth over the run by the slope is at most 3 residual standard deviations (or 64 KB), one-sided.",
    "",
    `| figure | ${runs.map((r) => runName(r.result)).join(" | ")} |`,
    `| --- | ${runs.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.figure} | ${r.cells.map((c) => `${c.text}${mark(c.met)}`).join(" | ")} |`),
    "",
    missed.length
      ? `Not met (${missed.length} of ${judged} judged): ${missed.join("; ")}.`
      : `All ${judged} judged figures met.`,
    "",
  ].join("\n");
}
