"""Export a trained checkpoint to ONNX for the plugin.

    python -m remaster.export --checkpoint runs/realtime/checkpoints/step_N.pt --out ../models/remaster-realtime.onnx
    python -m remaster.export --adapter runs/my-game/adapter [--base PATH] --out my-game.onnx
    python -m remaster.export --distilled runs/distill/checkpoints/step_N.pt --steps 1 --out student-1step.onnx
    python -m remaster.export --teacher runs/teacher/checkpoints/step_N.pt --steps 50 --out teacher-50.onnx

Writes <out> (fp32) and <out minus .onnx>.fp16.onnx, opset 17, dynamic height and width, and
<out minus .onnx>.base.safetensors: the weights adapters start from (remaster.adapt --base).
--deadzone LEVELS (with --checkpoint or --adapter) sets the residual model's inference deadzone
(model/remaster.py ModelConfig.deadzone) in the graph and its metadata; default: the checkpoint's.
With --adapter: the adapter (remaster.adapt) merged into its base (the one it names, or --base;
refused when the base's weights hash differs from the one it was trained on): the same graph
and cost as the base, metadata naming both.
With --distilled / --teacher (issue #12's latent route): the consistency student at --steps n
(1 .. its num_boundaries) or the teacher at --steps N DDIM steps, as one graph with the fixed
timesteps and the fixed noise tile unrolled (one session run per frame, same contract); the
metadata adds sampling_steps, timesteps and FLOPs of the whole unrolled graph. No base file.
Contract (also in the model's metadata under the key "remaster"):
  input  "input":  (1, 3, H, W) RGB, sRGB-encoded values in [0, 1], H and W multiples of 8;
                   float32 (float16 in the fp16 file)
  output "output": (1, 3, H*upscale, W*upscale), same encoding, range and dtype
Then checks parity: onnxruntime vs PyTorch on the same input (fp32: max abs diff <= 1e-3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from .base_model import base_path_for, load_base, load_checkpoint_model, save_base
from .checkpoint import CheckpointError, read_checkpoint
from .lora import AdapterError, apply_adapter, read_adapter
from .model import diffusion as D
from .model.latent import LatentSampler, SamplerConfig
from .model.remaster import RemasterNet, describe, with_deadzone

OPSET = 17
WEIGHT_PATH_KEYS = {"lpips_backbone", "lpips_heads", "vae_init", "clip_weights", "base", "teacher"}
CONTRACT = {
    "input": {
        "name": "input",
        "layout": "NCHW",
        "channels": "RGB",
        "range": [0.0, 1.0],
        "color_space": "sRGB-encoded (as the canvas pixels)",
        "size_multiple": 8,
    },
    "output": {
        "name": "output",
        "layout": "NCHW",
        "channels": "RGB",
        "range": [0.0, 1.0],
        "color_space": "sRGB-encoded (as the canvas pixels)",
    },
}


def check_exportable(model: torch.nn.Module) -> None:
    """ValueError unless the model takes the frame alone, the plugin's contract (CONTRACT above)."""
    guides = tuple(getattr(getattr(model, "cfg", None), "guides", ()))
    if guides:
        raise ValueError(
            f"this model takes guides {list(guides)} beside the frame; the plugin's contract is the frame"
            " alone, so it cannot be exported for it yet"
        )


def _export(model: torch.nn.Module, dtype: torch.dtype, path: Path, sample: int = 64) -> None:
    check_exportable(model)
    # The TorchScript exporter writes opset 17 directly; the dynamo exporter emits opset 18 and its
    # down-conversion has no adapter for Pad (the UNet's replicate padding) in onnx 1.23.
    x = torch.rand(1, 3, sample, sample, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "out_height", 3: "out_width"}},
            do_constant_folding=True,
        )


