"""Evaluation results as files a person reads: results.json (everything), results.md (the overall
table, then one row per scene and method), results.html (both, and the grid) and grid.png (a row
per scene: low | baselines | remaster | high). Written atomically."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .metrics import OBJ, lower_is_better

# The per-scene table's columns (the overall table shows every metric measured).
SCENE_COLUMNS = ("psnr", "lpips", "de2000", "psnr" + OBJ, "lpips" + OBJ, "flip" + OBJ, "de2000" + OBJ)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _cell(metric: str, v) -> str:
    if v is None or v != v:
        return "n/a"
    return f"{v:.2f}" if metric.startswith(("psnr", "de2000")) else f"{v:.4f}"


def _head(metrics: list[str]) -> str:
    return " | ".join(f"{m} {'↓' if lower_is_better(m) else '↑'}" for m in metrics)


def to_markdown(res: dict) -> str:
    first = next(iter(res["table"].values()))
    metrics = [k for k in first if k != "ms_per_frame"]
    lines = [
        f"All {res['frames']} frames ({res['masked_frames']} with geometry masks: `_obj` = object pixels only)",
        "",
    ]
    lines += [f"| method | {_head(metrics)} | ms/frame |", "|" + " --- |" * (len(metrics) + 2)]
    for method, vals in res["table"].items():
        msv = vals["ms_per_frame"]
        ms = f"{msv:.1f}" if msv is not None and msv == msv else "n/a"
        lines.append(f"| {method} | " + " | ".join(_cell(m, vals.get(m)) for m in metrics) + f" | {ms} |")
    cols = [c for c in SCENE_COLUMNS if c in first]
    lines += ["", "Per scene", "", f"| scene | frames | method | {_head(cols)} |", "|" + " --- |" * (len(cols) + 3)]
    for scene, t in sorted(res["scenes"].items()):
        for method, vals in t.items():
            cells = " | ".join(_cell(m, vals.get(m)) for m in cols)
            lines.append(f"| {scene} | {vals['frames']} | {method} | {cells} |")
    if res.get("checks"):
        bad = [
            f"{s} ({', '.join(k for k, ok in c.items() if ok is False)})"
            for s, c in res["checks"].items()
            if False in c.values()
        ]
        measured = sum(1 for c in res["checks"].values() if any(ok is not None for ok in c.values()))
        lines += [
            "",
            f"Scenes where remaster beats low on {' and '.join(next(iter(res['checks'].values())))}: "
            f"{measured - len(bad)} of {measured}" + (f"; worse on: {'; '.join(bad)}" if bad else ""),
        ]
    t = res.get("temporal")
    if t:
        lines += [
            "",
            f"Temporal, over {len(t['clips'])} clips ({t['units']})",
            "",
            "| method | tLP x100 ↓ | warping error x1000 ↓ |",
            "| --- | --- | --- |",
        ]
        for method, v in t["methods"].items():
            lines.append(f"| {method} | {_cell('tlp', v.get('tlp'))} | {_cell('warp', v.get('warp_error'))} |")
    for k, why in res["unavailable"].items():
        lines.append(f"\n{k}: unavailable ({why})")
    return "\n".join(lines) + "\n"


def write_report(out: Path, res: dict, grid: torch.Tensor | None) -> str:
    """Writes the files into `out`; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "results.json", (json.dumps(res, indent=1) + "\n").encode())
    md = to_markdown(res)
    _atomic_write(out / "results.md", md.encode())
    if grid is not None:
        tmp = out / ".grid.png.tmp"
        Image.fromarray((grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(tmp, format="PNG")
        os.replace(tmp, out / "grid.png")
    cols = " | ".join(res["methods"] + ["high"])
    page = (
        "<!doctype html><meta charset=utf-8><title>Remaster evaluation</title>"
        "<body style='font:14px system-ui;margin:24px'>"
        f"<h1>Split '{res['split']}': {res['frames']} frames</h1><pre>{html.escape(md)}</pre>"
        f"<h2>A frame per scene: {html.escape(cols)}</h2><img src='grid.png' style='max-width:100%'></body>"
    )
    _atomic_write(out / "results.html", page.encode())
    return md
