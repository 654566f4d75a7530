"""Evaluate a model on held-out frames, next to the baselines, on the same frames, per scene.

    python -m remaster.evaluate --checkpoint runs/realtime/checkpoints/step_N.pt [--onnx model.onnx] \
        --dataset-dir data/courtyard --out runs/realtime/eval-test [--split test|val|train|all]

Methods: `low` (the input frame itself), every baseline the dataset has (`low_fxaa_sharpen`,
`low_fsr1`), and the model (`remaster`, from a checkpoint via PyTorch or an exported ONNX file via
onnxruntime; `--deadzone LEVELS` scores a checkpoint at another inference deadzone, for choosing
it on validation frames). Each is compared with `high`, on the whole frame and, where the dataset has geometry
masks, on object pixels alone (`<metric>_obj`). Results per scene (the manifest's `layout`: a demo
layout, a random world, a glTF file) and over all frames. Writes results.json, results.md,
results.html and grid.png (a row per scene: low | baselines | remaster | high).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from .checkpoint import CheckpointError
from .data import SOURCE, TARGET, load_png, to_tensor
from .dataset import (
    DatasetError,
    baseline_variants,
    read_frame,
    read_manifest,
    read_timings,
    render_ms,
    split_rows,
    splits,
)
from .eval_report import write_report
from .losses.lpips import LPIPS, load_lpips, lpips_01
from .metrics import METRICS, OBJ, MetricSuite, lower_is_better
from .runners import ModelMismatch, OnnxRunner, TorchRunner, checked_output, runner_input
from .temporal import clip_metrics, load_depth
from .weights import WeightsUnavailable

ALL = "all"
# Per scene, the remastered frame must beat the low frame on these (issue #10's bar).
SCENE_CHECKS = ("lpips" + OBJ, "de2000" + OBJ)


def load_mask(path: Path) -> torch.Tensor:
    """(1, 1, H, W) bool: true on surfaces (the renderer's mask PNG is white there)."""
    return torch.from_numpy(load_png(path)[..., 0] > 127)[None, None]


def _means(per: dict[str, list[float]]) -> dict[str, float]:
    return {k: float(np.nanmean(v)) if not np.all(np.isnan(v)) else float("nan") for k, v in per.items()}


def evaluate(
    dataset_dir: Path,
    runner,
    metrics: list[str],
    lpips_model: LPIPS | None,
    lpips_error: str | None,
    limit: int | None = None,
    grid_scenes: int = 12,
    split: str = "test",
    grid_tile: int = 0,
    frames_per_scene: int = 0,
):
    rows = read_manifest(dataset_dir) if split == ALL else split_rows(dataset_dir, split, need=(SOURCE, TARGET))
    if not rows:
        raise ValueError(f"{dataset_dir}: no rows")
    clip_rows = [r for r in rows if r.get("clip")]
    rows = [r for r in rows if not r.get("clip")]  # clips are scored for time, below
    rows = per_scene_sample(rows, frames_per_scene) if frames_per_scene else rows
    rows = rows[:limit] if limit else rows
    suite = MetricSuite(metrics, lpips_model, lpips_error)
    timings = read_timings(dataset_dir)  # render ms per pair (the renderer's measurements)
    methods = [SOURCE, *baseline_variants(rows[0])] + (["remaster"] if runner else [])
    per: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in methods}
    scenes: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: {m: defaultdict(list) for m in methods})
    ms: dict[str, list[float]] = {m: [] for m in methods}
    grid: dict[str, torch.Tensor] = {}
    for r in rows:
        scene = str(r.get("layout", r.get("scene", "all")))
        high = to_tensor(read_frame(dataset_dir, r, TARGET))[None]
        low = to_tensor(read_frame(dataset_dir, r, SOURCE))[None]  # decoded once: a method and the input
        mask = load_mask(dataset_dir / r["mask"]) if r.get("mask") else None
        outs = {}
        for m in methods:
            if m == "remaster":
                t0 = time.perf_counter()
                outs[m] = checked_output(runner, runner_input(runner, low, dataset_dir, r), high.shape[-2:], r["id"])
                ms[m].append((time.perf_counter() - t0) * 1000)
            else:
                img = low if m == SOURCE else to_tensor(read_frame(dataset_dir, r, m))[None]
                if img.shape[-2:] != high.shape[-2:]:  # low rendered at reduced scale: compare upsampled
                    img = torch.nn.functional.interpolate(
                        img, size=high.shape[-2:], mode="bilinear", align_corners=False
                    )
                outs[m] = img
                ms[m].append(float(render_ms(timings, r).get(m, float("nan"))))
            for k, v in suite.per_image(outs[m], high, mask).items():
                per[m][k].extend(v)
                scenes[scene][m][k].extend(v)
        if scene not in grid and len(grid) < grid_scenes:
            tiles = [outs[m] for m in methods] + [high]
            if grid_tile:  # smaller tiles for a model card
                tiles = [torch.nn.functional.interpolate(t, size=(grid_tile, grid_tile), mode="area") for t in tiles]
            grid[scene] = torch.cat([t[0] for t in tiles], dim=2)  # (3, H, W * columns)
    temporal = temporal_metrics(dataset_dir, clip_rows, runner, methods, lpips_model) if clip_rows else {}
    table = {m: {**_means(per[m]), "ms_per_frame": float(np.nanmean(ms[m])) if ms[m] else None} for m in methods}
    scene_tables = {
        s: {m: {**_means(v[m]), "frames": len(next(iter(v[m].values()), []))} for m in methods}
        for s, v in scenes.items()
    }
    per_row = [render_ms(timings, r) for r in rows]
    render_times = {
        v: float(np.nanmean([float(t.get(v, float("nan"))) for t in per_row]))
        for v in [SOURCE, TARGET, *[m for m in methods if m not in (SOURCE, "remaster")]]
        if any(v in t for t in per_row)
    }
    return {
        "frames": len(rows),
        "split": split,
        "size": rows[0].get("size"),
        "masked_frames": sum(1 for r in rows if r.get("mask")),
        "methods": methods,
        "table": table,
        "scenes": scene_tables,
        "checks": scene_checks(scene_tables) if runner else {},
        "temporal": temporal,
        "unavailable": suite.unavailable,
        "model": runner.name if runner else None,
        "ms_note": "remaster: CPU inference in this process (PyTorch or onnxruntime); others: the renderer's render ms",
        # Mean render ms per variant over these frames (high included: the cost the model replaces).
        "render_ms": render_times,
        "engine": rows[0].get("engine"),
    }, (torch.cat(list(grid.values()), dim=1) if grid else None)