def _set_metadata(path: Path, meta: dict, dtype: str) -> None:
    m = onnx.load(str(path))
    m.producer_name = "remaster"
    for k in [p for p in m.metadata_props]:
        m.metadata_props.remove(k)
    meta = json.loads(json.dumps(meta))
    meta["input"]["dtype"] = meta["output"]["dtype"] = dtype
    for key, value in {
        "remaster": json.dumps(meta),
        "preset": meta["preset"],
        "input_names": "input",
        "output_names": "output",
        "layout": "NCHW",
        "range": "0,1",
        "color_space": "sRGB",
        "dtype": dtype,
    }.items():
        p = m.metadata_props.add()
        p.key, p.value = key, value
    onnx.checker.check_model(m)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    onnx.save(m, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_metadata(path: str | Path) -> dict:
    try:
        m = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf DecodeError and friends: a torn or foreign file
        raise ValueError(f"{path} cannot be read as an ONNX model ({type(e).__name__}: {e})") from None
    props = {p.key: p.value for p in m.metadata_props}
    if "remaster" not in props:
        raise ValueError(f"{path}: no 'remaster' metadata: not a model exported by remaster.export")
    return json.loads(props["remaster"])


def parity(
    model: RemasterNet, onnx_path: Path, dtype: torch.dtype, size: tuple[int, int] = (72, 104), seed: int = 0
) -> float:
    """Max abs difference between onnxruntime and PyTorch on one random input of `size`."""
    import onnxruntime as ort

    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, *size, generator=g)
    with torch.no_grad():
        ref = model.float()(x).numpy()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    out = sess.run(["output"], {"input": x.numpy().astype(np.float16 if dtype == torch.float16 else np.float32)})[0]
    return float(np.abs(out.astype(np.float32) - ref).max())


def export_model(
    model: RemasterNet | LatentSampler, out: Path, meta_extra: dict | None = None, fp16: bool = True, check: bool = True
) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        **CONTRACT,
        "format": 1,
        "opset": OPSET,
        "preset": model.cfg.preset,
        "upscale": model.upscale,
        "model_config": model.cfg.to_dict(),
        **(model.describe() if isinstance(model, LatentSampler) else describe(model)),
        **(meta_extra or {}),
    }
    results: dict = {"fp32": str(out)}
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".onnx.tmp")
    os.close(fd)
    _export(model.float().eval(), torch.float32, Path(tmp))
    os.replace(tmp, out)
    _set_metadata(out, meta, "float32")
    if check:
        results["parity_fp32_max_abs_diff"] = parity(model, out, torch.float32)
        if results["parity_fp32_max_abs_diff"] > 1e-3:
            raise RuntimeError(f"fp32 parity failed: max abs diff {results['parity_fp32_max_abs_diff']:.2e} > 1e-3")
    if fp16:
        out16 = out.with_name(out.name[: -len(".onnx")] + ".fp16.onnx")
        fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".onnx.tmp")
        os.close(fd)
        half = type(model)(model.cfg)
        half.load_state_dict(model.state_dict())
        _export(half.half().eval(), torch.float16, Path(tmp))
        os.replace(tmp, out16)
        _set_metadata(out16, meta, "float16")
        results["fp16"] = str(out16)
        if check:
            try:
                results["parity_fp16_max_abs_diff"] = parity(model, out16, torch.float16)
            except Exception as e:  # onnxruntime's CPU provider lacks some fp16 kernels
                results["parity_fp16_max_abs_diff"] = {
                    "unavailable": f"onnxruntime CPU could not run the fp16 model: {str(e).splitlines()[0]}"
                }
    return results


def _training_extra(cfg: dict, step) -> dict:
    dirs = cfg["dataset_dir"] if isinstance(cfg["dataset_dir"], list) else [cfg["dataset_dir"]]  # str: older runs
    ids = [json.loads((Path(d) / "dataset.json").read_text()) for d in dirs if (Path(d) / "dataset.json").is_file()]
    # Weight paths are machine-specific: keep only their file names in the shipped metadata.
    cfg = {k: (Path(v).name if k in WEIGHT_PATH_KEYS and v else v) for k, v in cfg.items()}
    return {"training_config": cfg, "training_step": step, "dataset": ids[0] if len(ids) == 1 else ids or None}


def _adapter_name(p: Path) -> str:
    """The run's name for an adapter folder called "adapter" (runs/adapt-my-game/adapter)."""
    p = p.resolve()
    p = p.parent if p.name == "adapter.safetensors" else p
    return p.parent.name if p.name == "adapter" else p.name


