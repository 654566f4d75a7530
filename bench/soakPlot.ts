/** The soak's picture (bench/soak.ts writes it): JS heap and live GPU objects against frames. */
import type { SoakResult } from "./soakResult.ts";
import type { SoakFigures } from "./soakFigures.ts";

/** A line of the picture: a run, its name (the engine by default), and where its frames and losses
 * start on the x axes (a run after a warm-up on the same page goes on from the warm-up's end). */
export interface PlotLine {
  result: SoakResult;
  figures: SoakFigures;
  label?: string;
  startFrame?: number;
  startLoss?: number;
}

/** Panels (JS heap MB; live GPU buffers + textures; page objects; heap after each loss) against
 * frames or losses, a line per run. `relative`: the heap panels as each line's change (KB) from its
 * own first point, for lines whose heaps start apart (a page with the effect and one without). */
export function plot(runs: PlotLine[], o: { relative?: boolean } = {}): string {
  const W = 460;
  const H = 260;
  const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  type Run = (typeof runs)[number];
  /** One panel: a line per run of `points(run)` ([x, y] pairs), x from 0 to its largest. */
  const panel = (x0: number, title: string, xLabel: string, points: (r: Run) => Array<[number, number]>) => {
    const all = runs.flatMap((r) => points(r).map((p) => p[1]));
    const pad = o.relative ? 0.05 * (Math.max(...all) - Math.min(...all) || 1) : 0;
    const lo = o.relative ? Math.min(...all) - pad : Math.min(...all) * 0.95;
    const hi = o.relative ? Math.max(...all) + pad : Math.max(...all) * 1.05 || 1;
    const maxX = Math.max(...runs.flatMap((r) => points(r).map((p) => p[0])), 1);
    const px = (x: number) => x0 + 50 + (x / maxX) * (W - 70);
    const py = (v: number) => 30 + (1 - (v - lo) / (hi - lo || 1)) * (H - 70);
    const lines = runs.map((r, i) => {
      const pts = points(r)
        .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
        .join(" ");
      return `<polyline fill="none" stroke="${colours[i]}" stroke-width="2" points="${pts}"/>`;
    });
    const ticks = [lo, (lo + hi) / 2, hi].map(
      (v) =>
        `<text x="${x0 + 45}" y="${py(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(Math.abs(v) < 10 ? 2 : 0)}</text>`,
    );
    return `<text x="${x0 + 50}" y="18" font-size="13">${title}</text>
<line x1="${x0 + 50}" y1="${H - 40}" x2="${x0 + W - 20}" y2="${H - 40}" stroke="#999"/>
<line x1="${x0 + 50}" y1="30" x2="${x0 + 50}" y2="${H - 40}" stroke="#999"/>
<text x="${x0 + W / 2}" y="${H - 18}" font-size="11" text-anchor="middle">${xLabel} (0 to ${maxX})</text>
${ticks.join("\n")}
${lines.join("\n")}`;
  };
  /** Each point's change from the line's first (relative pictures) or the points as they are. */
  const fromFirst = (pts: Array<[number, number]>): Array<[number, number]> =>
    o.relative ? pts.map(([x, y]) => [x, y - pts[0][1]]) : pts;
  const byFrame =
    (value: (s: SoakResult["samples"][number]) => number, relative = true) =>
    (r: Run) => {
      const pts = r.result.samples.map((s): [number, number] => [(r.startFrame ?? 0) + s.frame, value(s)]);
      return relative ? fromFirst(pts) : pts;
    };
  const heapUnit = o.relative ? "KB from the line's start" : "MB";
  const heap = (mb: number) => (o.relative ? mb * 1024 : mb);
  const pageSlope = (f: SoakFigures) =>
    f.pageHeapBetweenFaults == null ? "" : `; page objects ${f.pageHeapBetweenFaults.slopeKbPer1000Frames.toFixed(1)}`;
  const legend = runs
    .map(
      (r, i) =>
        `<text x="60" y="${H + 12 + 15 * i}" font-size="12" fill="${colours[i]}">${r.label ?? r.result.engine}: heap slope ${r.figures.heapSlopeKbPer1000Frames.toFixed(1)} KB/1000 frames (noise ${r.figures.heapResidualStdKb.toFixed(0)} KB); between faults: heap ${r.figures.heapBetweenFaults.slopeKbPer1000Frames.toFixed(1)} (noise ${r.figures.heapBetweenFaults.residualStdKb.toFixed(0)} KB)${pageSlope(r.figures)}${r.figures.heapPerLoss ? `; each further loss ${r.figures.heapPerLoss.laterKbPerLoss.toFixed(1)} KB` : ""}</text>`,
    )
    .join("");
  // The heap snapshot's page part (bench/heapSnapshot.ts), and the heap after each loss, where the runs have them.
  const page = runs.every((r) => r.result.samples.every((s) => s.heapBySource));
  const perLoss = runs.some((r) => (r.result.lossSamples?.length ?? 0) > 1); // a line for each run that has them
  type Spec = [title: string, xLabel: string, points: (r: Run) => Array<[number, number]>];
  const specs: Spec[] = [
    [`JS heap after GC (${heapUnit})`, "frame", byFrame((s) => heap(s.heapMb))],
    ["live GPU objects (buffers + textures)", "frame", byFrame((s) => s.buffersLive + s.texturesLive, false)],
    ...(page
      ? [
          [
            `heap snapshot: page objects (${heapUnit})`,
            "frame",
            byFrame((s) => heap(s.heapBySource!.pageKb / 1024)),
          ] as Spec,
        ]
      : []),
    ...(perLoss
      ? [
          [
            `JS heap after GC after each loss (${heapUnit})`,
            "losses",
            (r: Run) =>
              fromFirst(
                (r.result.lossSamples ?? []).map((x): [number, number] => [
                  (r.startLoss ?? 0) + x.loss,
                  heap(x.heapMb),
                ]),
              ),
          ] as Spec,
        ]
      : []),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${specs.length * W}" height="${H + 24 + 15 * runs.length}" style="background:#fff">
${specs.map(([title, xLabel, points], i) => panel(i * W, title, xLabel, points)).join("\n")}
${legend}
</svg>
`;
}
