"""Training configuration: one typed block of defaults (the original pix2pix-Turbo setup's keys and
values), YAML files per experiment, and CLI overrides checked against the defaults' types.
Unknown keys are an error naming the key. The resolved config is printed and saved inside every
checkpoint and the exported model's metadata.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from .data import SOURCE, TARGET
from .guides import check_guides
from .metrics import METRICS

# Keys of older configs: given in a YAML file or on the command line they are an error naming the
# new key; in an older checkpoint they are dropped (their values meant low -> high, the defaults).
RENAMED_KEYS: dict[str, str] = {"source_column": "source_variant", "target_column": "target_variant"}


@dataclass
class TrainConfig:
    # --- data: a dataset folder (manifest.jsonl) written by `npm run dataset` or remaster.import_pairs ---
    # One dataset folder, or several (a list, or comma-separated) whose pairs are trained on together.
    dataset_dir: list[str] = field(default_factory=lambda: ["data/courtyard"])
    source_variant: str = SOURCE  # the manifest's render variant fed to the network
    target_variant: str = TARGET  # the render variant it learns to produce
    resolution: int = 512  # training crop size (multiple of 8); frames smaller than this are used whole
    # Share of training pairs whose RGB channels are swapped (the same one of the 5 other orders on
    # low and high): the low->high upgrade (shadows, AO, anti-aliasing, bloom) does not depend on
    # the palette, so pairs in other palettes teach the upgrade rather than the scenes' colours.
    colour_permute: float = 0.0
    # --- model ---
    model_preset: str = "realtime"  # realtime | seed | tiny
    skip_connections: bool = False  # encoder->decoder skips through zero-init 1x1 convs
    residual: bool = False  # output = input + the network's correction (see model/remaster.py)
    # With residual, at inference: corrections <= this many 8-bit levels dropped (model/remaster.py);
    # from a base, 0 keeps the base's.
    deadzone: float = 0.0
    upscale: int = 1  # 2: the decoder emits twice the input size (datasets rendered with --low-scale 0.5)
    # What the network takes beside the frame (remaster.guides): [] the frame alone; depth, sun: the
    # renderer's depth, the sun's direction (datasets rendered with --guides). From a base, the base's.
    guides: list[str] = field(default_factory=list)
    vae_init: str = ""  # TAESD weights (diffusers AutoencoderTiny or taesd_*.pth merged) to start from
    # --- starting point and adapters (remaster.adapt, configs/adapt.yaml) ---
    # Weights to start from: a training checkpoint (.pt) or base weights (.safetensors, written by
    # remaster.export beside the ONNX file). The base's own model config replaces model_preset & co.
    base: str = ""
    lora_rank: int = 0  # 0: every weight trains (from a base: a full fine-tune); N: LoRA adapters (remaster/lora.py)
    lora_rank_ae: int = -1  # autoencoder layers' rank; -1: half of lora_rank (pix2pix-Turbo: 8 UNet, 4 autoencoder)
    lora_targets: list[str] = field(default_factory=lambda: ["encoder", "unet", "decoder"])
    lora_bias: bool = False  # adapters: every bias of the network trains too (BitFit; saved in the adapter)
    # adapters: these modules (full names, e.g. unet.conv_in) train fully instead of through a
    # LoRA (peft's modules_to_save; saved in the adapter)
    lora_full: list[str] = field(default_factory=list)
    train_pairs: int = 0  # 0: every training pair; N: N pairs per dataset, taken evenly over camera paths
    path_val_fraction: float = 0.0  # > 0: the dataset's train+val pairs split again, this share of camera paths val
    # --- optimisation (values of the original setup; from scratch, raise learning_rate) ---
    learning_rate: float = 5e-6
    # The UNet's learning rate is learning_rate times this. Its eps reaches the decoder through the
    # one DDPM step at t=999 as z - (sqrt(1 - abar) / sqrt(abar)) eps: 14.6 x its output, so each of
    # its Adam steps moves the decoder's input 14.6 times as far as the same step elsewhere. Trained
    # from scratch at 1.0, the UNet's correction swamped the latent (z_out std 6 against the
    # encoder's 0.1, 17% past TAESD's tanh clamp) and the decoder shut its latent path off.
    unet_lr_scale: float = 1.0
    lr_scheduler_type: str = "constant_with_warmup"  # constant | constant_with_warmup | linear | cosine
    warmup_steps: int = 500
    weight_decay: float = 1e-2
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    per_device_train_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    max_steps: int = 10000
    save_steps: int = 500
    eval_steps: int = 500
    logging_steps: int = 10
    seed: int = 42
    # --- losses ---
    mse_factor: float = 1.0
    # > 0: a surface pixel (the dataset's geometry masks) weighs 1 + object_weight times a
    # background pixel in the MSE; pairs without a mask weigh every pixel the same.
    object_weight: float = 0.0
    colour_factor: float = 0.0  # > 0: + colour_factor * mean |Lab(pred) - Lab(target)| (losses/objective.py)
    # > 0: + psnr_factor * the mean over the batch's images of -PSNR (dB; each image's MSE floored at
    # PSNR_FLOOR_MSE). The evaluation's PSNR is a mean of per-frame dB, which weighs a frame's error
    # by 1 / its MSE: a frame low already nearly gets right counts as much as a hard one.
    psnr_factor: float = 0.0
    lpips_factor: float = 5.0
    lpips_start_step: int = 0  # from scratch: reconstruct with MSE first, then add LPIPS (see configs/realtime.yaml)
    lpips_net: str = "alex"  # alex | vgg
    lpips_backbone: str = ""  # weight paths; empty: canonical URL through the cache
    lpips_heads: str = ""
    gan_factor: float = 0.5
    gan_start_step: int = 0  # adversarial loss joins after this many steps
    # LPIPS and GAN weights rise linearly from 0 to their factor over this many steps from their
    # start step (0: they switch on at full weight). A term switched on at full weight mid-run gives
    # Adam gradients far above its second-moment estimate, and outsized steps: the LPIPS onset
    # (step 400) of the shipped model's stage 1 is where its decoder's first block died (all 32
    # channels of its output ReLU: the latent path cut; unet_lr_scale, above, was the other half).
    loss_ramp_steps: int = 0
    disc_learning_rate: float = 0.0  # 0: same as learning_rate
    clip_weights: str = ""  # vision-aided CLIP discriminator (not available yet: must stay empty)
    # --- evaluation ---
    metrics_list: list[str] = field(default_factory=lambda: ["lpips", "mse", "ssim", "dists", "psnr", "fid"])
    num_eval_images: int = 16
    # --- runtime ---
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 autocast where supported) | fp32 | bf16
    channels_last: bool = True
    output_dir: str = "runs/realtime"
    report_images: int = 6


class ConfigError(ValueError):
    pass


def _fields(cls: type = TrainConfig) -> dict[str, Any]:
    return get_type_hints(cls)


def _coerce(key: str, value: Any, typ: Any) -> Any:
    origin = getattr(typ, "__origin__", None)
    if origin is list:
        item = typ.__args__[0]
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        if item is int and isinstance(value, list):
            return [_coerce(key, v, int) for v in value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings, got {value!r}")
        return value
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{key} must be a boolean, got {value!r}")
    if typ in (int, float):
        what = "an integer" if typ is int else "a number"
        accepted = (int,) if typ is int else (int, float)
        if isinstance(value, accepted) and not isinstance(value, bool):
            return typ(value)
        if isinstance(value, str):
            try:
                return typ(value)
            except ValueError:
                pass
        raise ConfigError(f"{key} must be {what}, got {value!r}")
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported type {typ}")


def apply_overrides(cfg, overrides: dict[str, Any], source: str):
    """Sets `overrides` on `cfg` (a TrainConfig or another config dataclass, e.g. DiffusionConfig),
    each value coerced to the field's type; unknown keys are a ConfigError naming them."""
    types = _fields(type(cfg))
    for key, value in overrides.items():
        if key in RENAMED_KEYS:
            raise ConfigError(
                f"config key {key!r} in {source} is now {RENAMED_KEYS[key]!r}"
                f" (a render variant of the manifest, e.g. low)"
            )
        if key not in types:
            near = difflib.get_close_matches(key, types, n=2)
            hint = f" (did you mean {' or '.join(repr(k) for k in near)}?)" if near else ""
            raise ConfigError(f"unknown config key {key!r} in {source}{hint}")
        setattr(cfg, key, _coerce(key, value, types[key]))
    return cfg


