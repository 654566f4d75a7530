"""Checkpoints: everything needed to continue a run exactly (model, discriminator, optimisers,
scheduler, RNG states, step) plus the resolved configs. Written atomically (temp + rename)."""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .config import ConfigError, from_dict


def atomic_save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# What every training checkpoint holds (train.py writes them; resume, export and adapt read them).
CHECKPOINT_KEYS = ("model", "step", "config", "model_config")


class CheckpointError(ValueError):
    """A file that is not a readable training checkpoint; the message names it."""


def read_checkpoint(path: str | Path, kind: str | None = None) -> dict:
    """A training checkpoint (step_N.pt), or a CheckpointError naming the file and what is wrong.
    `kind`: the run that must have written it ("teacher", "distill"; train's have none)."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {p}")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:  # torch raises pickle, zip and runtime errors for foreign or torn files
        raise CheckpointError(f"{p} cannot be read as a PyTorch checkpoint ({type(e).__name__}: {e})") from None
    lacking = [k for k in CHECKPOINT_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
    if lacking:
        raise CheckpointError(f"{p} is not a training checkpoint written by remaster.train (no {', '.join(lacking)})")
    if kind is not None and ckpt.get("kind") != kind:
        raise CheckpointError(f"{p} is a {ckpt.get('kind', 'train')} checkpoint, not a {kind} one")
    return ckpt


# Keys a resumed run takes from the command line: bookkeeping, not what the run computes.
RESUMABLE_KEYS = frozenset(
    {
        "max_steps",
        "save_steps",
        "eval_steps",
        "logging_steps",
        "device",
        "output_dir",
        "num_eval_images",
        "report_images",
    }
)
# Loss schedule keys: they change on resume only when given explicitly (then the run is no longer
# the uninterrupted one; the change is printed and saved in the next checkpoint).
SCHEDULE_KEYS = frozenset({"gan_factor", "gan_start_step", "lpips_start_step", "loss_ramp_steps"})
# What the network and its data are: given explicitly with another value than the checkpoint's,
# it is another run, and an error (the checkpoint's weights cannot become that network).
IDENTITY_KEYS = (
    "model_preset",
    "skip_connections",
    "residual",
    "upscale",
    "base",
    "lora_rank",
    "lora_rank_ae",
    "lora_targets",
    "lora_bias",
    "dataset_dir",
    "source_variant",
    "target_variant",
    "unet_lr_scale",  # the optimiser's parameter groups (one or two) are in the checkpoint
)


def resumed_config(cfg, ckpt: dict, given: dict, cli: dict, path: Path):
    """The config a resumed run continues with: the checkpoint's, bar the bookkeeping keys of `cfg`
    (this command's) and the schedule keys given on the command line (`cli`); an identity key
    `given` (config file or command line) with another value is a ConfigError naming it, both
    values and the checkpoint."""
    saved = from_dict(ckpt["config"])
    clash = [k for k in IDENTITY_KEYS if k in given and getattr(cfg, k) != getattr(saved, k)]
    if clash:
        detail = "; ".join(f"{k}={getattr(saved, k)!r} there, {getattr(cfg, k)!r} asked" for k in clash)
        raise ConfigError(
            f"{path} is a checkpoint of another run ({detail}); resume with that run's config or start a new output_dir"
        )
    for k in RESUMABLE_KEYS:
        setattr(saved, k, getattr(cfg, k))
    for k in SCHEDULE_KEYS & set(cli):
        print(
            f"train: resuming with {k}={getattr(cfg, k)!r} (the checkpoint had {getattr(saved, k)!r})", file=sys.stderr
        )
        setattr(saved, k, getattr(cfg, k))
    return saved


def rng_state() -> dict:
    s = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_state(s: dict) -> None:
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def checkpoint_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "checkpoints"


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    d = checkpoint_dir(output_dir)
    found = sorted(d.glob("step_*.pt"), key=lambda p: int(p.stem.split("_")[1])) if d.is_dir() else []
    return found[-1] if found else None


def prune(output_dir: str | Path, keep: int = 2) -> None:
    d = checkpoint_dir(output_dir)
    found = sorted(d.glob("step_*.pt"), key=lambda p: int(p.stem.split("_")[1]))
    for p in found[:-keep]:
        p.unlink(missing_ok=True)


def trim_metrics(path: Path, step: int) -> None:
    """Drops metrics.jsonl rows past `step` (and a torn last line): a resumed run logs them again."""
    if not path.is_file():
        return
    keep = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            break
        if row.get("step", 0) <= step:
            keep.append(line + "\n")
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(keep))
    os.replace(tmp, path)
