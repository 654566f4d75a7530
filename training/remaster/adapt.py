"""Adapt a trained network to a game's own pairs with LoRA adapters (the base frozen).

    python -m remaster.adapt --base models/remaster-realtime.base.safetensors \\
        --dataset-dir data/my-game [--rank N] [--out runs/adapt-my-game] [--resume auto] [key=value ...]

The training loop is remaster.train's (same progress bar, metrics.jsonl with losses and CPU,
memory and GPU load, checkpoints, exact resume) with configs/adapt.yaml (adapters on the UNet at
rank 1 and the decoder at rank 4, the UNet's convs into and out of the latent trained fully) and:
base=--base; with --rank N every adapted layer at rank N (lora_rank=lora_rank_ae=N; 0: a full
fine-tune of every weight from the base); key=value overrides win (e.g.
lora_targets=encoder,unet,decoder); the dataset's train and val pairs split again 80:20 by camera
path (test pairs stay held out for remaster.evaluate).
Then writes <out>/adapter/ (adapter.safetensors + adapter.json: ranks, the base's weights hash,
size) and <out>/report.html with the curves and a low | base | adapted | high grid.
Export one merged ONNX file with: python -m remaster.export --adapter <out>/adapter --out FILE.onnx
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch

from . import train
from .checkpoint import latest_checkpoint, read_checkpoint
from .config import ConfigError, TrainConfig, from_dict, load_config, parse_cli_overrides
from .data import PairedFrames
from .lora import adapter_ranks, merge, save_adapter
from .report import write_report
from .validation import save_eval_grid

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "adapt.yaml"


def train_argv(args: argparse.Namespace) -> tuple[list[str], list[str], Path]:
    """remaster.train's command line for this adaptation: (argv, its key=value overrides, run folder)."""
    out = Path(args.out or f"runs/adapt-{Path(args.dataset_dir.split(',')[0]).name}")
    # --rank N: every adapted layer at N (without it, configs/adapt.yaml's rank per part); 0: a full
    # fine-tune, where nothing is "also trained fully" (lora_full names layers beside an adapter).
    ranks = [] if args.rank is None else [f"lora_rank={args.rank}", f"lora_rank_ae={args.rank}"]
    if args.rank == 0:
        ranks.append("lora_full=")
    overrides = [f"base={args.base}", f"dataset_dir={args.dataset_dir}", *ranks, f"output_dir={out}", *args.overrides]
    resume = ["--resume", args.resume] if args.resume else []
    return ["--config", str(args.config), *resume, *overrides], overrides, out


@torch.no_grad()
def compare_grid(cfg: TrainConfig, adapted: torch.nn.Module, out: Path) -> Path:
    """low | base | adapted | high on the first validation frames."""
    from .base_model import load_base

    base, _ = load_base(cfg.base)
    val = PairedFrames(
        cfg.dataset_dir,
        "val",
        cfg.source_variant,
        cfg.target_variant,
        limit=cfg.report_images,
        path_val_fraction=cfg.path_val_fraction,
        seed=cfg.seed,
    )
    adapted.eval()
    cols: list[list[torch.Tensor]] = [[], [], [], []]
    for i in range(len(val)):
        low, high = val.pair(i)
        for col, frame in zip(cols, (low, base(low[None])[0], adapted(low[None])[0].float(), high), strict=True):
            col.append(frame)
    path = out / "eval" / "compare.png"
    save_eval_grid(path, *(torch.stack(c) for c in cols))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="base weights (.base.safetensors) or a training checkpoint")
    ap.add_argument("--dataset-dir", required=True, help="the game's pairs (npm run dataset); several: comma-separated")
    ap.add_argument(
        "--rank",
        type=int,
        help="LoRA rank of every adapted layer (default: configs/adapt.yaml: UNet 1, decoder 4); 0: full fine-tune",
    )
    ap.add_argument("--out", help="run folder (default runs/adapt-<dataset name>)")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML of config keys (default configs/adapt.yaml)")
    ap.add_argument("--resume", help="'auto' (latest checkpoint of --out) or a checkpoint path")
    ap.add_argument("overrides", nargs="*", help="key=value config overrides (see remaster/config.py)")
    args = ap.parse_args(argv)
    targs, overrides, out = train_argv(args)
    try:  # the config errors before any work, with this command's name
        load_config(args.config, parse_cli_overrides(overrides))
    except (ConfigError, FileNotFoundError) as e:
        print(f"adapt: config error: {e}", file=sys.stderr)
        return 2
    rc = train.main(targs)
    if rc != 0 or int(os.environ.get("RANK", 0)) != 0:  # under torchrun, rank 0 writes the adapter
        return rc

    ckpt_path = latest_checkpoint(out)
    ckpt = read_checkpoint(ckpt_path)
    cfg = from_dict(ckpt["config"])
    model, base_info = train.build_network(cfg, ckpt)
    model.load_state_dict(ckpt["model"])
    if cfg.lora_rank > 0:
        ranks = adapter_ranks(model)
        base_params = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
        meta = save_adapter(
            model,
            out / "adapter",
            {
                "base": {"path": base_info["path"], "sha256": base_info["sha256"]},
                "base_parameters": base_params,
                "ranks": ranks,
                "lora_rank": cfg.lora_rank,
                "lora_targets": cfg.lora_targets,
                "lora_bias": cfg.lora_bias,
                "lora_full": cfg.lora_full,
                "training_config": ckpt["config"],
                "training_step": ckpt["step"],
            },
        )
        n = meta["parameters"]
        print(
            f"adapt: adapter {out / 'adapter'}: {n} parameters ({100 * n / base_params:.1f}% of the base's"
            f" {base_params}), {meta['bytes'] / 1024:.1f} KiB"
        )
        merge(model)
        hint = f"--adapter {out / 'adapter'}"
    else:
        hint = f"--checkpoint {ckpt_path}"
    grid = compare_grid(cfg, model, out)
    write_report(out)
    print(f"adapt: low | base | adapted | high: {grid}")
    print(f"adapt: export one merged model: npm run export -- {hint} --out {out / 'model.onnx'}")
    print(json.dumps({"run": str(out), "checkpoint": str(ckpt_path), "step": ckpt["step"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
