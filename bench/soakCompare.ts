/**
 * `npm run bench:soak-compare -- --with soak-warm --without soak-control --out soak-plugin-part`:
 * the plugin's part of the soak's heap figures. A page without the effect (the control,
 * `npm run bench:soak -- --effect off`) runs Babylon's scene through the same frames, resizes and
 * losses; what its heap does, V8's compiler and Babylon do anyway. For each engine in both files
 * and each pass (the warm-up, a cold page, and the run after it; or the one run), this puts the
 * heap figures with the effect beside those without it, and the difference: the plugin's part.
 * No browser. Writes bench/results/NAME.json and NAME.svg (each line's heap change from its first
 * sample, with and without the effect, one picture per engine).
 */
import { comparePasses, type PassComparison } from "./soakComparison.ts";
import { plot } from "./soakPlot.ts";
import { plotLines, readSoakReport, writeSoakFiles } from "./soakRuns.ts";

const args = process.argv.slice(2);
const opt = (n: string, d?: string) => {
  const i = args.indexOf(n);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1];
  if (d === undefined) throw new Error(`bench:soak-compare: ${n} NAME is required (a bench/results/NAME.json)`);
  return d;
};
const withName = opt("--with");
const withoutName = opt("--without");
const outName = opt("--out", "soak-plugin-part");

const withEffect = readSoakReport(withName, "--with");
const without = readSoakReport(withoutName, "--without");
const engines = withEffect.runs
  .map((r) => r.result.engine)
  .filter((e) => without.runs.some((r) => r.result.engine === e));
if (!engines.length) throw new Error(`bench:soak-compare: ${withName} and ${withoutName} have no engine in common`);

const byEngine: Record<string, PassComparison[]> = {};
for (const engine of engines) {
  const a = withEffect.runs.find((r) => r.result.engine === engine)!;
  const b = without.runs.find((r) => r.result.engine === engine)!;
  byEngine[engine] = comparePasses(a, b, { with: withName, without: withoutName });
}
const report = {
  date: new Date().toISOString(),
  with: { name: withName, date: withEffect.date },
  without: { name: withoutName, date: without.date },
  note: "KB; 'plugin' is with minus without; a 'withinNoise' compares the plugin's part over the pass with 3x the two passes' noise combined (or 64 KB), one-sided",
  engines: byEngine,
};
// One picture per engine (their heaps differ by MBs), stacked.
const pictures = engines.map((e) =>
  plot(
    [
      ...plotLines(withEffect.runs.filter((r) => r.result.engine === e)),
      ...plotLines(without.runs.filter((r) => r.result.engine === e)),
    ],
    { relative: true },
  ),
);
const size = (svg: string, k: "width" | "height") => Number(new RegExp(`${k}="(\\d+)"`).exec(svg)![1]);
let y = 0;
const stacked = pictures.map((svg) => {
  const placed = svg.replace("<svg ", `<svg y="${y}" `);
  y += size(svg, "height");
  return placed;
});
writeSoakFiles(
  outName,
  report,
  `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(...pictures.map((p) => size(p, "width")))}" height="${y}" style="background:#fff">\n${stacked.join("")}</svg>\n`,
);
for (const [engine, passes] of Object.entries(byEngine))
  for (const p of passes)
    console.log(
      `${engine} ${p.pass}: heap slope KB/1,000 frames with ${p.heapSlope.with.toFixed(1)}, without ${p.heapSlope.without.toFixed(1)}, plugin ${p.heapSlope.plugin.toFixed(1)} (${p.heapSlope.withinNoise ? "within noise" : "NOT within noise"}); each further loss with ${p.perLoss?.with.toFixed(1) ?? "-"}, without ${p.perLoss?.without.toFixed(1) ?? "-"}, plugin ${p.perLoss?.plugin.toFixed(1) ?? "-"}${p.perLoss ? (p.perLoss.withinNoise ? " (within noise)" : " (NOT within noise)") : ""}`,
    );
