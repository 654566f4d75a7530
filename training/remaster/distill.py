"""Consistency distillation of the teacher (remaster.teacher) into a student with the realtime
preset's cost (issue #12).

    python -m remaster.distill --config configs/distill.yaml teacher=runs/teacher/checkpoints/step_N.pt \
        [key=value ...] [--resume auto|PATH]

Per step, on a batch of the codec's latents (z: the high frame's, c: the low frame's):
  t_{n+k} drawn from the solver's grid (every skip_k-th timestep, trailing: 999, 979, ...),
  s = the start of its segment (multi-boundary timesteps, num_boundaries = K),
  t_n = max(t_{n+k} - skip_k, s),
  x_{t_{n+k}} = alpha z + sigma eps,
  x_{t_n} = the teacher's one DDIM step from t_{n+k} to t_n (guidance folded in when != 1),
  loss = pseudo-Huber( f_student(x_{t_{n+k}}, t_{n+k} -> s), f_target(x_{t_n}, t_n -> s) ),
(a student smaller than the teacher first regresses the teacher's eps for student_init_steps:
LCM starts the student as a copy of the teacher, which only a same-size student can be),
where f is the consistency function of model/diffusion.py (c_skip / c_out boundary condition:
f(x_s, s -> s) = x_s, so a target on its boundary is x_s itself) and the target network is an
EMA of the student (ema_decay; 0: a stop-gradient copy). The codec and the teacher stay frozen.

Writes <output_dir>/: checkpoints/step_N.pt (student, target, optimiser, RNG: exact resume),
metrics.jsonl, eval/step_N.png (low | student at its first student_steps | high), report.html.
Export: `npm run export -- --distilled CKPT --steps 1` (the plugin's contract; 2 or 4: one graph).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import torch

from . import diffusion_config as C
from .checkpoint import CheckpointError, read_checkpoint, set_rng_state, trim_metrics
from .config import ConfigError
from .data import batch_generator
from .dataset import DatasetError
from .latents import LatentPairs, RunLog, run_frames, run_lpips, run_state, start_run, validate_sampler
from .lora import weights_hash
from .metrics import MetricSuite
from .model import diffusion as D
from .model.latent import DENOISERS, LatentSampler, SamplerConfig
from .runtime import autocast, pick_device
from .teacher import warmup_cosine

KIND = "distill"


def student_config(teacher_cfg: SamplerConfig, cfg: C.DiffusionConfig, steps: int) -> SamplerConfig:
    return SamplerConfig(
        codec=teacher_cfg.codec,
        denoiser=DENOISERS[cfg.student_unet],
        timesteps=tuple(D.student_timesteps(steps, cfg.num_boundaries)),
        consistency=True,
        preset=f"student-{steps}step",
    )


def load_teacher(path: str | Path) -> tuple[LatentSampler, str]:
    """The frozen teacher (codec + denoiser) and the sha256 of its weights (lora.weights_hash, as
    adapters name their base: the file is read once, and a re-saved teacher is the same teacher)."""
    ckpt = read_checkpoint(Path(path), "teacher")
    if ckpt.get("phase") != "teacher":
        raise CheckpointError(
            f"{path} was saved in the codec phase (step {ckpt['step']}): the teacher has not trained yet;"
            " use a later checkpoint of that run"
        )
    teacher = LatentSampler(SamplerConfig.from_dict(ckpt["model_config"]))
    teacher.load_state_dict(ckpt["model"])
    teacher.eval().requires_grad_(False)
    return teacher, weights_hash(teacher)


def solver_grid(skip_k: int) -> torch.Tensor:
    """The timesteps t_{n+k} are drawn from: 999, 999 - k, ... (>= k - 1)."""
    return torch.arange(999, skip_k - 2, -skip_k)


def pseudo_huber(a: torch.Tensor, b: torch.Tensor, c: float) -> torch.Tensor:
    if c == 0:
        return torch.nn.functional.mse_loss(a, b)
    return (((a - b) ** 2).mean(dim=(1, 2, 3)) + c**2).sqrt().sub(c).mean()


def distill_loss(student, target, teacher, latents, cfg: C.DiffusionConfig, g: torch.Generator, device, regress=False):
    """One batch's consistency-distillation loss (see the module doc); `regress`: the warm start of
    a student that cannot copy the teacher's weights, MSE to the teacher's eps at the same x_t."""
    z, cond = latents.batch(cfg.batch_size, cfg.resolution // 8, g)
    grid = solver_grid(cfg.skip_k)
    t = grid[torch.randint(len(grid), (z.shape[0],), generator=g)]
    eps = torch.randn(z.shape, generator=g)
    s = D.segment_start(t, D.boundaries(cfg.num_boundaries))
    t_prev = torch.maximum(t - cfg.skip_k, s)
    z, cond, eps = z.to(device), cond.to(device), eps.to(device)
    x_t = D.add_noise(teacher.codec.to_target(z, cond), eps, t)  # the residual latent
    with torch.no_grad():
        eps_teacher = teacher.denoiser.guided(x_t, cond, t, cfg.guidance_scale).float()
    if regress:
        return torch.nn.functional.mse_loss(student(x_t, cond, t).float(), eps_teacher)
    with torch.no_grad():
        x_prev = D.ddim_step(x_t, eps_teacher, t, t_prev)
        target_out = D.consistency_fn(x_prev, target(x_prev, cond, t_prev).float(), t_prev, s)
    pred = D.consistency_fn(x_t, student(x_t, cond, t).float(), t, s)
    return pseudo_huber(pred, target_out, cfg.huber_c)


@torch.no_grad()
def ema_update(target: torch.nn.Module, student: torch.nn.Module, decay: float) -> None:
    for pt, ps in zip(target.parameters(), student.parameters(), strict=True):
        pt.mul_(decay).add_(ps.detach(), alpha=1 - decay)


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, ckpt, resume = start_run(argv, __doc__, KIND, default_output="runs/distill")
        if not cfg.teacher:
            raise ConfigError(
                "teacher=PATH is needed: a checkpoint of `npm run teacher` (runs/teacher/checkpoints/step_N.pt)"
            )
        teacher, teacher_sha = load_teacher(cfg.teacher)
        if ckpt is not None and ckpt["teacher"]["sha256"] != teacher_sha:
            raise ConfigError(
                f"{cfg.teacher} is not the teacher {resume} was distilled from (its weights' sha256 differs)"
            )
    except (ConfigError, CheckpointError) as e:
        print(f"distill: {e}", file=sys.stderr)
        return 2
    try:
        train, val = run_frames(cfg)
    except (DatasetError, FileNotFoundError) as e:
        print(f"distill: dataset: {e}", file=sys.stderr)
        return 2
    lpips, lpips_error = run_lpips(cfg)

    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    teacher.to(device)
    model = LatentSampler(student_config(teacher.cfg, cfg, cfg.student_steps[0]))  # codec + student
    model.codec.load_state_dict(teacher.codec.state_dict())
    model.codec.requires_grad_(False)
    student = model.denoiser
    same_size = student.cfg == teacher.denoiser.cfg
    init = "teacher weights" if same_size else f"teacher eps regression ({cfg.student_init_steps} steps)"
    if same_size:  # LCM: the student starts as the teacher
        student.load_state_dict(teacher.denoiser.state_dict())
    target = copy.deepcopy(student).requires_grad_(False)
    model.to(device)
    target.to(device)
    opt = torch.optim.AdamW(student.parameters(), lr=cfg.distill_learning_rate, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, warmup_cosine(min(cfg.warmup_steps, cfg.distill_steps), cfg.distill_steps)
    )
    step = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        target.load_state_dict(ckpt["target"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        set_rng_state(ckpt["rng"])
        step = ckpt["step"]
    out = Path(cfg.output_dir)
    print(
        json.dumps(
            {
                "config": C.to_dict(cfg),
                "teacher": {"path": cfg.teacher, "sha256": teacher_sha, "denoiser": teacher.denoiser.cfg.__dict__},
                "student_parameters": sum(p.numel() for p in student.parameters()),
                "student_init": init,
                "boundaries": D.boundaries(cfg.num_boundaries),
                "train_pairs": len(train),
                "device": str(device),
                "resumed_from": str(resume) if resume else None,
            },
            indent=1,
            default=str,
        )
    )
    if ckpt is not None:
        trim_metrics(out / "metrics.jsonl", step)
    suite = MetricSuite(cfg.metrics_list, lpips, lpips_error)
    log = RunLog(out, cfg.distill_steps, step, "distill")
    latents = LatentPairs(train, model.codec, device)
    student.train()
    while step < cfg.distill_steps:
        g = batch_generator(cfg.seed, step)
        opt.zero_grad(set_to_none=True)
        with autocast(device, cfg.precision):
            regress = not same_size and step < cfg.student_init_steps
            loss = distill_loss(student, target, teacher, latents, cfg, g, device, regress)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(student.parameters(), cfg.max_grad_norm)
        opt.step()
        sched.step()
        if regress:  # the target starts where the warm start ends
            target.load_state_dict(student.state_dict())
        else:
            ema_update(target, student, cfg.ema_decay)
        step += 1
        name = "loss_eps_regression" if regress else "loss_cd"
        log.step(cfg.batch_size, **{name[5:]: float(loss.detach())})
        if step % cfg.logging_steps == 0 or step == cfg.distill_steps:
            log.log(step, device, **{name: float(loss.detach())}, grad_norm=float(grad_norm), lr=sched.get_last_lr()[0])
        if step % cfg.eval_steps == 0 or step == cfg.distill_steps:
            student.eval()
            summary, cols = validate_sampler(
                model, cfg.student_steps, lambda n: D.student_timesteps(n, cfg.num_boundaries), val, suite, device, cfg
            )
            log.evaluation(step, "distill", summary, cols)
            student.train()
        if step % cfg.save_steps == 0 or step == cfg.distill_steps:
            model.cfg = student_config(teacher.cfg, cfg, cfg.student_steps[0])
            teacher_id = {"path": cfg.teacher, "sha256": teacher_sha}
            extra = {"target": target.state_dict(), "teacher": teacher_id, "num_boundaries": cfg.num_boundaries}
            log.checkpoint(run_state(KIND, model, opt, sched, step, cfg, **extra), step)
    log.close("distill", step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
