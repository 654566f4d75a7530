/**
 * `npm run bench:soak`: the plugin over 10,000 frames with faults, on WebGL2 + WASM and on WebGPU
 * (SwiftShader here: counts and memory are what it measures, never times). The schedule is
 * bench/soakPlan.ts's, the driver bench/soakDriver.ts. Writes bench/results/soak.json, soak.svg
 * (JS heap, live GPU objects and, from heap snapshots, the page's own objects against frames, per
 * engine: bench/soakPlot.ts) and soak.md (the figures asked of the run, met or not: bench/soakVerdict.ts).
 * Options: --engines webgl2,webgpu  --size 64  --short (the npm test plan)  --out NAME
 *          --frames N (the full plan scaled to N frames: resizes and toggles in proportion, the
 *          faults at the same places; SwiftShader's WebGPU renders ~150 frames a minute here)
 *          --graph-capture off (WebGPU: plain session runs instead of a captured graph's replays)
 *          --losses N (losses in a row, 10 in the full plan; a heap sample after each: what one
 *          more loss leaves)
 *          --js-flags "FLAGS" (V8 flags for the page, a diagnostic: "--no-opt --no-maglev
 *          --no-sparkplug --no-wasm-tier-up" keeps V8 from compiling more code as the run goes, so
 *          a growing heap left with them is the page's objects, not JIT code)
 *          --warmup N (first the same schedule scaled to N frames on the same page, every fault
 *          included, then the measured run: the heap once V8 has compiled what the schedule runs, a
 *          game's state after its first minutes; the warm-up's samples and figures are kept beside
 *          the run's, as `warmup`)
 *          --effect off (the control: the same schedule on the page with no RemasterPostProcess, a
 *          game without the plugin; no swap or dispose, toggles do nothing, losses as planned; out
 *          soak-control by default): what Babylon and V8 do to the heap anyway, to tell the
 *          plugin's part from theirs
 *          --refigure (no browser: the figures of the runs stored in NAME.json computed again with
 *          bench/soakFigures.ts, and its picture redrawn; for when the figures change)
 * A run for some engines replaces those engines' entries in an existing NAME.json.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serveDemo } from "../engine-demo/node/browser.ts";
import { ENGINE_KINDS, type EngineKind } from "../engine-demo/src/contracts.ts";
import { openSoakPage, runSoak } from "./soakDriver.ts";
import { FULL_PLAN, SHORT_PLAN, controlPlan, scalePlan } from "./soakPlan.ts";
import type { SoakResult } from "./soakResult.ts";
import { figures } from "./soakFigures.ts";
import { plot } from "./soakPlot.ts";
import { plotLines, readSoakReport, storedRuns, writeSoakFiles, type SoakRun } from "./soakRuns.ts";
import { verdictMarkdown } from "./soakVerdict.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (n: string, d: string) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const engines = opt("--engines", ENGINE_KINDS.join(",")).split(",");
/** Runs in one order whichever engines a run replaced (WebGL2 first), for the table and picture. */
const inEngineOrder = (runs: SoakRun[]) =>
  [...runs].sort(
    (a, b) => ENGINE_KINDS.indexOf(a.result.engine as EngineKind) - ENGINE_KINDS.indexOf(b.result.engine as EngineKind),
  );
const size = Number(opt("--size", "64"));
const basePlan = args.includes("--short") ? SHORT_PLAN : FULL_PLAN;
const effect = opt("--effect", "on");
for (const e of engines)
  if (!ENGINE_KINDS.includes(e as EngineKind))
    throw new Error(`--engines: ${e} is not one of ${ENGINE_KINDS.join(", ")}`);
if (!["on", "off"].includes(effect)) throw new Error(`--effect must be on or off, got ${effect}`);
const scaled = scalePlan(
  basePlan,
  Number(opt("--frames", String(basePlan.frames))),
  Number(opt("--losses", String(basePlan.losses))),
);
const plan = effect === "off" ? controlPlan(scaled) : scaled;
const warmupFrames = Number(opt("--warmup", "0"));
const outName = opt("--out", effect === "off" ? "soak-control" : "soak");
const graphCapture = opt("--graph-capture", "on");
if (!["on", "off"].includes(graphCapture)) throw new Error(`--graph-capture must be on or off, got ${graphCapture}`);
const jsFlags = opt("--js-flags", "");
if (!Number.isInteger(warmupFrames) || warmupFrames < 0)
  throw new Error(`--warmup must be a whole number of frames >= 0, got ${opt("--warmup", "")}`);
