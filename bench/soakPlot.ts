/** The soak's picture (bench/soak.ts writes it): JS heap and live GPU objects against frames. */
import type { SoakResult } from "./soakDriver.ts";
import type { SoakFigures } from "./soakFigures.ts";

/** Two panels (JS heap MB; live GPU buffers + textures) against frames, a line per engine. */
export function plot(runs: Array<{ result: SoakResult; figures: SoakFigures }>): string {
  const W = 460;
  const H = 260;
  const colours = ["#1f77b4", "#d62728", "#2ca02c"];
  const panel = (x0: number, title: string, value: (s: SoakResult["samples"][number]) => number) => {
    const all = runs.flatMap((r) => r.result.samples.map(value));
    const lo = Math.min(...all) * 0.95;
    const hi = Math.max(...all) * 1.05 || 1;
    const maxF = Math.max(...runs.flatMap((r) => r.result.samples.map((s) => s.frame)), 1);
    const px = (f: number) => x0 + 50 + (f / maxF) * (W - 70);
    const py = (v: number) => 30 + (1 - (v - lo) / (hi - lo || 1)) * (H - 70);
    const lines = runs.map((r, i) => {
      const pts = r.result.samples.map((s) => `${px(s.frame).toFixed(1)},${py(value(s)).toFixed(1)}`).join(" ");
      return `<polyline fill="none" stroke="${colours[i]}" stroke-width="2" points="${pts}"/>`;
    });
    const ticks = [lo, (lo + hi) / 2, hi].map(
      (v) =>
        `<text x="${x0 + 45}" y="${py(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(v < 10 ? 2 : 0)}</text>`,
    );
    return `<text x="${x0 + 50}" y="18" font-size="13">${title}</text>
<line x1="${x0 + 50}" y1="${H - 40}" x2="${x0 + W - 20}" y2="${H - 40}" stroke="#999"/>
<line x1="${x0 + 50}" y1="30" x2="${x0 + 50}" y2="${H - 40}" stroke="#999"/>
<text x="${x0 + W / 2}" y="${H - 18}" font-size="11" text-anchor="middle">frame (0 to ${maxF})</text>
${ticks.join("\n")}
${lines.join("\n")}`;
  };
  const pageSlope = (f: SoakFigures) =>
    f.pageHeapBetweenFaults == null ? "" : `; page objects ${f.pageHeapBetweenFaults.slopeKbPer1000Frames.toFixed(1)}`;
  const legend = runs
    .map(
      (r, i) =>
        `<text x="60" y="${H + 12 + 15 * i}" font-size="12" fill="${colours[i]}">${r.result.engine}: heap slope ${r.figures.heapSlopeKbPer1000Frames.toFixed(1)} KB/1000 frames (noise ${r.figures.heapResidualStdKb.toFixed(0)} KB); between faults: heap ${r.figures.heapBetweenFaults.slopeKbPer1000Frames.toFixed(1)} (noise ${r.figures.heapBetweenFaults.residualStdKb.toFixed(0)} KB)${pageSlope(r.figures)}</text>`,
    )
    .join("");
  // The heap snapshot's page part (bench/heapSnapshot.ts), where the runs have it.
  const page = runs.every((r) => r.result.samples.every((s) => s.heapBySource));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${(page ? 3 : 2) * W}" height="${H + 24 + 15 * runs.length}" style="background:#fff">
${panel(0, "JS heap after GC (MB)", (s) => s.heapMb)}
${panel(W, "live GPU objects (buffers + textures)", (s) => s.buffersLive + s.texturesLive)}
${page ? panel(2 * W, "heap snapshot: page objects (MB)", (s) => s.heapBySource!.pageKb / 1024) : ""}
${legend}
</svg>
`;
}
