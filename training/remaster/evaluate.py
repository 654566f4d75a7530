"""Evaluate a model on the held-out test split, next to the baselines, on the same frames.

    python -m remaster.evaluate --checkpoint runs/realtime/checkpoints/step_N.pt [--onnx model.onnx] \
        --dataset-dir data/courtyard --out runs/realtime/eval-test

Methods: `low` (the input frame itself), every baseline the dataset has (`low_fxaa_sharpen`,
`low_fsr1`), and the model (`remaster`, from a checkpoint via PyTorch or an exported ONNX file via
onnxruntime). Each is compared with `high`. Writes results.json, results.md, results.html and
grid.png (rows of low | baselines | remaster | high).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .data import SOURCE, TARGET, load_png, to_tensor
from .dataset import baseline_variants, split_rows, splits
from .losses.lpips import LPIPS, load_lpips
from .metrics import METRICS, MetricSuite
from .weights import WeightsUnavailable


class TorchRunner:
    def __init__(self, checkpoint: str):
        from .export import load_checkpoint_model

        self.model, _ = load_checkpoint_model(checkpoint)
        self.name = f"checkpoint {checkpoint}"

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class OnnxRunner:
    def __init__(self, path: str):
        import onnxruntime as ort

        self.sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.dtype = np.float16 if self.sess.get_inputs()[0].type == "tensor(float16)" else np.float32
        self.name = f"onnx {path}"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.sess.run(["output"], {"input": x.numpy().astype(self.dtype)})[0]
        return torch.from_numpy(out.astype(np.float32))


def evaluate(
    dataset_dir: Path,
    runner,
    metrics: list[str],
    lpips_model: LPIPS | None,
    lpips_error: str | None,
    limit: int | None = None,
    grid_rows: int = 4,
    split: str = "test",
):
    rows = split_rows(dataset_dir, split, need=(SOURCE, TARGET))
    rows = rows[:limit] if limit else rows
    suite = MetricSuite(metrics, lpips_model, lpips_error)
    methods = [SOURCE, *baseline_variants(rows[0])] + (["remaster"] if runner else [])
    per: dict[str, dict[str, list[float]]] = {m: {} for m in methods}
    ms: dict[str, list[float]] = {m: [] for m in methods}
    grid = []
    for i, r in enumerate(rows):
        high = to_tensor(load_png(dataset_dir / r["files"][TARGET]))[None]
        low = to_tensor(load_png(dataset_dir / r["files"][SOURCE]))[
            None
        ]  # decoded once: a method and the model's input
        outs = {}
        for m in methods:
            if m == "remaster":
                t0 = time.perf_counter()
                outs[m] = runner(low).float().clamp(0, 1)
                ms[m].append((time.perf_counter() - t0) * 1000)
            else:
                img = low if m == SOURCE else to_tensor(load_png(dataset_dir / r["files"][m]))[None]
                if img.shape[-2:] != high.shape[-2:]:  # low rendered at reduced scale: compare upsampled
                    img = torch.nn.functional.interpolate(
                        img, size=high.shape[-2:], mode="bilinear", align_corners=False
                    )
                outs[m] = img
                ms[m].append(float(r.get("renderMs", {}).get(m, float("nan"))))
            for k, v in suite.per_image(outs[m], high).items():
                per[m].setdefault(k, []).extend(v)
        if i < grid_rows:
            grid.append(torch.cat([outs[m][0] for m in methods] + [high[0]], dim=2))
    table = {}
    for m in methods:
        table[m] = {k: float(np.mean(v)) for k, v in per[m].items()}
        table[m]["ms_per_frame"] = float(np.nanmean(ms[m])) if ms[m] else None
    return {
        "frames": len(rows),
        "split": split,
        "size": rows[0]["size"],
        "methods": methods,
        "table": table,
        "unavailable": suite.unavailable,
        "model": runner.name if runner else None,
        "ms_note": "remaster: CPU inference in this process (PyTorch or onnxruntime)"
        "; others: the renderer's render ms from the manifest",
        # Mean render ms per variant over these frames (high included: the cost the model replaces).
        "render_ms": {
            v: float(np.nanmean([float(r.get("renderMs", {}).get(v, float("nan"))) for r in rows]))
            for v in [SOURCE, TARGET, *[m for m in methods if m not in (SOURCE, "remaster")]]
            if any(v in r.get("renderMs", {}) for r in rows)
        },
        "engine": rows[0].get("engine"),
    }, (torch.cat(grid, dim=1) if grid else None)


def to_markdown(res: dict) -> str:
    metrics = [k for k in next(iter(res["table"].values())) if k != "ms_per_frame"]
    head = (
        "| method | "
        + " | ".join(f"{m} {'↓' if METRICS[m].lower_is_better else '↑'}" for m in metrics)
        + " | ms/frame |"
    )
    lines = [head, "|" + " --- |" * (len(metrics) + 2)]
    for method, vals in res["table"].items():
        cells = [f"{vals[m]:.4f}" if m != "psnr" else f"{vals[m]:.2f}" for m in metrics]
        msv = vals["ms_per_frame"]
        lines.append(
            f"| {method} | " + " | ".join(cells) + f" | {msv:.1f} |"
            if msv == msv and msv is not None
            else f"| {method} | " + " | ".join(cells) + " | n/a |"
        )
    for k, why in res["unavailable"].items():
        lines.append(f"\n{k}: unavailable ({why})")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset-dir", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("--onnx")
    ap.add_argument("--out", required=True)
    ap.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated, of {', '.join(METRICS)}")
    ap.add_argument("--lpips-backbone")
    ap.add_argument("--lpips-heads")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--split", default="test", choices=splits())
    args = ap.parse_args(argv)
    if args.checkpoint and args.onnx:
        print("evaluate: pass --checkpoint or --onnx, not both", file=sys.stderr)
        return 2
    runner = TorchRunner(args.checkpoint) if args.checkpoint else OnnxRunner(args.onnx) if args.onnx else None
    lp, err = None, None
    try:
        lp = load_lpips("alex", args.lpips_backbone, args.lpips_heads)
    except WeightsUnavailable as e:
        err = str(e)
    res, grid = evaluate(Path(args.dataset_dir), runner, args.metrics.split(","), lp, err, args.limit, split=args.split)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    md = to_markdown(res)
    (out / "results.md").write_text(md)
    if grid is not None:
        from PIL import Image

        Image.fromarray((grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype("uint8")).save(out / "grid.png")
    cols = " | ".join(res["methods"] + ["high"])
    (out / "results.html").write_text(
        f"<!doctype html><meta charset=utf-8><title>Remaster evaluation</title>"
        f"<body style='font:14px system-ui;margin:24px'>"
        f"<h1>Split '{res['split']}': {res['frames']} frames</h1><pre>{html.escape(md)}</pre>"
        f"<h2>{html.escape(cols)}</h2><img src='grid.png' style='max-width:100%'></body>"
    )
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
