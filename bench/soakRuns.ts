/**
 * The soak's stored results, bench/results/NAME.json (+ NAME.svg, and NAME.md: bench/soakVerdict.ts):
 * one entry per engine, its run's samples and figures and, with `--warmup`, its warm-up's. Read and written by `npm run bench:soak`
 * (bench/soak.ts) and compared by `npm run bench:soak-compare` (bench/soakCompare.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SoakResult } from "./soakResult.ts";
import type { SoakFigures } from "./soakFigures.ts";
import type { PlotLine } from "./soakPlot.ts";

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "results");

/** One engine's entry in NAME.json: its samples and figures, and those of its warm-up (--warmup). */
export interface SoakRun {
  result: SoakResult;
  figures: SoakFigures;
  warmup?: { result: SoakResult; figures: SoakFigures };
}

/** NAME.json: when and how it ran, and a run per engine. */
export interface SoakReport {
  date: string;
  machine: string;
  size: number;
  runs: SoakRun[];
  [more: string]: unknown;
}

export const resultPath = (name: string, ext = "json") => join(RESULTS_DIR, `${name}.${ext}`);

/** NAME.json, or a clear error naming the file when it is missing or not a soak result. */
export function readSoakReport(name: string, what = "soak result"): SoakReport {
  const path = resultPath(name);
  if (!existsSync(path)) throw new Error(`${what}: ${path} does not exist (run npm run bench:soak -- --out ${name})`);
  const report = JSON.parse(readFileSync(path, "utf8")) as SoakReport;
  if (!Array.isArray(report.runs) || report.runs.some((r) => !r.result?.samples || !r.figures))
    throw new Error(`${what}: ${path} is not a bench:soak result (no runs with samples and figures)`);
  return report;
}

/** The stored runs of NAME.json (none when it does not exist yet). */
export const storedRuns = (name: string): SoakRun[] => (existsSync(resultPath(name)) ? readSoakReport(name).runs : []);

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** NAME.json, its picture and (a soak's, not a comparison's) its verdict table NAME.md, each written
 * whole or not at all. */
export function writeSoakFiles(name: string, report: object, svg: string, markdown?: string): void {
  writeAtomic(resultPath(name), JSON.stringify(report, null, 1) + "\n");
  writeAtomic(resultPath(name, "svg"), svg);
  if (markdown !== undefined) writeAtomic(resultPath(name, "md"), markdown);
}

/** A run's name in a picture: its engine, and whether the page had no effect (the control). */
export const runName = (r: SoakResult) => `${r.engine}${r.plan.effect === false ? " without the effect" : ""}`;

/** The lines of a picture: each run, after its warm-up where it had one. */
export const plotLines = (runs: SoakRun[]): PlotLine[] =>
  runs.flatMap((r) =>
    r.warmup
      ? [
          { ...r.warmup, label: `${runName(r.result)}, warm-up` },
          {
            result: r.result,
            figures: r.figures,
            label: `${runName(r.result)}, after warm-up`,
            startFrame: r.warmup.result.plan.frames,
            startLoss: r.warmup.result.plan.losses,
          },
        ]
      : [{ ...r, label: runName(r.result) }],
  );
