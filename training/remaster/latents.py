"""Latents of a dataset's pairs, for the teacher and the distillation (issue #12), and what both
runs share: the command line and resume, their data and LPIPS, batches drawn from (seed, step)
for exact resume, validation of a frame -> frame network (at several sampling step counts),
metrics rows, checkpoints and the closing report.

Latents: the codec's scaled latents of whole frames, computed once (fp32, eval mode) into memory:
(4, H/8, W/8) float32 per frame, for the high frame (what the teacher learns to produce) and the
low frame (its condition). Batches: random latent crops of resolution / 8, random h-flip.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from . import diffusion_config as C
from .checkpoint import atomic_save, checkpoint_dir, latest_checkpoint, prune, read_checkpoint, rng_state
from .config import parse_cli_overrides, read_yaml
from .data import PairedFrames
from .losses.lpips import LPIPS, load_lpips
from .metrics import MetricSuite, summarise
from .model.latent import LatentCodec, LatentSampler
from .runtime import LoadMeter, autocast
from .validation import save_eval_grid
from .weights import WeightsUnavailable


def start_run(
    argv: list[str] | None, doc: str, kind: str, default_output: str = ""
) -> tuple[C.DiffusionConfig, dict | None, Path | None]:
    """The command line of `python -m remaster.<kind>`: (config, checkpoint to resume or None, its
    path). A ConfigError or CheckpointError names what is wrong. `default_output`: the output_dir
    when neither the YAML file nor the command line sets one."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help=f"YAML file of config keys (configs/{kind}.yaml)")
    ap.add_argument("--resume", help="'auto' (latest checkpoint in output_dir) or a checkpoint path")
    ap.add_argument("overrides", nargs="*", help="key=value overrides")
    args = ap.parse_args(argv)
    overrides = parse_cli_overrides(args.overrides)
    if default_output and "output_dir" not in overrides and "output_dir" not in read_yaml(args.config):
        overrides["output_dir"] = default_output
    cfg = C.load(args.config, overrides)
    resume = None
    if args.resume:
        resume = latest_checkpoint(cfg.output_dir) if args.resume == "auto" else Path(args.resume)
    ckpt = read_checkpoint(resume, kind) if resume else None
    if ckpt is not None:
        cfg = C.resumed(cfg, ckpt["config"])
    return cfg, ckpt, resume


def run_frames(cfg: C.DiffusionConfig) -> tuple[PairedFrames, PairedFrames]:
    """The run's train pairs and its first num_eval_images val pairs (a DatasetError names the fault)."""
    train = PairedFrames(cfg.dataset_dir, "train", cfg.source_variant, cfg.target_variant)
    val = PairedFrames(cfg.dataset_dir, "val", cfg.source_variant, cfg.target_variant, limit=cfg.num_eval_images)
    return train, val


def run_lpips(cfg: C.DiffusionConfig) -> tuple[LPIPS | None, str | None]:
    """LPIPS for losses and validation, or None and why it is unavailable."""
    try:
        return load_lpips("alex", cfg.lpips_backbone or None, cfg.lpips_heads or None), None
    except WeightsUnavailable as e:
        return None, str(e)