def per_scene_sample(rows: list[dict], n: int) -> list[dict]:
    """At most n frames of each scene, evenly spaced over its frames (ids in order)."""
    by_scene: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_scene[str(r.get("layout"))].append(r)
    out = []
    for rs in by_scene.values():
        step = max(1, len(rs) / n)
        out += [rs[int(i * step)] for i in range(min(n, len(rs)))]
    return out


def temporal_metrics(dataset_dir: Path, clip_rows: list[dict], runner, methods: list[str], lpips_model) -> dict:
    """tLP x100 and warping error x1000 per method (high included), over every clip: means, and per clip."""
    clips: dict[str, list[dict]] = defaultdict(list)
    for r in clip_rows:
        clips[r["clip"]["name"]].append(r)
    lp = (lambda a, b: lpips_01(lpips_model, a, b)) if lpips_model is not None else None
    total: dict[str, dict[str, list[float]]] = {}
    per_clip = {}
    for name, rs in sorted(clips.items()):
        frames = []
        here = [m for m in methods if m in ("remaster", SOURCE) or m in rs[0]["files"]]  # baselines it has
        for r in sorted(rs, key=lambda r: r["clip"]["index"]):
            high = to_tensor(read_frame(dataset_dir, r, TARGET))[None]
            low = to_tensor(read_frame(dataset_dir, r, SOURCE))[None]
            outs = {
                m: (
                    checked_output(runner, runner_input(runner, low, dataset_dir, r), high.shape[-2:], r["id"])
                    if m == "remaster"
                    else low
                    if m == SOURCE
                    else to_tensor(read_frame(dataset_dir, r, m))[None]
                )
                for m in here
            }
            depth = load_depth(dataset_dir / r["depth"], high.shape[-2], high.shape[-1])
            frames.append({"outs": outs, "high": high, "depth": depth, "pose": r["camera"]})
        m = clip_metrics(frames, lp)
        per_clip[name] = {"layout": rs[0].get("layout"), "frames": len(rs), **{k: _means(v) for k, v in m.items()}}
        for k, v in m.items():
            for metric, xs in v.items():
                total.setdefault(k, defaultdict(list))[metric].extend(xs)
    return {
        "methods": {k: _means(v) for k, v in total.items()},
        "clips": per_clip,
        "units": "tlp: |dLPIPS| x100 (0 = the reference's change); warp_error: MSE x1000 on reprojected pixels",
    }