def validate(cfg: TrainConfig) -> TrainConfig:
    from .model.remaster import PRESETS

    if cfg.model_preset not in PRESETS:
        raise ConfigError(f"model_preset must be one of {', '.join(sorted(PRESETS))}; got {cfg.model_preset!r}")
    if cfg.resolution % 8 or cfg.resolution <= 0:
        raise ConfigError(f"resolution must be a positive multiple of 8, got {cfg.resolution}")
    if cfg.lr_scheduler_type not in ("constant", "constant_with_warmup", "linear", "cosine"):
        raise ConfigError(
            f"lr_scheduler_type must be constant, constant_with_warmup, linear or cosine; got {cfg.lr_scheduler_type!r}"
        )
    if cfg.lpips_net not in ("alex", "vgg"):
        raise ConfigError(f"lpips_net must be alex or vgg, got {cfg.lpips_net!r}")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device must be auto, cpu or cuda, got {cfg.device!r}")
    if cfg.precision not in ("auto", "fp32", "bf16"):
        raise ConfigError(f"precision must be auto, fp32 or bf16, got {cfg.precision!r}")
    if cfg.upscale not in (1, 2):
        raise ConfigError(f"upscale must be 1 or 2, got {cfg.upscale}")
    for k in (
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
        "max_steps",
        "save_steps",
        "eval_steps",
        "logging_steps",
    ):
        if getattr(cfg, k) < 1:
            raise ConfigError(f"{k} must be >= 1, got {getattr(cfg, k)}")
    if cfg.deadzone < 0 or (cfg.deadzone > 0 and not cfg.residual):
        raise ConfigError(f"deadzone must be >= 0 (8-bit levels) and needs residual: true, got {cfg.deadzone}")
    if cfg.lora_rank < 0:
        raise ConfigError(f"lora_rank must be >= 0 (0: no adapters), got {cfg.lora_rank}")
    if cfg.lora_rank > 0 and not cfg.base:
        raise ConfigError("lora_rank needs base: adapters train on top of a trained network (base=PATH)")
    for key in ("lora_bias", "lora_full"):
        if getattr(cfg, key) and cfg.lora_rank == 0:
            raise ConfigError(
                f"{key} needs lora_rank >= 1: it adds to an adapter what trains fully (lora_rank 0 trains every weight)"
            )
    try:
        check_guides(cfg.guides)
    except ValueError as e:
        raise ConfigError(f"guides: {e}") from None
    if not 0 <= cfg.colour_permute <= 1:
        raise ConfigError(f"colour_permute must be a share of pairs in [0, 1], got {cfg.colour_permute}")
    if cfg.colour_factor < 0:
        raise ConfigError(f"colour_factor must be >= 0, got {cfg.colour_factor}")
    if cfg.psnr_factor < 0:
        raise ConfigError(f"psnr_factor must be >= 0, got {cfg.psnr_factor}")
    if cfg.object_weight < 0:
        raise ConfigError(f"object_weight must be >= 0, got {cfg.object_weight}")
    if cfg.unet_lr_scale <= 0:
        raise ConfigError(f"unet_lr_scale must be > 0, got {cfg.unet_lr_scale}")
    if cfg.loss_ramp_steps < 0:
        raise ConfigError(f"loss_ramp_steps must be >= 0 (0: no ramp), got {cfg.loss_ramp_steps}")
    if cfg.train_pairs < 0:
        raise ConfigError(f"train_pairs must be >= 0 (0: all), got {cfg.train_pairs}")
    if not 0 <= cfg.path_val_fraction <= 0.9:
        raise ConfigError(f"path_val_fraction must be in [0, 0.9], got {cfg.path_val_fraction}")
    bad = [m for m in cfg.metrics_list if m not in METRICS]
    if bad:
        raise ConfigError(f"metrics_list: unknown metric(s) {bad}; known: {sorted(METRICS)}")
    if cfg.clip_weights:
        raise ConfigError("clip_weights: the vision-aided CLIP discriminator is not implemented yet; leave it empty")
    return cfg