class LatentPairs:
    @torch.no_grad()
    def __init__(self, frames: PairedFrames, codec: LatentCodec, device: torch.device, desc: str = "latents"):
        codec.eval()
        self.high, self.low = [], []
        for i in tqdm(range(len(frames)), desc=desc, leave=False, dynamic_ncols=True):
            low, high = frames.pair(i)
            self.low.append(codec.encoder(low[None].to(device))[0].float().cpu())
            self.high.append(codec.encoder(high[None].to(device))[0].float().cpu())
        self.rescale(float(codec.latent_scale))

    def rescale(self, factor: float) -> None:
        """Multiplies every latent by `factor` (the codec's latent_scale, as a Python float: one
        rounding, the same whether the scale was just measured or read from a checkpoint)."""
        self.high = [h * factor for h in self.high]
        self.low = [lo * factor for lo in self.low]

    def __len__(self) -> int:
        return len(self.high)

    def std(self) -> float:
        """The high latents' standard deviation (the codec's latent_scale makes it 1)."""
        return float(torch.cat([h.flatten() for h in self.high]).std())

    def residual_std(self) -> float:
        """The standard deviation of high - low latents (the codec's residual_scale makes it 1)."""
        return float(torch.cat([(h - lo).flatten() for h, lo in zip(self.high, self.low, strict=True)]).std())

    def batch(self, n: int, crop: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(high latents, low latents), each (n, 4, crop, crop) (smaller frames: whole)."""
        highs, lows = [], []
        for _ in range(n):
            i = int(torch.randint(len(self), (1,), generator=g))
            h, w = self.high[i].shape[-2:]
            ch, cw = min(crop, h), min(crop, w)
            y = int(torch.randint(h - ch + 1, (1,), generator=g))
            x = int(torch.randint(w - cw + 1, (1,), generator=g))
            flip = bool(torch.randint(2, (1,), generator=g))
            hi, lo = self.high[i][:, y : y + ch, x : x + cw], self.low[i][:, y : y + ch, x : x + cw]
            if flip:
                hi, lo = hi.flip(-1), lo.flip(-1)
            highs.append(hi)
            lows.append(lo)
        return torch.stack(highs), torch.stack(lows)


@torch.no_grad()
def validate_frames(fn, val: PairedFrames, suite: MetricSuite, device, precision: str, n: int, keep: int):
    """Metrics of fn(low, high) -> prediction over the first n val pairs; (summary, grid columns)."""
    per: dict[str, list[float]] = {}
    cols: tuple[list, list, list] = ([], [], [])
    for i in range(min(n, len(val))):
        low, high = (t[None].to(device) for t in val.pair(i))
        with autocast(device, precision):
            pred = fn(low, high).float().clamp(0, 1)
        for k, v in suite.per_image(pred, high).items():
            per.setdefault(k, []).extend(v)
        if len(cols[0]) < keep:
            for c, t in zip(cols, (low, pred, high), strict=True):
                c.append(t[0].cpu())
    return summarise(per, suite.unavailable), cols


def validate_sampler(
    model: LatentSampler, counts: list[int], timesteps_of, val: PairedFrames, suite, device, cfg: C.DiffusionConfig
):
    """validate_frames of the sampler at each of `counts` sampling steps (timesteps_of(n)): metrics
    as `<name>@n` (the first count's also plain), the grid of the first; model.cfg is left at the
    last count."""
    summary, cols = {}, ([], [], [])
    for n in counts:
        model.cfg = replace(model.cfg, timesteps=tuple(timesteps_of(n)))
        s, c = validate_frames(
            lambda low, _h: model(low), val, suite, device, "fp32", cfg.num_eval_images, cfg.report_images
        )
        summary |= {f"{k}@{n}": v for k, v in s.items()} | (s if n == counts[0] else {})
        cols = cols if cols[0] else c
    return summary, cols


def run_state(kind: str, model: LatentSampler, opt, sched, step: int, cfg: C.DiffusionConfig, **extra) -> dict:
    """What a checkpoint of the latent route holds (read_checkpoint(path, kind) reads it back)."""
    return {
        "kind": kind,
        "model": model.state_dict(),
        "model_config": model.cfg.to_dict(),
        "opt": opt.state_dict(),
        "sched": sched.state_dict(),
        "rng": rng_state(),
        "step": step,
        "config": C.to_dict(cfg),
        **extra,
    }


class RunLog:
    """metrics.jsonl rows, validation grids, checkpoints (atomic, the last two kept), progress bar."""

    def __init__(self, out: Path, total: int, start: int, desc: str):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.metrics = out / "metrics.jsonl"
        self.bar = tqdm(total=total, initial=start, desc=desc, dynamic_ncols=True)
        self.meter = LoadMeter()
        self.t0, self.items = time.time(), 0

    def step(self, items: int, **postfix) -> None:
        self.items += items
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()})

    def log(self, step: int, device, **values) -> None:
        now = time.time()
        row = {
            "step": step,
            **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in values.items()},
            "items_per_s": round(self.items / max(now - self.t0, 1e-6), 3),
            **self.meter.read(device),
            "time": now,
        }
        self.t0, self.items = now, 0
        with open(self.metrics, "a") as f:
            f.write(json.dumps(row) + "\n")

    def evaluation(self, step: int, phase: str, summary: dict, cols) -> None:
        if cols[0]:
            save_eval_grid(self.out / "eval" / f"step_{step}.png", *(torch.stack(c) for c in cols))
        with open(self.metrics, "a") as f:
            f.write(json.dumps({"step": step, "phase": phase, "eval": summary, "time": time.time()}) + "\n")
        self.bar.write(
            f"step {step} {phase} val " + " ".join(f"{k}={v:.4f}" for k, v in summary.items() if isinstance(v, float))
        )

    def checkpoint(self, state: dict, step: int) -> None:
        atomic_save(state, checkpoint_dir(self.out) / f"step_{step}.pt")
        prune(self.out)

    def close(self, name: str, step: int) -> None:
        """Ends the progress bar and writes report.html."""
        from .report import write_report

        self.bar.close()
        write_report(self.out)
        print(f"{name}: done at step {step}; report {self.out / 'report.html'}")
