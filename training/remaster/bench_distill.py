"""Issue #12's comparison table: the teacher at 50 and 4 DDIM steps, the consistency student at
1, 2 and 4 steps, the directly trained one-step realtime model, low and high, on the held-out
test set the shipped model is judged on (models/README.md: the random worlds' test split,
10 frames per world).

    python -m remaster.bench_distill --teacher runs/teacher/checkpoints/step_N.pt \
        --student runs/distill/checkpoints/step_M.pt --direct models/remaster-realtime.onnx \
        --dataset-dir data/random --lpips-backbone PATH --lpips-heads PATH

Every network is exported with remaster.export (one ONNX graph each, fixed timesteps unrolled)
into <work>/, then scored by remaster.evaluate's code on the same frames (PSNR, SSIM, LPIPS,
FLIP; whole frame and object pixels) through onnxruntime, and timed on the CPU with
remaster.bench_infer's timer (a 512x512 frame, static shapes, IO binding, median of --reps runs
after a warm-up). FLOPs per 512x512 frame are
counted on the network (meta device). Writes bench/results/distill.json, distill.md (the table)
and distill.png (low | direct | teacher 50 | teacher 4 | student 1 | 2 | 4 | high, a row per world).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from .bench_infer import atomic_write_json, time_model
from .data import SOURCE, TARGET, to_tensor
from .dataset import read_frame, split_rows
from .evaluate import evaluate, per_scene_sample
from .export import export_model, latent_model, read_metadata
from .losses.lpips import load_lpips
from .model.latent import LatentSampler, SamplerConfig
from .model.remaster import ModelConfig, count_flops
from .runners import OnnxRunner
from .validation import save_eval_grid
from .weights import WeightsUnavailable

ROOT = Path(__file__).resolve().parents[2]
METRICS = ["psnr", "ssim", "lpips", "flip"]
COLUMNS = ["psnr", "ssim", "lpips", "flip", "psnr_obj", "lpips_obj"]


def flops_512(meta: dict) -> int:
    if "timesteps" in meta["model_config"]:  # describe() counts on a meta-device copy
        return LatentSampler(SamplerConfig.from_dict(meta["model_config"])).describe(512, 512)["flops_per_frame"]
    return count_flops(ModelConfig.from_dict(meta["model_config"]), 512, 512)


def export_all(args, work: Path) -> dict[str, Path]:
    """name -> fp32 ONNX file (exported once; an existing file is reused)."""
    files: dict[str, Path] = {}
    if args.direct:
        files["direct (realtime)"] = Path(args.direct)
    plan = [("teacher", args.teacher, n) for n in args.teacher_steps] + [
        ("distill", args.student, n) for n in args.student_steps
    ]
    for kind, ckpt, n in plan:
        name = f"teacher {n} steps" if kind == "teacher" else f"student {n} step{'s' if n > 1 else ''}"
        path = work / (f"teacher-ddim{n}.onnx" if kind == "teacher" else f"student-{n}step.onnx")
        if not path.is_file():
            model, _ = latent_model(ckpt, kind, n)
            export_model(model, path, {"source_checkpoint": Path(ckpt).name}, fp16=False)
        files[name] = path
    return files


def grid_rows(dataset: Path, runners: dict, n_scenes: int) -> list[torch.Tensor]:
    rows = per_scene_sample(split_rows(dataset, "test", need=(SOURCE, TARGET)), 1)[:n_scenes]
    out = []
    for r in rows:
        low = to_tensor(read_frame(dataset, r, SOURCE))[None]
        high = to_tensor(read_frame(dataset, r, TARGET))[None]
        out.append([low] + [run(low).clamp(0, 1) for run in runners.values()] + [high])
    return out


def markdown(rows: list[dict]) -> str:
    head = "| method | steps | GFLOP / 512² frame | CPU ms / 512² frame | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + " --- |" * (4 + len(COLUMNS))]
    for r in rows:
        cells = [
            r["method"],
            str(r.get("steps", "")),
            f"{r['flops_512'] / 1e9:.1f}" if r.get("flops_512") else "",
            f"{r['cpu_ms_512']:.0f}" if r.get("cpu_ms_512") else "",
        ]
        for c in COLUMNS:
            v = r["metrics"].get(c)
            cells.append(
                f"{v:.4f}"
                if isinstance(v, float) and c.startswith(("lpips", "flip", "ssim"))
                else f"{v:.2f}"
                if isinstance(v, float)
                else ""
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True, help="remaster.teacher checkpoint")
    ap.add_argument("--student", required=True, help="remaster.distill checkpoint")
    ap.add_argument(
        "--direct", default=str(ROOT / "models" / "remaster-realtime.onnx"), help="the one-step model trained directly"
    )
    ap.add_argument("--dataset-dir", default=str(ROOT / "data" / "random"))
    ap.add_argument("--frames-per-scene", type=int, default=10)
    ap.add_argument("--teacher-steps", type=int, nargs="+", default=[50, 4])
    ap.add_argument("--student-steps", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--grid-scenes", type=int, default=4)
    ap.add_argument("--work", default="runs/bench-distill", help="exported ONNX files go here")
    ap.add_argument(
        "--out", default=str(ROOT / "bench" / "results" / "distill"), help="writes OUT.json, OUT.md, OUT.png"
    )
    ap.add_argument("--lpips-backbone")
    ap.add_argument("--lpips-heads")
    args = ap.parse_args(argv)
    try:
        lp, err = load_lpips("alex", args.lpips_backbone, args.lpips_heads), None
    except WeightsUnavailable as e:
        lp, err = None, str(e)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    dataset = Path(args.dataset_dir)
    try:
        files = export_all(args, work)
    except (ValueError, FileNotFoundError) as e:
        print(f"bench_distill: {e}", file=sys.stderr)
        return 2
    rows: list[dict] = []
    runners = {}
    low_row = None
    for name, path in files.items():
        meta = read_metadata(path)
        runner = OnnxRunner(str(path))
        runners[name] = runner
        t0 = time.time()
        # A scored model is not scored again (a rerun after a crash or for the table's layout);
        # it is timed on every run (the slow part is the scoring, and timings belong to this run).
        cache = work / f"{path.stem}.{dataset.name}.{args.frames_per_scene}.scores.json"
        if cache.is_file() and cache.stat().st_mtime > path.stat().st_mtime:
            scores = json.loads(cache.read_text())
        else:
            res, _ = evaluate(dataset, runner, METRICS, lp, err, frames_per_scene=args.frames_per_scene, grid_scenes=0)
            scores = {
                "metrics": res["table"]["remaster"],
                "scenes": {s: t["remaster"] for s, t in res["scenes"].items()},
                "frames": res["frames"],
                "low": {"method": "low", "metrics": res["table"][SOURCE], "frames": res["frames"]},
            }
            atomic_write_json(scores, cache)
        low_row = low_row or scores.pop("low")
        scores.pop("low", None)
        timing = time_model(path, "cpu", 512, 512, args.reps, 1, False)  # remaster.bench_infer's timer
        rows.append(
            {
                "method": name,
                "file": str(path),
                "steps": meta.get("sampling_steps", 1),
                "flops_512": flops_512(meta),
                "cpu_ms_512": timing["median_ms"],
                **scores,
            }
        )
        print(
            f"{name}: {json.dumps({k: rows[-1]['metrics'].get(k) for k in COLUMNS})} ({time.time() - t0:.0f} s)",
            flush=True,
        )
    table = [
        low_row,
        *rows,
        {"method": "high", "metrics": {"psnr": float("inf"), "ssim": 1.0, "lpips": 0.0, "flip": 0.0}},
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cols = list(zip(*grid_rows(dataset, runners, args.grid_scenes), strict=True))
    save_eval_grid(out.with_suffix(".png"), *(torch.cat(list(c)) for c in cols))
    result = {
        "dataset": str(dataset),
        "split": "test",
        "frames": low_row["frames"] if low_row else 0,
        "columns": ["low", *files, "high"],
        "table": table,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": os.cpu_count(),
            "torch": torch.__version__,
        },
        "ms_note": "remaster.bench_infer's timer: onnxruntime CPU provider, static 512x512 shapes, IO binding,"
        " median of --reps runs after one warm-up",
        "command": " ".join(["python -m remaster.bench_distill", *(argv if argv is not None else sys.argv[1:])]),
    }
    # Machine-specific paths out of the shipped figures: repository-relative, weight files by name.
    text = json.dumps(result, indent=1, default=str).replace(str(ROOT) + "/", "")
    for w in (args.lpips_backbone, args.lpips_heads):
        if w:
            text = text.replace(w, Path(w).name)
    atomic_write_json(json.loads(text), out.with_suffix(".json"))
    out.with_suffix(".md").write_text(markdown(table))
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
