"""Configuration of the latent-diffusion route (issue #12): one typed block of defaults for the
teacher run (`remaster.teacher`: the codec, then the teacher) and the distillation run
(`remaster.distill`), YAML files per experiment (configs/teacher.yaml, configs/distill.yaml) and
key=value overrides, checked like TrainConfig's (config.py). Saved in every checkpoint and in
the exported model's metadata.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .config import ConfigError, apply_overrides, load_config
from .data import SOURCE, TARGET
from .metrics import METRICS


@dataclass
class DiffusionConfig:
    # --- data (as TrainConfig's) ---
    dataset_dir: list[str] = field(default_factory=lambda: ["data/random", "data/courtyard-v2"])
    source_variant: str = SOURCE
    target_variant: str = TARGET
    resolution: int = 256  # pixel crops (multiple of 64); the latent crops are resolution / 8
    # --- codec: phase 1 of the teacher run (the autoencoder the teacher diffuses in) ---
    codec: str = "realtime"  # model/latent.py CODECS
    codec_steps: int = 2000
    codec_learning_rate: float = 1e-3
    codec_batch_size: int = 4
    codec_lpips_factor: float = 0.3
    codec_lpips_start_step: int = 400
    lpips_backbone: str = ""  # LPIPS weight paths; empty: canonical URL through the cache
    lpips_heads: str = ""
    # --- teacher: phase 2 (eps prediction over all 1000 timesteps, on the codec's latents) ---
    teacher_unet: str = "teacher"  # model/latent.py DENOISERS
    teacher_steps: int = 4000
    teacher_learning_rate: float = 3e-4
    cond_dropout: float = 0.1  # share of samples with the low frame's latent zeroed (for guidance)
    teacher_eval_steps: list[int] = field(default_factory=lambda: [4])  # DDIM steps of the validation samples
    # --- distillation (remaster.distill) ---
    teacher: str = ""  # the teacher run's checkpoint (runs/teacher/checkpoints/step_N.pt)
    student_unet: str = "realtime"  # same as the teacher's: the student starts from it (LCM), else from scratch
    # A student of another size than the teacher cannot start from its weights: for its first
    # student_init_steps it regresses the teacher's eps instead (then consistency distillation).
    student_init_steps: int = 500
    distill_steps: int = 3000
    distill_learning_rate: float = 3e-4
    num_boundaries: int = 4  # K: multi-boundary segments; the student samples in 1..K steps
    skip_k: int = 20  # skipping step: the teacher's DDIM solver jumps t -> t - k (LCM: 20 of 1000)
    ema_decay: float = 0.95  # the target network: an EMA of the student (0: a stop-gradient copy)
    guidance_scale: float = 1.0  # the teacher's classifier-free guidance folded into the targets
    huber_c: float = 0.001  # pseudo-Huber loss on latents (LCM); 0: MSE
    student_steps: list[int] = field(default_factory=lambda: [1, 2, 4])  # validation samples
    # --- optimisation (both runs) ---
    batch_size: int = 16  # latents per step (teacher and distillation)
    warmup_steps: int = 100
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    # --- bookkeeping ---
    save_steps: int = 500
    eval_steps: int = 500
    logging_steps: int = 50
    num_eval_images: int = 8
    report_images: int = 4
    metrics_list: list[str] = field(default_factory=lambda: ["lpips", "psnr", "ssim"])
    device: str = "auto"
    precision: str = "auto"
    output_dir: str = "runs/teacher"


# A resumed run takes these from its command; the rest from its checkpoint.
RESUMABLE_KEYS = frozenset(
    {"codec_steps", "teacher_steps", "distill_steps", "save_steps", "eval_steps", "logging_steps", "device"}
)


def validate(cfg: DiffusionConfig) -> DiffusionConfig:
    from .model.latent import CODECS, DENOISERS

    if cfg.codec not in CODECS:
        raise ConfigError(f"codec must be one of {', '.join(sorted(CODECS))}; got {cfg.codec!r}")
    for k in ("teacher_unet", "student_unet"):
        if getattr(cfg, k) not in DENOISERS:
            raise ConfigError(f"{k} must be one of {', '.join(sorted(DENOISERS))}; got {getattr(cfg, k)!r}")
    if cfg.resolution % 64 or cfg.resolution <= 0:
        raise ConfigError(
            f"resolution must be a positive multiple of 64 (latent crops for the UNet), got {cfg.resolution}"
        )
    for k in ("codec_steps", "teacher_steps", "distill_steps", "student_init_steps"):
        if getattr(cfg, k) < 0:
            raise ConfigError(f"{k} must be >= 0, got {getattr(cfg, k)}")
    for k in ("batch_size", "codec_batch_size", "save_steps", "eval_steps", "logging_steps", "skip_k"):
        if getattr(cfg, k) < 1:
            raise ConfigError(f"{k} must be >= 1, got {getattr(cfg, k)}")
    if not 1 <= cfg.num_boundaries <= 1000 // cfg.skip_k:
        raise ConfigError(
            f"num_boundaries must be in 1..{1000 // cfg.skip_k} (segments at least skip_k={cfg.skip_k} long),"
            f" got {cfg.num_boundaries}"
        )
    bad = [n for n in cfg.student_steps if not 1 <= n <= cfg.num_boundaries]
    if bad:
        raise ConfigError(
            f"student_steps {bad}: a student with num_boundaries={cfg.num_boundaries}"
            f" samples in 1..{cfg.num_boundaries} steps"
        )
    if any(n < 1 for n in cfg.teacher_eval_steps):
        raise ConfigError(f"teacher_eval_steps must be >= 1, got {cfg.teacher_eval_steps}")
    if not 0 <= cfg.ema_decay < 1:
        raise ConfigError(f"ema_decay must be in [0, 1), got {cfg.ema_decay}")
    if not 0 <= cfg.cond_dropout < 1:
        raise ConfigError(f"cond_dropout must be in [0, 1), got {cfg.cond_dropout}")
    if cfg.guidance_scale < 0 or cfg.huber_c < 0:
        raise ConfigError("guidance_scale and huber_c must be >= 0")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device must be auto, cpu or cuda, got {cfg.device!r}")
    if cfg.precision not in ("auto", "fp32", "bf16"):
        raise ConfigError(f"precision must be auto, fp32 or bf16, got {cfg.precision!r}")
    bad = [m for m in cfg.metrics_list if m not in METRICS]
    if bad:
        raise ConfigError(f"metrics_list: unknown metric(s) {bad}; known: {sorted(METRICS)}")
    return cfg


def to_dict(cfg: DiffusionConfig) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(d: dict) -> DiffusionConfig:
    return apply_overrides(DiffusionConfig(), d, "a checkpoint")


def resumed(cfg: DiffusionConfig, saved: dict) -> DiffusionConfig:
    """The checkpoint's config with this command's bookkeeping keys (and output_dir)."""
    out = from_dict(saved)
    for k in (*RESUMABLE_KEYS, "output_dir"):
        setattr(out, k, getattr(cfg, k))
    return validate(out)


def load(yaml_path: str | None, overrides: dict | None = None) -> DiffusionConfig:
    return load_config(yaml_path, overrides, cls=DiffusionConfig, check=validate)
