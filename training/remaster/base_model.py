"""The networks a run or an export starts from, and the base-weights file adapters are trained on.

    training checkpoint  runs/<run>/checkpoints/step_N.pt (train or adapt; an adapted one is
                         merged first, so it can be the base of further adapters)
    base weights         <model>.base.safetensors, written by remaster.export beside the ONNX
                         file (the shipped models/remaster-realtime.base.safetensors): fp32
                         weights, the model config and the training config in its metadata
An ONNX file is not a base: its graph is folded for inference; the error names the file to use.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .checkpoint import CheckpointError, read_checkpoint
from .lora import add_configured_adapters, merge, weights_hash
from .model.remaster import ModelConfig, RemasterNet

BASE_SUFFIX = ".base.safetensors"
BASE_META_KEY = "remaster_base"


def load_checkpoint_model(path: str | Path) -> tuple[RemasterNet, dict]:
    """A training checkpoint's network in eval mode (LoRA adapters merged), and the checkpoint."""
    ckpt = read_checkpoint(path)
    if ckpt.get("kind") in ("teacher", "distill"):
        flag = "--teacher" if ckpt["kind"] == "teacher" else "--distilled"
        raise CheckpointError(
            f"{path} is a {ckpt['kind']} checkpoint of the latent route: export it with {flag} PATH --steps N"
        )
    model = RemasterNet(ModelConfig.from_dict(ckpt["model_config"]))
    cfg = ckpt.get("config", {})
    if cfg.get("lora_rank", 0) > 0:
        add_configured_adapters(model, cfg)
        model.load_state_dict(ckpt["model"])
        merge(model)
    else:
        model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def base_path_for(onnx_path: str | Path) -> Path:
    p = Path(onnx_path)
    return p.with_name(p.name[: -len(".onnx")] + BASE_SUFFIX) if p.name.endswith(".onnx") else p


def save_base(model: RemasterNet, path: Path, meta: dict) -> dict:
    """fp32 weights + {model_config, sha256, ...meta} in the file's metadata, written atomically."""
    from safetensors.torch import save_file

    info = {**meta, "model_config": model.cfg.to_dict(), "sha256": weights_hash(model)}
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        save_file(state, tmp, metadata={BASE_META_KEY: json.dumps(info)})
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return info


def load_base(path: str | Path) -> tuple[RemasterNet, dict]:
    """(network in eval mode, {"path", "sha256", "model_config", ...}) from a checkpoint or base file."""
    p = Path(path)
    if p.suffix == ".onnx":
        raise ValueError(
            f"{p} is an inference graph, not trainable weights: start from {base_path_for(p).name}"
            " (remaster.export writes it beside the ONNX file) or from a training checkpoint"
        )
    if not p.is_file():
        raise FileNotFoundError(f"base not found: {p}")
    if p.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(p), framework="pt") as f:
            raw = (f.metadata() or {}).get(BASE_META_KEY)
            if raw is None:
                raise ValueError(f"{p}: no {BASE_META_KEY} metadata: not base weights written by remaster.export")
            state = {k: f.get_tensor(k) for k in f.keys()}
        info = json.loads(raw)
        model = RemasterNet(ModelConfig.from_dict(info["model_config"]))
        model.load_state_dict(state)
        model.eval()
    elif p.suffix == ".pt":
        model, ckpt = load_checkpoint_model(p)
        info = {"model_config": model.cfg.to_dict(), "training_step": ckpt.get("step")}
    else:
        raise ValueError(f"{p}: a base is a training checkpoint (.pt) or base weights (.safetensors)")
    info["sha256"] = weights_hash(model)  # of the weights as loaded, whatever the file says
    info["path"] = str(p)
    return model, info
