"""Train the remaster network on a paired dataset.

    python -m remaster.train --config configs/realtime.yaml [key=value ...] [--resume auto|PATH]
    torchrun --nproc_per_node 8 -m remaster.train --config ...      (DistributedDataParallel)

Writes runs/<output_dir>/: checkpoints/step_N.pt, metrics.jsonl, eval/step_N.png, report.html.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .base_model import load_base
from .checkpoint import (
    CheckpointError,
    atomic_save,
    checkpoint_dir,
    latest_checkpoint,
    prune,
    read_checkpoint,
    resumed_config,
    rng_state,
    set_rng_state,
    trim_metrics,
)
from .config import ConfigError, TrainConfig, load_config, parse_cli_overrides, read_yaml, to_dict
from .data import PairedFrames, batch_generator
from .dataset import DatasetError
from .lora import AdapterError, add_configured_adapters
from .losses.gan import MultiScaleDiscriminator
from .losses.lpips import LPIPS, load_lpips
from .losses.objective import LOSS_PARTS, LossNets, discriminator_loss, gan_active, generator_loss
from .metrics import MetricSuite
from .model.remaster import ModelConfig, RemasterNet, build_model, describe, with_deadzone
from .model.taesd import load_taesd_weights
from .runtime import LoadMeter, autocast, init_distributed, mean_across_ranks, pick_device
from .validation import evaluate_model, save_eval_grid
from .weights import WeightsUnavailable, load_state_dict


def lr_lambda(cfg: TrainConfig):
    def f(step: int) -> float:
        warm = cfg.warmup_steps if cfg.lr_scheduler_type != "constant" else 0
        if step < warm:
            return (step + 1) / warm
        if cfg.lr_scheduler_type in ("constant", "constant_with_warmup"):
            return 1.0
        progress = (step - warm) / max(1, cfg.max_steps - warm)
        if cfg.lr_scheduler_type == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return f


def param_groups(model: RemasterNet, cfg: TrainConfig) -> list[dict]:
    """The optimiser's parameter groups: the trainable UNet parameters at learning_rate *
    unet_lr_scale (config.py says why), the rest at learning_rate; one group when the scale is 1."""
    unet = [p for p in model.unet.parameters() if p.requires_grad]
    ids = {id(p) for p in unet}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    if cfg.unet_lr_scale == 1.0 or not unet:
        return [{"params": rest + unet}]
    return [{"params": rest}, {"params": unet, "lr": cfg.learning_rate * cfg.unet_lr_scale}]


def build_network(cfg: TrainConfig, ckpt: dict | None) -> tuple[RemasterNet, dict | None]:
    """The network a run trains: from its checkpoint's config (resume), its base (adapt, fine-tune)
    or the preset (from scratch); with lora_rank, the base frozen under LoRA adapters.
    Returns (network, the base's {path, sha256, ...} or None)."""
    base_info = None
    if ckpt is not None:
        model = RemasterNet(ModelConfig.from_dict(ckpt["model_config"]))
        base_info = ckpt.get("base")
    elif cfg.base:
        model, base_info = load_base(cfg.base)
        model.train()
        # The base decides the network: the saved config says what was trained.
        mc = model.cfg
        cfg.model_preset, cfg.skip_connections, cfg.residual, cfg.upscale, cfg.guides = (
            mc.preset,
            mc.skip_connections,
            mc.residual,
            mc.ae.upscale,
            list(mc.guides),
        )
        # The inference deadzone is not the network: deadzone > 0 sets it, 0 keeps the base's.
        if cfg.deadzone > 0:
            with_deadzone(model, cfg.deadzone)
        cfg.deadzone = model.cfg.deadzone
    else:
        model = build_model(
            cfg.model_preset,
            skip_connections=cfg.skip_connections,
            upscale=cfg.upscale,
            residual=cfg.residual,
            deadzone=cfg.deadzone,
            guides=tuple(cfg.guides),
        )
        if cfg.vae_init:
            load_taesd_weights(model.encoder, model.decoder, load_state_dict(Path(cfg.vae_init)))
    if cfg.lora_rank > 0:
        add_configured_adapters(model, cfg)
    return model, base_info


def load_data(cfg: TrainConfig) -> tuple[PairedFrames, PairedFrames]:
    """The run's train and val pairs (a DatasetError names the folder, file or row that is wrong)."""
    split = {"path_val_fraction": cfg.path_val_fraction, "seed": cfg.seed, "guides": tuple(cfg.guides)}
    train = PairedFrames(
        cfg.dataset_dir,
        "train",
        cfg.source_variant,
        cfg.target_variant,
        max_pairs=cfg.train_pairs,
        masks=cfg.object_weight > 0,  # only the object-weighted losses read them
        **split,
    )
    val = PairedFrames(
        cfg.dataset_dir, "val", cfg.source_variant, cfg.target_variant, limit=cfg.num_eval_images, **split
    )
    return train, val


def build_lpips(cfg: TrainConfig) -> tuple[LPIPS | None, str | None]:
    try:
        return load_lpips(cfg.lpips_net, cfg.lpips_backbone or None, cfg.lpips_heads or None), None
    except WeightsUnavailable as e:
        return None, str(e)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="YAML file of config keys")
    ap.add_argument("--resume", help="'auto' (latest checkpoint in output_dir) or a checkpoint path")
    ap.add_argument("overrides", nargs="*", help="key=value overrides, checked against the defaults' types")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config, parse_cli_overrides(args.overrides))
    except ConfigError as e:
        print(f"train: config error: {e}", file=sys.stderr)
        return 2

    rank, world = init_distributed()
    device = pick_device(cfg.device)
    is_main = rank == 0
    out = Path(cfg.output_dir)

    resume_path = None
    if args.resume:
        resume_path = latest_checkpoint(out) if args.resume == "auto" else Path(args.resume)
    try:
        ckpt = read_checkpoint(resume_path) if resume_path else None
        if ckpt is not None:
            cli = parse_cli_overrides(args.overrides)
            cfg = resumed_config(cfg, ckpt, {**read_yaml(args.config), **cli}, cli, resume_path)
    except (CheckpointError, ConfigError) as e:
        print(f"train: {e}", file=sys.stderr)
        return 2
    try:  # the data before anything slow: a wrong folder is the first thing a user hears about
        train, val = load_data(cfg)
    except (DatasetError, FileNotFoundError) as e:
        print(f"train: dataset: {e}", file=sys.stderr)
        return 2

    torch.manual_seed(cfg.seed)
    try:
        model, base_info = build_network(cfg, ckpt)
    except (AdapterError, CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"train: {e}", file=sys.stderr)
        return 2
    if tuple(model.cfg.guides) != train.guide_names:  # a base's own inputs (build_network set cfg.guides)
        try:
            train.use_guides(model.cfg.guides)
            val.use_guides(model.cfg.guides)
        except DatasetError as e:
            print(f"train: dataset: {e}", file=sys.stderr)
            return 2
    if train.scale != cfg.upscale:
        print(
            f"train: the dataset's high frames are {train.scale}x the low ones but upscale={cfg.upscale}"
            f" ({cfg.dataset_dir} was rendered for another configuration)",
            file=sys.stderr,
        )
        return 2
    disc = MultiScaleDiscriminator.for_crop(min(cfg.resolution, *(min(h.shape[:2]) for h in train.high)))
    model.to(device)
    disc.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
        disc.to(memory_format=torch.channels_last)
    trainable = [p for p in model.parameters() if p.requires_grad]  # adapters: the LoRA and skip convs only
    opt = torch.optim.AdamW(
        param_groups(model, cfg),
        lr=cfg.learning_rate,
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        eps=cfg.adam_epsilon,
        weight_decay=cfg.weight_decay,
    )
    opt_d = torch.optim.AdamW(
        disc.parameters(),
        lr=cfg.disc_learning_rate or cfg.learning_rate,
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        eps=cfg.adam_epsilon,
        weight_decay=cfg.weight_decay,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg))
    sched_d = torch.optim.lr_scheduler.LambdaLR(opt_d, lr_lambda(cfg))
    step = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        disc.load_state_dict(ckpt["disc"])
        opt.load_state_dict(ckpt["opt"])
        opt_d.load_state_dict(ckpt["opt_d"])
        sched.load_state_dict(ckpt["sched"])
        sched_d.load_state_dict(ckpt["sched_d"])
        set_rng_state(ckpt["rng"])
        step = ckpt["step"]
    train_model = DDP(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    train_disc = DDP(disc, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else disc

    lpips, lpips_error = build_lpips(cfg)
    if lpips is None and cfg.lpips_factor > 0:
        print(
            f"train: lpips_factor is {cfg.lpips_factor} but LPIPS weights are unavailable: {lpips_error}",
            file=sys.stderr,
        )
        return 2
    if lpips is not None:
        lpips.to(device)
    suite = MetricSuite([m for m in cfg.metrics_list], lpips, lpips_error)

    if is_main:
        out.mkdir(parents=True, exist_ok=True)
        print(
            json.dumps(
                {
                    "config": to_dict(cfg),
                    "model": describe(model),
                    "trainable_parameters": sum(p.numel() for p in trainable),
                    "base": base_info,
                    "train_pairs": len(train),
                    "val_pairs": len(val),
                    "device": str(device),
                    "world_size": world,
                    "resumed_from": str(resume_path) if resume_path else None,
                },
                indent=1,
            )
        )
    metrics_file = out / "metrics.jsonl"
    if is_main and ckpt is not None:
        trim_metrics(metrics_file, step)  # rows a killed run logged after its last checkpoint
    meter = LoadMeter()
    micro = cfg.per_device_train_batch_size
    bar = tqdm(total=cfg.max_steps, initial=step, disable=not is_main, desc="train", dynamic_ncols=True)
    window_t, window_imgs = time.time(), 0
    nets = LossNets(lpips=lpips, disc=train_disc, disc_module=disc)
    model.train()
    while step < cfg.max_steps:
        opt.zero_grad(set_to_none=True)
        opt_d.zero_grad(set_to_none=True)
        use_gan = gan_active(cfg, step)
        logs = dict.fromkeys(LOSS_PARTS, 0.0)
        for acc in range(cfg.gradient_accumulation_steps):
            g = batch_generator(cfg.seed, step * cfg.gradient_accumulation_steps + acc)
            low, high, mask = train.batch(
                micro, cfg.resolution, g, shard=(rank, world), colour_permute=cfg.colour_permute
            )
            low, high, mask = low.to(device), high.to(device), mask.to(device)
            if cfg.channels_last:
                low, high = (
                    low.contiguous(memory_format=torch.channels_last),
                    high.contiguous(memory_format=torch.channels_last),
                )
            with autocast(device, cfg.precision):
                pred = train_model(low)
                loss, parts = generator_loss(pred, high, step, cfg, nets, mask)
            (loss / cfg.gradient_accumulation_steps).backward()
            if use_gan:
                with autocast(device, cfg.precision):
                    loss_d, d_parts = discriminator_loss(pred, high, nets)
                (loss_d / cfg.gradient_accumulation_steps).backward()
                parts |= d_parts
            for k, v in parts.items():
                logs[k] += v / cfg.gradient_accumulation_steps
        grad_norm = torch.nn.utils.clip_grad_norm_(trainable, cfg.max_grad_norm)
        opt.step()
        sched.step()
        if use_gan:
            torch.nn.utils.clip_grad_norm_(disc.parameters(), cfg.max_grad_norm)
            opt_d.step()
        with warnings.catch_warnings():  # the discriminator's schedule advances before the GAN starts
            warnings.simplefilter("ignore", UserWarning)
            sched_d.step()
        step += 1
        window_imgs += micro * cfg.gradient_accumulation_steps * world
        bar.update(1)
        bar.set_postfix(mse=f"{logs['mse']:.4f}", lpips=f"{logs['lpips']:.3f}")

        if step % cfg.logging_steps == 0 or step == cfg.max_steps:
            logs = mean_across_ranks(logs)  # the global batch's losses (every rank takes part)
        if is_main and (step % cfg.logging_steps == 0 or step == cfg.max_steps):
            now = time.time()
            row = {
                "step": step,
                **{f"loss_{k}": round(v, 6) for k, v in logs.items()},
                "grad_norm": round(float(grad_norm), 4),
                "lr": sched.get_last_lr()[0],
                "images_per_s": round(window_imgs / max(now - window_t, 1e-6), 3),
                **meter.read(device),
                "time": now,
            }
            window_t, window_imgs = now, 0
            with open(metrics_file, "a") as f:
                f.write(json.dumps(row) + "\n")
        if is_main and (step % cfg.eval_steps == 0 or step == cfg.max_steps):
            summary, (lows, preds, highs) = evaluate_model(model, val, suite, device, cfg, cfg.num_eval_images)
            save_eval_grid(out / "eval" / f"step_{step}.png", torch.stack(lows), torch.stack(preds), torch.stack(highs))
            with open(metrics_file, "a") as f:
                f.write(json.dumps({"step": step, "eval": summary, "time": time.time()}) + "\n")
            bar.write(
                f"step {step} val " + " ".join(f"{k}={v:.4f}" for k, v in summary.items() if isinstance(v, float))
            )
            if summary["cut_layers"]:
                bar.write(
                    f"train: warning: step {step}: every channel of {', '.join(summary['cut_layers'])} is 0 on"
                    " the validation frames: no gradient passes a dead ReLU, so the network's path through it"
                    " is cut for good (see unet_lr_scale and loss_ramp_steps in remaster/config.py)"
                )
        if is_main and (step % cfg.save_steps == 0 or step == cfg.max_steps):
            atomic_save(
                {
                    "model": model.state_dict(),
                    "disc": disc.state_dict(),
                    "opt": opt.state_dict(),
                    "opt_d": opt_d.state_dict(),
                    "sched": sched.state_dict(),
                    "sched_d": sched_d.state_dict(),
                    "rng": rng_state(),
                    "step": step,
                    "config": to_dict(cfg),
                    "model_config": model.cfg.to_dict(),
                    "base": base_info,
                },
                checkpoint_dir(out) / f"step_{step}.pt",
            )
            prune(out)
    bar.close()
    if is_main:
        from .report import write_report

        write_report(out)
        print(f"train: done at step {step}; report {out / 'report.html'}")
    if dist.is_initialized():
        # Every rank waits for the main one (report) before tearing down: a rank that destroyed the
        # group while the other still held it aborted at exit now and then ("terminate called
        # without an active exception", SIGABRT under torchrun).
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
