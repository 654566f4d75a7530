/** The benchmark report as a page a person would rather read: tables and bar charts (SVG). */
function bars(title: string, rows: Array<[string, number]>, unit: string): string {
  const max = Math.max(...rows.map((r) => r[1]), 1e-9);
  const h = 22;
  const body = rows
    .map(
      ([k, v], i) =>
        `<text x="0" y="${i * h + 15}" font-size="12">${k}</text><rect x="360" y="${i * h + 4}" width="${(v / max) * 300}" height="14" fill="#2563eb"/><text x="${366 + (v / max) * 300}" y="${i * h + 15}" font-size="11">${v.toFixed(2)} ${unit}</text>`,
    )
    .join("");
  return `<h3>${title}</h3><svg width="760" height="${rows.length * h + 8}">${body}</svg>`;
}

/** A quality row's bar label: the method and which evaluated set it belongs to. */
function qualityLabel(x: Row): string {
  return `${x.method} (${String(x.set).includes("WebGPU") ? "WebGPU set" : "WebGL2 set"})`;
}

export type Row = Record<string, string | number | boolean | null | undefined>;
export interface BenchReport {
  name: string;
  date: string;
  machine: string;
  command: string;
  model: { inference: Row[]; peak: { matmul_n: number; node_gflops: number; wasm_gflops: number }; presets: unknown };
  frames?: Row[];
  quality?: Row[];
}

/** [label, value] for the rows that have a number in `key`. */
function series(rows: Row[], key: string, label: (x: Row) => string): Array<[string, number]> {
  return rows.filter((x) => typeof x[key] === "number").map((x) => [label(x), x[key] as number]);
}

function cell(c: string, v: Row[string]): string {
  return typeof v === "number" ? v.toFixed(c.includes("flops") && v > 1e6 ? 0 : 3) : String(v ?? "");
}

export function renderHtml(r: BenchReport): string {
  const inf = r.model.inference;
  const fr = r.frames ?? [];
  const q = r.quality ?? [];
  const table = (rows: Row[], cols: string[]) =>
    `<table><tr>${cols.map((c) => `<th>${c}</th>`).join("")}</tr>${rows.map((x) => `<tr>${cols.map((c) => `<td>${cell(c, x[c])}</td>`).join("")}</tr>`).join("")}</table>`;
  return `<!doctype html><meta charset="utf-8"><title>Remaster bench ${r.name}</title>
<style>body{font:14px system-ui;margin:24px;max-width:1100px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style>
<h1>Remaster benchmark</h1><p>${r.date} on ${r.machine}. Command: <code>${r.command}</code></p>
<h2>Quality vs cost (held-out test frames)</h2>${table(q, ["set", "method", "psnr", "ssim", "lpips", "flip", "render_ms", "inference_ms_node", "inference_ms_wasm"])}
${bars("PSNR vs high (dB)", series(q, "psnr", qualityLabel), "dB")}${bars("LPIPS vs high (lower is better)", series(q, "lpips", qualityLabel), "")}
<h2>Model inference: onnxruntime-node vs onnxruntime-web WASM (same model, same machine)</h2>${table(inf, ["size", "flops", "node_ms", "wasm_ms", "wasm_over_node", "node_gflops", "wasm_gflops"])}
<p>Peak (MatMul ${r.model.peak.matmul_n}²): node ${r.model.peak.node_gflops.toFixed(1)} GFLOP/s, WASM ${r.model.peak.wasm_gflops.toFixed(1)} GFLOP/s.</p>
${bars(
  "inference ms, onnxruntime-node",
  series(inf, "node_ms", (x) => String(x.size)),
  "ms",
)}${bars(
    "inference ms, WASM in Chromium",
    series(inf, "wasm_ms", (x) => String(x.size)),
    "ms",
  )}
<h2>Frame cost in headless Chromium</h2>${table(fr, ["engine", "size", "backend", "precision", "graphCapture", "sceneOnlyFrameMs", "frameMsWithRemaster", "passMs", "inferenceMs", "readbackMs", "toTensorMs", "modelMs", "toFrameMs", "asyncReadback", "readbacksPerFrame"])}
<h2>FLOPs per preset</h2><pre>${JSON.stringify(r.model.presets, null, 1)}</pre>`;
}
