"""Train the multi-step teacher of the consistency-distillation route (issue #12).

    python -m remaster.teacher --config configs/teacher.yaml [key=value ...] [--resume auto|PATH]

One run, two phases, one step counter:
1. codec (steps 0 .. codec_steps): the autoencoder the teacher diffuses in (model/latent.py
   LatentCodec): reconstruct the high frame from its latent and the low frame (MSE, then + LPIPS).
   At its end the latent scale is set so that the high frames' latents have unit variance, and
   the residual scale so that high - low latents have.
2. teacher (the next teacher_steps): a conditional latent diffusion model, eps prediction over
   all 1000 timesteps of the scaled-linear schedule, on cat(noisy latent of the high frame (as
   its residual over the low frame's, model/latent.py), latent of the low frame); the condition
   dropped for cond_dropout of the samples (guidance).
   Validation frames are sampled with teacher_eval_steps DDIM steps (trailing spacing).

Writes <output_dir>/: checkpoints/step_N.pt (the whole LatentSampler, optimiser, RNG: exact
resume), metrics.jsonl, eval/step_N.png (low | sampled | high), report.html.
`npm run distill -- teacher=<output_dir>/checkpoints/step_N.pt` distills it;
`npm run export -- --teacher CKPT --steps N` exports it as one N-step ONNX graph.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from . import diffusion_config as C
from .checkpoint import CheckpointError, set_rng_state, trim_metrics
from .config import ConfigError
from .data import batch_generator
from .dataset import DatasetError
from .latents import LatentPairs, RunLog, run_frames, run_lpips, run_state, start_run, validate_frames, validate_sampler
from .metrics import MetricSuite
from .model import diffusion as D
from .model.latent import CODECS, DENOISERS, LatentSampler, SamplerConfig
from .runtime import autocast, pick_device

KIND = "teacher"


def warmup_cosine(warmup: int, total: int):
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))

    return f


def sampler_config(cfg: C.DiffusionConfig, steps: int) -> SamplerConfig:
    return SamplerConfig(
        codec=CODECS[cfg.codec],
        denoiser=DENOISERS[cfg.teacher_unet],
        timesteps=tuple(D.trailing_timesteps(steps)),
        consistency=False,
        preset=f"teacher-ddim{steps}",
    )


def phase_of(cfg: C.DiffusionConfig, step: int) -> str:
    return "codec" if step < cfg.codec_steps else "teacher"


def optimiser(cfg: C.DiffusionConfig, model: LatentSampler, phase: str):
    params = model.codec.parameters() if phase == "codec" else model.denoiser.parameters()
    lr = cfg.codec_learning_rate if phase == "codec" else cfg.teacher_learning_rate
    total = cfg.codec_steps if phase == "codec" else cfg.teacher_steps
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=cfg.weight_decay)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(min(cfg.warmup_steps, total), total))


def teacher_loss(model: LatentSampler, latents: LatentPairs, cfg: C.DiffusionConfig, g: torch.Generator, device):
    """Eps-prediction MSE on one batch drawn from g (t uniform over the 1000 steps)."""
    z, cond = latents.batch(cfg.batch_size, cfg.resolution // 8, g)
    t = torch.randint(0, 1000, (z.shape[0],), generator=g)
    eps = torch.randn(z.shape, generator=g)
    keep = (torch.rand(z.shape[0], generator=g) >= cfg.cond_dropout).float()[:, None, None, None]
    z, cond, eps, keep, t = (v.to(device) for v in (z, cond, eps, keep, t))
    x0 = model.codec.to_target(z, cond)  # the residual latent (model/latent.py)
    pred = model.denoiser(D.add_noise(x0, eps, t), cond * keep, t)
    return F.mse_loss(pred.float(), eps)


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, ckpt, resume = start_run(argv, __doc__, KIND)
    except (ConfigError, CheckpointError) as e:
        print(f"teacher: {e}", file=sys.stderr)
        return 2
    try:
        train, val = run_frames(cfg)
    except (DatasetError, FileNotFoundError) as e:
        print(f"teacher: dataset: {e}", file=sys.stderr)
        return 2
    if train.scale != 1:
        print("teacher: the latent route needs low and high frames of one size (no --low-scale)", file=sys.stderr)
        return 2
    lpips, lpips_error = run_lpips(cfg)
    if lpips is None and cfg.codec_lpips_factor > 0 and cfg.codec_steps > 0:
        print(
            f"teacher: codec_lpips_factor is {cfg.codec_lpips_factor} but LPIPS is unavailable: {lpips_error}",
            file=sys.stderr,
        )
        return 2

    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = LatentSampler(sampler_config(cfg, cfg.teacher_eval_steps[0])).to(device)
    if lpips is not None:
        lpips.to(device)
    step = ckpt["step"] if ckpt else 0
    phase = phase_of(cfg, step)
    opt, sched = optimiser(cfg, model, phase)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        set_rng_state(ckpt["rng"])
    out = Path(cfg.output_dir)
    total = cfg.codec_steps + cfg.teacher_steps
    print(
        json.dumps(
            {
                "config": C.to_dict(cfg),
                "codec_parameters": sum(p.numel() for p in model.codec.parameters()),
                "teacher_parameters": sum(p.numel() for p in model.denoiser.parameters()),
                "train_pairs": len(train),
                "val_pairs": len(val),
                "device": str(device),
                "resumed_from": str(resume) if resume else None,
            },
            indent=1,
        )
    )
    if ckpt is not None:
        trim_metrics(out / "metrics.jsonl", step)
    suite = MetricSuite(cfg.metrics_list, lpips, lpips_error)
    log = RunLog(out, total, step, "teacher")

    def start_teacher() -> LatentPairs:
        """The codec is done: its latents of the training pairs, scaled to unit variance."""
        model.codec.latent_scale.fill_(1.0)
        pairs = LatentPairs(train, model.codec, device)
        model.codec.latent_scale.fill_(1.0 / pairs.std())
        pairs.rescale(float(model.codec.latent_scale))  # as a resumed run computes them
        model.codec.residual_scale.fill_(1.0 / pairs.residual_std())
        log.bar.write(
            f"codec done: latent scale {float(model.codec.latent_scale):.4f},"
            f" residual scale {float(model.codec.residual_scale):.4f}; teacher phase"
        )
        return pairs

    latents = None
    if phase == "teacher":  # resumed in the teacher phase: the saved scale is in the codec
        latents = start_teacher() if ckpt is None else LatentPairs(train, model.codec, device)
    model.train()
    while step < total:
        g = batch_generator(cfg.seed, step)
        opt.zero_grad(set_to_none=True)
        with autocast(device, cfg.precision):
            if phase == "codec":
                low, high, _ = train.batch(cfg.codec_batch_size, cfg.resolution, g)
                low, high = low.to(device), high.to(device)
                pred = model.codec.reconstruct(low, high).float()
                parts = {"mse": F.mse_loss(pred, high)}
                if lpips is not None and cfg.codec_lpips_factor > 0 and step >= cfg.codec_lpips_start_step:
                    parts["lpips"] = lpips(pred * 2 - 1, high * 2 - 1).mean()
                loss = parts["mse"] + cfg.codec_lpips_factor * parts.get("lpips", 0.0)
            else:
                loss = teacher_loss(model, latents, cfg, g, device)
                parts = {"eps": loss}
        loss.backward()
        params = [p for group in opt.param_groups for p in group["params"]]  # this phase's network only
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
        sched.step()
        step += 1
        if step == cfg.codec_steps and cfg.teacher_steps:
            latents = start_teacher()
            phase = "teacher"
            opt, sched = optimiser(cfg, model, phase)
            model.codec.zero_grad(set_to_none=True)  # frozen from here on
        items = cfg.batch_size if "eps" in parts else cfg.codec_batch_size
        log.step(items, **{k: float(v.detach()) for k, v in parts.items()})
        if step % cfg.logging_steps == 0 or step == total:
            log.log(
                step,
                device,
                phase="teacher" if "eps" in parts else "codec",
                **{f"loss_{k}": float(v.detach()) for k, v in parts.items()},
                grad_norm=float(grad_norm),
                lr=sched.get_last_lr()[0],
            )
        if step % cfg.eval_steps == 0 or step == total or step == cfg.codec_steps:
            model.eval()
            if "eps" not in parts:  # the step just taken was the codec's
                summary, cols = validate_frames(
                    model.codec.reconstruct, val, suite, device, cfg.precision, cfg.num_eval_images, cfg.report_images
                )
            else:
                summary, cols = validate_sampler(
                    model, cfg.teacher_eval_steps, D.trailing_timesteps, val, suite, device, cfg
                )
            log.evaluation(step, "teacher" if "eps" in parts else "codec", summary, cols)
            model.train()
        if step % cfg.save_steps == 0 or step == total or step == cfg.codec_steps:
            model.cfg = sampler_config(cfg, cfg.teacher_eval_steps[0])
            phase_now = "teacher" if step > cfg.codec_steps else "codec"  # has the teacher trained?
            log.checkpoint(run_state(KIND, model, opt, sched, step, cfg, phase=phase_now), step)
    log.close("teacher", step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
