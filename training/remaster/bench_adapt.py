"""The adaptation table: base alone, LoRA ranks x pair counts, a full fine-tune and training from
scratch on the same pairs, each scored on the scene's held-out camera paths (test split).

    python -m remaster.bench_adapt --scene crypt=data/adapt-crypt --scene workshop=data/adapt-workshop \\
        --base models/remaster-realtime.base.safetensors --lpips-backbone PATH --lpips-heads PATH

Every run is `remaster.adapt` (or `remaster.train` from scratch) in its own process, timed (CPU
minutes = wall minutes of that process on this machine), with the same steps; then
`remaster.evaluate`'s scoring on the test split (whole frame and object pixels). Resumable: a
finished run (checkpoint at the last step and its scores) is not run again.
Writes bench/results/adapt.json, adapt.md (the table) and adapt.svg (LPIPS against minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .checkpoint import latest_checkpoint
from .evaluate import evaluate
from .losses.lpips import load_lpips
from .runners import TorchRunner

ROOT = Path(__file__).resolve().parents[2]
METRICS = ["lpips", "psnr", "flip", "de2000"]
COLUMNS = ["lpips", "psnr", "flip", "de2000_obj", "lpips_obj"]


@dataclass(frozen=True)
class Run:
    name: str
    kind: str  # base | lora | full | scratch
    rank: int = 0
    pairs: int = 0
    targets: str = ""  # lora: the parts adapted (default: encoder, unet, decoder); rank_ae = rank when set
    object_weight: float = 0.0  # surface pixels' weight in the MSE (config.object_weight)
    colour_factor: float = 0.0  # the Lab L1 term's weight (config.colour_factor)
    mse_factor: float = 1.0  # config.mse_factor (0: the Lab L1 term instead of MSE)
    bias: bool = False  # config.lora_bias: every bias trains too
    learning_rate: float = 0.0  # config.learning_rate (0: configs/adapt.yaml's)


def plan(ranks: list[int], pair_counts: list[int]) -> list[Run]:
    runs = [Run("base", "base")]
    for n in pair_counts:
        runs += [Run(f"lora-r{r}-{n}p", "lora", r, n) for r in ranks]
        runs.append(Run(f"full-{n}p", "full", 0, n))
    most = max(pair_counts)
    # The decoder alone at the UNet's rank: an adapter of ~4% of the base (the size bar is 5%).
    runs.append(Run(f"lora-r8-decoder-{most}p", "lora", 8, most, targets="decoder"))
    # The same with every bias of the network trained too (BitFit: per-channel offsets, ~1% of the base).
    runs.append(Run(f"lora-r8-decoder-bias-{most}p", "lora", 8, most, targets="decoder", bias=True))
    # The same at 3x and 10x the learning rate (LoRA's updates start from B = 0).
    for lr, tag in ((3e-3, "lr3e3"), (1e-2, "lr1e2")):
        runs.append(Run(f"lora-r8-decoder-{tag}-{most}p", "lora", 8, most, targets="decoder", learning_rate=lr))
    # Object pixels weighted 5x in the MSE (the colour-error bar is on object pixels).
    runs.append(Run(f"lora-r8-objw4-{most}p", "lora", 8, most, object_weight=4.0))
    # + an L1 loss in CIE Lab (the colour error is CIEDE2000): the default adapter with it.
    runs.append(Run(f"lora-r8-decoder-lab-{most}p", "lora", 8, most, targets="decoder", colour_factor=0.02))
    # L1 in Lab *instead of* MSE: the shipped model's stage-2 objective (configs/realtime-colour.yaml).
    runs.append(Run(f"lora-r8-decoder-l1lab-{most}p", "lora", 8, most, "decoder", colour_factor=0.1, mse_factor=0.0))
    runs.append(Run(f"scratch-{most}p", "scratch", 0, most))
    return runs


def command(run: Run, dataset: str, base: str, out: Path, steps: int, lpips: list[str]) -> list[str]:
    py = sys.executable
    common = [
        f"train_pairs={run.pairs}",
        f"max_steps={steps}",
        f"save_steps={max(1, steps // 4)}",
        f"eval_steps={steps}",
        *lpips,
    ]
    if run.kind == "scratch":
        return [
            py,
            "-m",
            "remaster.train",
            "--config",
            str(ROOT / "training/configs/realtime.yaml"),
            "--resume",
            "auto",
            f"dataset_dir={dataset}",
            f"output_dir={out}",
            "path_val_fraction=0.2",
            f"lpips_start_step={steps // 3}",
            "num_eval_images=16",
            "metrics_list=lpips,mse,ssim,psnr",
            *common,
        ]
    rank = run.rank if run.kind == "lora" else 0
    if run.colour_factor:
        common.append(f"colour_factor={run.colour_factor}")
    if run.mse_factor != 1.0:
        common.append(f"mse_factor={run.mse_factor}")
    if run.object_weight:
        common.append(f"object_weight={run.object_weight}")
    if run.bias:
        common.append("lora_bias=true")
    if run.learning_rate:
        common.append(f"learning_rate={run.learning_rate}")
    if run.targets:
        common += [f"lora_targets={run.targets}", f"lora_rank_ae={run.rank}"]
    elif run.kind == "lora":  # pix2pix-Turbo's layout: every part, the autoencoder at half rank
        common += ["lora_targets=encoder,unet,decoder", "lora_rank_ae=-1"]
    return [
        py,
        "-m",
        "remaster.adapt",
        "--base",
        base,
        "--dataset-dir",
        dataset,
        "--rank",
        str(rank),
        "--resume",
        "auto",
        "--out",
        str(out),
    ] + common


def finished(out: Path, steps: int) -> Path | None:
    ck = latest_checkpoint(out)
    return ck if ck is not None and int(ck.stem.split("_")[1]) >= steps else None


def score(dataset: Path, runner, lp, frames: int) -> dict:
    res, _ = evaluate(dataset, runner, METRICS, lp, None, split="test", frames_per_scene=frames)
    return {"remaster": res["table"]["remaster"], "low": res["table"]["low"], "frames": res["frames"]}


def adapter_size(out: Path) -> dict:
    cfg = out / "adapter" / "adapter.json"
    if not cfg.is_file():
        return {}
    meta = json.loads(cfg.read_text())
    return {
        "adapter_parameters": meta["parameters"],
        "adapter_bytes": meta["bytes"],
        "base_parameters": meta["base_parameters"],
    }


def markdown(results: dict) -> str:
    lines = []
    for scene, s in results["scenes"].items():
        low = s["low"]
        lines += [
            f"**{scene}** ({s['frames']} held-out frames; low: LPIPS {low['lpips']:.4f}, PSNR {low['psnr']:.2f} dB,"
            f" FLIP {low['flip']:.4f}, object CIEDE2000 {low['de2000_obj']:.2f})",
            "",
            "| run | pairs | CPU min | adapter params (% of base) | LPIPS | PSNR dB | FLIP | dE2000 obj | LPIPS obj"
            " | LPIPS gain vs full FT |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        base = s["runs"]["base"]["scores"]
        for name, r in s["runs"].items():
            sc = r["scores"]
            full = s["runs"].get(f"full-{r['pairs']}p")
            gain = ""
            if r["kind"] == "lora" and full:
                denom = base["lpips"] - full["scores"]["lpips"]
                gain = f"{100 * (base['lpips'] - sc['lpips']) / denom:.0f}%" if denom > 0 else "n/a (full FT no gain)"
            size = (
                f"{r['adapter_parameters']} ({100 * r['adapter_parameters'] / r['base_parameters']:.1f}%)"
                if r.get("adapter_parameters")
                else "-"
            )
            minutes = f"{r['minutes']:.1f}" if r.get("minutes") else "-"
            lines.append(
                f"| {name} | {r['pairs'] or '-'} | {minutes} | {size} | {sc['lpips']:.4f} | {sc['psnr']:.2f} |"
                f" {sc['flip']:.4f} | {sc['de2000_obj']:.2f} | {sc['lpips_obj']:.4f} | {gain} |"
            )
        lines.append("")
    return "\n".join(lines)


def svg(results: dict, width: int = 960, height: int = 340) -> str:
    """LPIPS on held-out paths against CPU minutes, a panel per scene; base and low as dashed lines."""
    panels = []
    colours = {"lora": "#2563eb", "full": "#dc2626", "scratch": "#16a34a", "base": "#6b7280"}
    scenes = list(results["scenes"].items())
    pw = width // max(1, len(scenes))
    for i, (scene, s) in enumerate(scenes):
        pts = [(r.get("minutes") or 0.0, r["scores"]["lpips"], r) for r in s["runs"].values()]
        ys = [p[1] for p in pts] + [s["low"]["lpips"]]
        x1 = max(p[0] for p in pts) * 1.1 or 1
        y0, y1 = min(ys) * 0.95, max(ys) * 1.05
        ox = i * pw

        def sx(x: float, ox: int = ox, x1: float = x1) -> float:
            return ox + 45 + x / x1 * (pw - 60)

        def sy(y: float, y0: float = y0, y1: float = y1) -> float:
            return height - 30 - (y - y0) / (y1 - y0) * (height - 60)

        title = f"{scene}: held-out LPIPS vs CPU minutes"
        g = [f'<text x="{ox + 45}" y="16" font-size="12" font-weight="600">{title}</text>']
        for label, y in (("low", s["low"]["lpips"]), ("base", s["runs"]["base"]["scores"]["lpips"])):
            g.append(
                f'<line x1="{sx(0)}" x2="{sx(x1)}" y1="{sy(y):.1f}" y2="{sy(y):.1f}"'
                ' stroke="#999" stroke-dasharray="4 3"/>'
            )
            g.append(f'<text x="{sx(x1) - 30:.0f}" y="{sy(y) - 3:.1f}" font-size="10" fill="#666">{label}</text>')
        for x, y, r in pts:
            if r["kind"] == "base":
                continue
            rad = 3 + (r.get("pairs", 0) or 0) / 50
            colour = colours[r["kind"]]
            g.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="{rad:.1f}" fill="{colour}" fill-opacity="0.7"/>')
            label = (
                (f"r{r['rank']}" + (f"-{r['targets']}" if r.get("targets") else ""))
                if r["kind"] == "lora"
                else r["kind"]
            )
            g.append(f'<text x="{sx(x) + rad + 2:.1f}" y="{sy(y) + 3:.1f}" font-size="9">{label}/{r["pairs"]}</text>')
        g.append(f'<text x="{ox + 2}" y="{sy(y1) + 4:.0f}" font-size="10">{y1:.3f}</text>')
        g.append(f'<text x="{ox + 2}" y="{sy(y0):.0f}" font-size="10">{y0:.3f}</text>')
        g.append(f'<text x="{sx(x1) - 40:.0f}" y="{height - 8}" font-size="10">{x1:.1f} min</text>')
        panels.append("".join(g))
    legend = " ".join(
        f'<text x="{10 + k * 90}" y="{height - 8}" font-size="10" fill="{c}">{n}</text>'
        for k, (n, c) in enumerate(colours.items())
        if n != "base"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" style="background:#fff">'
        f"{''.join(panels)}{legend}</svg>\n"
    )


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scene", action="append", required=True, help="NAME=DATASET_DIR (repeatable)")
    ap.add_argument("--base", default=str(ROOT / "models/remaster-realtime.base.safetensors"))
    ap.add_argument("--ranks", default="4,8,16")
    ap.add_argument("--pairs", default="50,200")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=24, help="held-out frames scored per scene")
    ap.add_argument("--runs-dir", default=str(ROOT / "runs/bench-adapt"))
    ap.add_argument("--out", default=str(ROOT / "bench/results/adapt"))
    ap.add_argument("--only", help="comma-separated run names")
    ap.add_argument("--lpips-backbone", required=True)
    ap.add_argument("--lpips-heads", required=True)
    args = ap.parse_args(argv)
    args.base = str(Path(args.base).resolve())
    lp = load_lpips("alex", args.lpips_backbone, args.lpips_heads)
    lpips_keys = [
        f"lpips_backbone={Path(args.lpips_backbone).resolve()}",
        f"lpips_heads={Path(args.lpips_heads).resolve()}",
    ]
    runs = plan([int(r) for r in args.ranks.split(",")], [int(n) for n in args.pairs.split(",")])
    # Absolute: the runs' cwd is training/, so a path relative to here would name another folder there.
    runs_dir = Path(args.runs_dir).resolve()
    if args.only:
        runs = [r for r in runs if r.name in args.only.split(",") or r.kind == "base"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results_path = out.with_suffix(".json")
    results = json.loads(results_path.read_text()) if results_path.is_file() else {"scenes": {}}
    results.update({"steps": args.steps, "base": Path(args.base).name, "machine": f"{os.cpu_count()} CPU cores"})
    for spec in args.scene:
        scene, dataset = spec.split("=", 1)
        dataset = str(Path(dataset).resolve())
        rel = os.path.relpath(dataset, ROOT)  # no machine's absolute path in the committed results
        s = results["scenes"].setdefault(scene, {"dataset": rel, "runs": {}})
        s["steps"] = args.steps
        for run in runs:
            prev = s["runs"].get(run.name)
            run_dir = runs_dir / scene / run.name
            if prev and (run.kind == "base" or finished(run_dir, args.steps)):
                continue
            minutes = None
            if run.kind == "base":
                runner = TorchRunner(args.base)
            else:
                if not finished(run_dir, args.steps):
                    print(f"bench_adapt: {scene} {run.name} ...", file=sys.stderr, flush=True)
                    t0 = time.time()
                    cmd = command(run, dataset, args.base, run_dir, args.steps, lpips_keys)
                    log = run_dir.with_suffix(".log")
                    log.parent.mkdir(parents=True, exist_ok=True)
                    with open(log, "w") as f:
                        rc = subprocess.call(cmd, cwd=ROOT / "training", stdout=f, stderr=subprocess.STDOUT)
                    if rc != 0:
                        print(f"bench_adapt: {run.name} failed (exit {rc}); see {log}", file=sys.stderr)
                        return 1
                    minutes = (time.time() - t0) / 60
                elif prev:
                    minutes = prev.get("minutes")
                runner = TorchRunner(finished(run_dir, args.steps))
            scores = score(Path(dataset), runner, lp, args.frames)
            s["low"] = scores["low"]
            s["frames"] = scores["frames"]
            s["runs"][run.name] = {
                **asdict(run),
                "minutes": minutes,
                "scores": scores["remaster"],
                **adapter_size(run_dir),
            }
            write_atomic(results_path, json.dumps(results, indent=1))
            print(f"bench_adapt: {scene} {run.name}: {json.dumps(s['runs'][run.name]['scores'])}", file=sys.stderr)
    write_atomic(out.with_suffix(".md"), markdown(results))
    write_atomic(out.with_suffix(".svg"), svg(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