def scene_checks(scene_tables: dict) -> dict[str, dict[str, bool | None]]:
    """Per scene: does the remastered frame beat the low frame on each of SCENE_CHECKS (None: not measured)."""
    out = {}
    for scene, t in scene_tables.items():
        out[scene] = {}
        for k in SCENE_CHECKS:
            a, b = t["remaster"].get(k), t[SOURCE].get(k)
            if a is None or b is None or a != a or b != b:
                out[scene][k] = None
            else:
                out[scene][k] = bool(a < b) if lower_is_better(k) else bool(a > b)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset-dir", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("--onnx")
    ap.add_argument(
        "--deadzone", type=float, help="with --checkpoint: this inference deadzone (8-bit levels) instead of its own"
    )
    ap.add_argument("--out", required=True)
    ap.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated, of {', '.join(METRICS)}")
    ap.add_argument("--lpips-backbone")
    ap.add_argument("--lpips-heads")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--grid-scenes", type=int, default=12, help="scenes in grid.png (a row each)")
    ap.add_argument("--grid-tile", type=int, default=0, help="grid tiles resized to N x N (0: frame size)")
    ap.add_argument("--frames-per-scene", type=int, default=0, help="score at most N frames per scene (0: all)")
    ap.add_argument("--split", default="test", choices=(*splits(), ALL))
    args = ap.parse_args(argv)
    if args.checkpoint and args.onnx:
        print("evaluate: pass --checkpoint or --onnx, not both", file=sys.stderr)
        return 2
    if args.deadzone is not None and not args.checkpoint:
        print("evaluate: --deadzone goes with --checkpoint (an ONNX graph has its own)", file=sys.stderr)
        return 2
    try:
        runner = (
            TorchRunner(args.checkpoint, args.deadzone)
            if args.checkpoint
            else OnnxRunner(args.onnx)
            if args.onnx
            else None
        )
    except (CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"evaluate: model: {e}", file=sys.stderr)
        return 2
    lp, err = None, None
    try:
        lp = load_lpips("alex", args.lpips_backbone, args.lpips_heads)
    except WeightsUnavailable as e:
        err = str(e)
    try:
        res, grid = evaluate(
            Path(args.dataset_dir),
            runner,
            args.metrics.split(","),
            lp,
            err,
            args.limit,
            args.grid_scenes,
            split=args.split,
            grid_tile=args.grid_tile,
            frames_per_scene=args.frames_per_scene,
        )
    except DatasetError as e:
        print(f"evaluate: dataset: {e}", file=sys.stderr)
        return 2
    except ModelMismatch as e:
        print(f"evaluate: {e}", file=sys.stderr)
        return 2
    print(write_report(Path(args.out), res, grid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