def parse_cli_overrides(items: list[str]) -> dict[str, str]:
    """`key=value` pairs (also `--key value` handled by the caller)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key=value")
        k, v = item.split("=", 1)
        out[k.strip().lstrip("-").replace("-", "_")] = v
    return out


def read_yaml(yaml_path: str | None) -> dict[str, Any]:
    """The keys a YAML config file sets ({} without one); a missing or malformed file is a ConfigError."""
    if not yaml_path:
        return {}
    p = Path(yaml_path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{p} is not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{yaml_path} must hold a mapping of config keys")
    return data


def load_config(
    yaml_path: str | None = None, overrides: dict[str, Any] | None = None, cls: type = TrainConfig, check=None
):
    """Defaults of `cls`, then the YAML file's keys, then the command line's; checked by `check`
    (default: validate, for TrainConfig)."""
    cfg = cls()
    data = read_yaml(yaml_path)
    if data:
        apply_overrides(cfg, data, yaml_path)
    if overrides:
        apply_overrides(cfg, overrides, "the command line")
    return (check or validate)(cfg)


def to_dict(cfg: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def from_dict(d: dict[str, Any]) -> TrainConfig:
    return apply_overrides(TrainConfig(), {k: v for k, v in d.items() if k not in RENAMED_KEYS}, "a checkpoint")