const log = (m: string) => process.stderr.write(`bench:soak: ${m}\n`);

/** The figures of the runs stored in NAME.json, computed again (--refigure). */
function refigure(): void {
  const report = readSoakReport(outName, "--refigure");
  const again = (r: { result: SoakResult }) => ({ result: r.result, figures: figures(r.result) });
  report.runs = inEngineOrder(report.runs).map((r) => ({
    ...again(r),
    ...(r.warmup ? { warmup: again(r.warmup) } : {}),
  }));
  writeSoakFiles(outName, report, plot(plotLines(report.runs)), verdictMarkdown(outName, report, report.runs));
  console.log(JSON.stringify(report.runs.map((r) => ({ engine: r.result.engine, ...r.figures }))));
}

async function main(): Promise<void> {
  // Runs with and without the effect are not merged into one file (bench:soak-compare puts them side by side).
  if (storedRuns(outName).some((r) => (r.result.plan.effect !== false) !== (effect === "on")))
    throw new Error(
      `--out ${outName}: bench/results/${outName}.json holds runs ${effect === "on" ? "without" : "with"} the effect; name another --out`,
    );
  const server = await serveDemo();
  const browser = await launchChromium(jsFlags ? [`--js-flags=${jsFlags}`] : []);
  const swapBytes = readFileSync(join(root, "models/remaster-realtime.onnx"));
  const runs: SoakRun[] = [];
  try {
    for (const engine of engines) {
      log(`${engine}: ${plan.frames} frames at ${size}x${size}`);
      const context = await browser.newContext({ viewport: { width: 400, height: 400 } });
      const page = await context.newPage();
      await page.route(`**${plan.swapModel}`, (route) => route.fulfill({ body: swapBytes }));
      await openSoakPage(
        page,
        `${server.url}soak.html?engine=${engine}&size=${size}${graphCapture === "off" ? "&capture=0" : ""}${effect === "off" ? "&effect=off" : ""}`,
        `${engine}: soak page`,
      );
      let warmup: SoakRun["warmup"];
      if (warmupFrames > 0) {
        const warm = await runSoak(page, scalePlan(plan, warmupFrames), (m) => log(`${engine} warm-up: ${m}`));
        warmup = { result: warm, figures: figures(warm) };
        log(`${engine} warm-up: ${JSON.stringify(warmup.figures)}`);
      }
      const result = await runSoak(page, plan, (m) => log(`${engine}: ${m}`));
      runs.push({ result, figures: figures(result), ...(warmup ? { warmup } : {}) });
      log(`${engine}: ${JSON.stringify(runs.at(-1)!.figures)}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const merged = inEngineOrder([...storedRuns(outName).filter((r) => !engines.includes(r.result.engine)), ...runs]);
  const report = {
    date: new Date().toISOString(),
    machine: "headless Chromium, WebGPU on SwiftShader (CPU): counts and memory, not times",
    ...(jsFlags ? { jsFlags } : {}),
    ...(warmupFrames ? { warmupFrames } : {}),
    ...(effect === "off" ? { effect: "off: the control, no RemasterPostProcess on the page" } : {}),
    size,
    runs: merged,
  };
  writeSoakFiles(outName, report, plot(plotLines(merged)), verdictMarkdown(outName, report, merged));
  console.log(JSON.stringify(runs.map((r) => ({ engine: r.result.engine, seconds: r.result.seconds, ...r.figures }))));
}

if (!Number.isInteger(plan.losses) || plan.losses < 0)
  throw new Error(`--losses must be a whole number >= 0, got ${opt("--losses", "")}`);
if (args.includes("--refigure")) refigure();
else await main();
