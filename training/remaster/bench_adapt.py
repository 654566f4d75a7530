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
import math
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
    rank: int | None = None  # lora: every adapted layer at this rank; None: configs/adapt.yaml's ranks
    pairs: int = 0
    targets: str = ""  # lora: the parts adapted (default: encoder, unet, decoder); rank_ae = rank when set
    overrides: tuple[str, ...] = ()  # config key=value pairs of this run (remaster/config.py)


# configs/adapt.yaml's recipe before 2026-11-24 (the decoder adapter at rank 8), which the earlier
# tables' runs used: they keep it, so their rows mean what they meant.
EARLIER = ("learning_rate=0.001", "unet_lr_scale=0.068", "colour_factor=0.0", "lora_full=")


def plan(ranks: list[int], pair_counts: list[int]) -> list[Run]:
    most = max(pair_counts)
    runs = [Run("base", "base")]
    for n in pair_counts:
        # configs/adapt.yaml as committed: the default adapter, and the same recipe as a full fine-tune.
        runs += [Run(f"default-{n}p", "lora", None, n), Run(f"full-default-{n}p", "full", 0, n)]
    for n in pair_counts:
        runs += [Run(f"lora-r{r}-{n}p", "lora", r, n, overrides=EARLIER) for r in ranks]
        runs.append(Run(f"full-{n}p", "full", 0, n, overrides=EARLIER))

    def earlier(name: str, rank: int, targets: str, *overrides: str) -> Run:
        return Run(f"{name}-{most}p", "lora", rank, most, targets, (*EARLIER, *overrides))

    # The decoder alone at the UNet's rank: an adapter of ~4% of the base (the size bar is 5%);
    # with every bias trained too (BitFit); at 3x and 10x the learning rate (B starts at 0).
    dec = "lora-r8-decoder"
    runs.append(earlier(dec, 8, "decoder"))
    runs.append(earlier(f"{dec}-bias", 8, "decoder", "lora_bias=true"))
    runs += [
        earlier(f"{dec}-{t}", 8, "decoder", f"learning_rate={lr}") for lr, t in (("0.003", "lr3e3"), ("0.01", "lr1e2"))
    ]
    # Where does the full fine-tune's extra gain lie? The decoder adapter with the whole encoder
    # trained fully (12.5% of the base with the adapter: a probe, over the 5% bar), then its first three convs only.
    enc = "encoder.layers.0,encoder.layers.1,encoder.layers.2"
    runs.append(earlier(f"{dec}-encfull", 8, "decoder", f"lora_full={enc},encoder.layers.3,encoder.layers.4"))
    runs.append(earlier(f"{dec}-enc012", 8, "decoder", f"lora_full={enc}"))
    # Object pixels weighted 5x in the MSE (the colour-error bar is on object pixels).
    runs.append(earlier("lora-r8-objw4", 8, "", "object_weight=4.0"))
    # pix2pix-Turbo's layout with the UNet's adapters at the common learning rate: the UNet's
    # learning-rate scale (0.068, for its full weights) also slows its adapters, whose B starts at 0.
    lr1 = "unet_lr_scale=1.0"
    runs.append(earlier("lora-r8-unetlr1", 8, "", lr1))
    # Within the 5% bar: the UNet alone at rank 2; the UNet at rank 1 with the decoder at rank 4,
    # at 1x, 3x and 10x the rate; with the UNet's 3x3 convs into and out of the latent trained fully
    # (io); at 2x and 3x; with an L1 term in Lab (the colour error is CIEDE2000).
    runs.append(earlier("lora-r2-unet", 2, "unet", lr1))
    small, io = (lr1, "lora_rank_ae=4"), "lora_full=unet.conv_in,unet.conv_out"
    for tag, extra in (
        ("", ()),
        ("-lr3e3", ("learning_rate=0.003",)),
        ("-lr1e2", ("learning_rate=0.01",)),
        ("-io", (io,)),
        ("-io-lr2e3", (io, "learning_rate=0.002")),
        ("-io-lr3e3", (io, "learning_rate=0.003")),
        ("-lr3e3-lab", ("learning_rate=0.003", "colour_factor=0.01")),
        ("-io-lr3e3-lab005", (io, "learning_rate=0.003", "colour_factor=0.005")),  # configs/adapt.yaml now
        ("-io-lr2e3-lab003", (io, "learning_rate=0.002", "colour_factor=0.003")),
    ):
        runs.append(earlier(f"lora-r1-unet-r4-decoder{tag}", 1, "unet,decoder", *small, *extra))
    # The full fine-tune with the UNet at the common rate, at 1x and 2x (the LPIPS-gain reference is
    # the best full fine-tune of those run on the same pairs).
    runs.append(Run(f"full-unetlr1-{most}p", "full", 0, most, overrides=(*EARLIER, lr1)))
    runs.append(Run(f"full-unetlr1-lr2e3-{most}p", "full", 0, most, overrides=(*EARLIER, lr1, "learning_rate=0.002")))
    # + an L1 loss in CIE Lab: the decoder adapter with it; L1 in Lab *instead of* MSE (the shipped
    # model's stage-2 objective, configs/realtime-colour.yaml).
    runs.append(earlier(f"{dec}-lab", 8, "decoder", "colour_factor=0.02"))
    runs.append(earlier(f"{dec}-l1lab", 8, "decoder", "colour_factor=0.1", "mse_factor=0.0"))
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
    rank = ["--rank", str(run.rank if run.kind == "lora" else 0)] if run.rank is not None else []
    if run.targets:
        common += [f"lora_targets={run.targets}", f"lora_rank_ae={run.rank}"]
    elif run.kind == "lora" and run.rank is not None:  # pix2pix-Turbo's layout: every part, the autoencoder at half
        common += ["lora_targets=encoder,unet,decoder", "lora_rank_ae=-1"]
    common += run.overrides
    return [
        py,
        "-m",
        "remaster.adapt",
        "--base",
        base,
        "--dataset-dir",
        dataset,
        *rank,
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


def lpips_gain_share(scene: dict, run: dict) -> float | None:
    """How much of the best full fine-tune's LPIPS gain over the base (the best of every full
    fine-tune run on the same pairs) a LoRA run reaches: None for other runs or without a full
    fine-tune; NaN when no full fine-tune gained."""
    fulls = [f["scores"]["lpips"] for f in scene["runs"].values() if f["kind"] == "full" and f["pairs"] == run["pairs"]]
    if run["kind"] != "lora" or not fulls:
        return None
    base = scene["runs"]["base"]["scores"]["lpips"]
    denom = base - min(fulls)
    return (base - run["scores"]["lpips"]) / denom if denom > 0 else float("nan")


def markdown(results: dict) -> str:
    lines = []
    for scene, s in results["scenes"].items():
        low = s["low"]
        lines += [
            f"**{scene}** ({s['frames']} held-out frames; low: LPIPS {low['lpips']:.4f}, PSNR {low['psnr']:.2f} dB,"
            f" FLIP {low['flip']:.4f}, object CIEDE2000 {low['de2000_obj']:.2f})",
            "",
            "| run | pairs | CPU min | adapter params (% of base) | LPIPS | PSNR dB | FLIP | dE2000 obj | LPIPS obj"
            " | LPIPS gain vs best full FT |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in s["runs"].items():
            sc = r["scores"]
            share = lpips_gain_share(s, r)
            gain = "" if share is None else "n/a (full FT no gain)" if math.isnan(share) else f"{100 * share:.0f}%"
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
            if r["kind"] != "lora":
                label = r["kind"]
            elif r.get("rank") is None:  # configs/adapt.yaml's layout
                label = "default"
            else:
                label = f"r{r['rank']}" + (f"-{r['targets']}" if r.get("targets") else "")
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


def bars_svg(results: dict, width: int = 980) -> str:
    """One bar per run (held-out LPIPS; low and the shipped model as dashed lines), a panel per
    scene, each bar labelled with minutes, adapter size, object colour error and LPIPS gain: readable
    where the LPIPS-vs-minutes plot has too many runs close together."""
    colours = {"lora": "#2563eb", "full": "#dc2626", "scratch": "#16a34a"}
    row, left, right, top = 15, 300, 330, 22
    out, y = [], 0
    for scene, s in results["scenes"].items():
        runs = [(n, r) for n, r in s["runs"].items() if r["kind"] != "base"]
        base = s["runs"]["base"]["scores"]["lpips"]
        x1 = max(base, s["low"]["lpips"], *(r["scores"]["lpips"] for _, r in runs)) * 1.05
        bw = width - left - right

        def sx(v: float, x1: float = x1, bw: int = bw) -> float:
            return left + v / x1 * bw

        out.append(f'<text x="4" y="{y + 15}" font-size="13" font-weight="600">{scene}: held-out LPIPS per run</text>')
        y0 = y + top
        for i, (name, r) in enumerate(runs):
            sc, yy = r["scores"], y0 + i * row
            share = lpips_gain_share(s, r)
            gain = f" · {100 * share:.0f}% of best full FT" if share is not None and not math.isnan(share) else ""
            size = (
                f" · {100 * r['adapter_parameters'] / r['base_parameters']:.1f}% size"
                if r.get("adapter_parameters")
                else ""
            )
            mins = f" · {r['minutes']:.1f} min" if r.get("minutes") else ""
            weight = ' font-weight="600"' if name.startswith("default-") else ""
            out.append(f'<text x="{left - 6}" y="{yy + 11}" font-size="10" text-anchor="end"{weight}>{name}</text>')
            out.append(
                f'<rect x="{left}" y="{yy + 2}" width="{sx(sc["lpips"]) - left:.1f}" height="{row - 4}"'
                f' fill="{colours.get(r["kind"], "#6b7280")}" fill-opacity="0.75"/>'
            )
            out.append(
                f'<text x="{sx(sc["lpips"]) + 4:.1f}" y="{yy + 11}" font-size="10"{weight}>{sc["lpips"]:.4f}'
                f" · dE {sc['de2000_obj']:.2f}{gain}{size}{mins}</text>"
            )
        y1 = y0 + len(runs) * row
        for k, (label, v) in enumerate((("low", s["low"]["lpips"]), ("shipped model", base))):
            out.append(
                f'<line x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{y0}" y2="{y1}" stroke="#555" stroke-dasharray="4 3"/>'
            )
            out.append(
                f'<text x="{sx(v) + 3:.1f}" y="{y1 + 11 + 12 * k}" font-size="10" fill="#555">{label} {v:.4f}</text>'
            )
        y = y1 + 36
    legend = " ".join(
        f'<text x="{left + k * 70}" y="{y + 4}" font-size="10" fill="{c}">{n}</text>'
        for k, (n, c) in enumerate(colours.items())
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 12}" style="background:#fff">'
        f"{''.join(out)}{legend}</svg>\n"
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
    write_atomic(out.parent / f"{out.name}-runs.svg", bars_svg(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