def _adapted(adapter: str, base_arg: str | None) -> tuple[RemasterNet, dict]:
    config, tensors = read_adapter(adapter)  # read once: it names its base
    base_file = base_arg or config["base"]["path"]
    base, base_info = load_base(base_file)
    model, config = apply_adapter(base, base_info["sha256"], adapter, (config, tensors))
    extra = _training_extra(config["training_config"], config["training_step"])
    extra["adapter"] = {
        "name": _adapter_name(Path(adapter)),
        "parameters": config["parameters"],
        "ranks": sorted(set(config["ranks"].values())),
        "base": {"file": Path(base_file).name, "sha256": base_info["sha256"]},
    }
    return model, extra


def latent_model(path: str, kind: str, steps: int) -> tuple[LatentSampler, dict]:
    """A teacher (N DDIM steps) or a distilled student (n consistency steps) as one network."""
    ckpt = read_checkpoint(path, kind)
    saved = SamplerConfig.from_dict(ckpt["model_config"])
    if kind == "teacher":
        times = D.trailing_timesteps(steps)
    else:
        k = ckpt["num_boundaries"]
        if not 1 <= steps <= k:
            raise ValueError(
                f"--steps {steps}: this student has {k} segments (num_boundaries): it samples in 1..{k} steps"
            )
        times = D.student_timesteps(steps, k)
    preset = f"teacher-ddim{steps}" if kind == "teacher" else f"distilled-{steps}step"
    model = LatentSampler(SamplerConfig(**{**saved.__dict__, "timesteps": tuple(times), "preset": preset}))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a training checkpoint (train or adapt)")
    src.add_argument("--adapter", help="an adapter folder written by remaster.adapt (merged into its base)")
    src.add_argument("--distilled", help="a checkpoint of remaster.distill (the consistency student)")
    src.add_argument("--teacher", help="a checkpoint of remaster.teacher (the multi-step teacher)")
    ap.add_argument("--steps", type=int, help="with --distilled (default 1) or --teacher (default 50): sampling steps")
    ap.add_argument("--base", help="with --adapter: the base it was trained on (default: the path it records)")
    ap.add_argument(
        "--deadzone", type=float, help="with --checkpoint or --adapter: this inference deadzone (8-bit levels)"
    )
    ap.add_argument("--out", required=True, help="fp32 .onnx path; the fp16 file goes beside it")
    ap.add_argument("--metrics", help="JSON from remaster.evaluate to embed in the metadata")
    ap.add_argument("--no-fp16", action="store_true")
    ap.add_argument("--no-base", action="store_true", help="do not write the .base.safetensors file")
    args = ap.parse_args(argv)
    if not args.out.endswith(".onnx"):
        print("export: --out must end in .onnx", file=sys.stderr)
        return 2
    if args.base and not args.adapter:
        print("export: --base goes with --adapter", file=sys.stderr)
        return 2
    if args.steps is not None and not (args.distilled or args.teacher):
        print("export: --steps goes with --distilled or --teacher", file=sys.stderr)
        return 2
    if args.deadzone is not None and (args.distilled or args.teacher):
        print("export: --deadzone goes with --checkpoint or --adapter", file=sys.stderr)
        return 2
    try:
        if args.distilled or args.teacher:
            kind = "distill" if args.distilled else "teacher"
            steps = args.steps or (1 if args.distilled else 50)
            model, ckpt = latent_model(args.distilled or args.teacher, kind, steps)
            extra = _training_extra(ckpt["config"], ckpt["step"])
            args.no_base = True  # adapters start from RemasterNet bases only
        elif args.adapter:
            model, extra = _adapted(args.adapter, args.base)
        else:
            model, ckpt = load_checkpoint_model(args.checkpoint)
            extra = _training_extra(ckpt["config"], ckpt["step"])
        if args.deadzone is not None:
            with_deadzone(model, args.deadzone)
        check_exportable(model)
    except (AdapterError, CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"export: {e}", file=sys.stderr)
        return 2
    if args.metrics:
        extra["metrics"] = json.loads(Path(args.metrics).read_text())
    out = Path(args.out)
    results = export_model(model, out, extra, fp16=not args.no_fp16)
    if not args.no_base:
        base_file = base_path_for(out)
        save_base(model, base_file, {k: extra[k] for k in ("training_config", "training_step") if k in extra})
        results["base"] = str(base_file)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
