"""A self-contained HTML report of a run: loss curves and validation metrics over time (inline
SVG), and the latest low | remastered | high grid (embedded PNG). Reads runs/<id>/metrics.jsonl."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path


def _svg_chart(title: str, series: dict[str, list[tuple[float, float]]], width: int = 520, height: int = 220) -> str:
    pts = [p for s in series.values() for p in s]
    if not pts:
        return ""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-9)
    sx = lambda x: 40 + (x - x0) / (x1 - x0) * (width - 50)  # noqa: E731
    sy = lambda y: height - 25 - (y - y0) / (y1 - y0) * (height - 45)  # noqa: E731
    colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]
    lines, legend = [], []
    for i, (name, s) in enumerate(series.items()):
        c = colors[i % len(colors)]
        d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for j, (x, y) in enumerate(s))
        lines.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="1.5"/>')
        legend.append(f'<text x="{50 + i * 110}" y="14" fill="{c}" font-size="11">{html.escape(name)}</text>')
    axes = (
        f'<text x="4" y="{sy(y1) + 4:.0f}" font-size="10">{y1:.4g}</text>'
        f'<text x="4" y="{sy(y0):.0f}" font-size="10">{y0:.4g}</text>'
        f'<text x="{width - 60}" y="{height - 6}" font-size="10">step {x1:.0f}</text>'
    )
    return (
        f"<figure><figcaption>{html.escape(title)}</figcaption>"
        f'<svg width="{width}" height="{height}" style="background:#fafafa">'
        f"{''.join(legend)}{''.join(lines)}{axes}</svg></figure>"
    )


def write_report(run_dir: str | Path) -> Path:
    run = Path(run_dir)
    rows = (
        [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
        if (run / "metrics.jsonl").exists()
        else []
    )
    train = [r for r in rows if any(k.startswith("loss_") for k in r)]
    evals = [r for r in rows if "eval" in r]
    charts = []
    losses = {
        k: [(r["step"], r[k]) for r in train if r.get(k)]
        for k in sorted({k for r in train for k in r if k.startswith("loss_")})
    }
    charts.append(_svg_chart("training losses", {k: v for k, v in losses.items() if v}))
    charts.append(_svg_chart("learning rate", {"lr": [(r["step"], r["lr"]) for r in train]}))
    rate = "images_per_s" if any("images_per_s" in r for r in train) else "items_per_s"
    charts.append(_svg_chart(f"throughput ({rate})", {rate: [(r["step"], r[rate]) for r in train if rate in r]}))
    for metric in ("psnr", "lpips", "ssim", "mse"):
        s = [(r["step"], r["eval"][metric]) for r in evals if isinstance(r["eval"].get(metric), (int, float))]
        if s:
            charts.append(_svg_chart(f"validation {metric}", {metric: s}))
    grids = (
        sorted((run / "eval").glob("step_*.png"), key=lambda p: int(p.stem.split("_")[1]))
        if (run / "eval").is_dir()
        else []
    )
    grid_html = ""
    if grids:
        b64 = base64.b64encode(grids[-1].read_bytes()).decode()
        grid_html = (
            f"<h2>Validation frames at {grids[-1].stem.replace('_', ' ')}: low | remastered | high</h2>"
            f'<img style="max-width:100%" src="data:image/png;base64,{b64}">'
        )
    compare = run / "eval" / "compare.png"  # remaster.adapt
    if compare.is_file():
        b64 = base64.b64encode(compare.read_bytes()).decode()
        grid_html += (
            "<h2>Validation frames: low | base | adapted | high</h2>"
            f'<img style="max-width:100%" src="data:image/png;base64,{b64}">'
        )
    load = {
        k: [(r["step"], r[k]) for r in train if isinstance(r.get(k), (int, float))]
        for k in ("cpu_percent", "rss_mb", "gpu_mem_mb", "gpu_util_percent")
    }
    for k, s in load.items():
        if s:
            charts.append(_svg_chart(f"machine load: {k}", {k: s}))
    last_eval = html.escape(json.dumps(evals[-1]["eval"], indent=1)) if evals else "no evaluation yet"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Remaster run {html.escape(run.name)}</title>
<style>body{{font:14px system-ui;margin:24px;max-width:1200px}}figure{{display:inline-block;margin:8px}}
figcaption{{font-weight:600}}pre{{background:#f4f4f4;padding:8px}}</style></head>
<body><h1>Remaster run <code>{html.escape(str(run))}</code></h1>
<p>{len(train)} training log rows, {len(evals)} evaluations; last step {train[-1]["step"] if train else 0}.</p>
<h2>Latest validation metrics</h2><pre>{last_eval}</pre>
{"".join(charts)}
{grid_html}
</body></html>"""
    out = run / "report.html"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page)
    tmp.replace(out)
    return out
