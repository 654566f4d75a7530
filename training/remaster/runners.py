"""The model as a function of a frame, for evaluation: from a training checkpoint or base weights
(PyTorch) or an exported ONNX file (onnxruntime, CPU). (1, 3, H, W) float32 RGB in [0, 1] in and out;
a model with guides (remaster.guides) takes its planes after RGB: `runner_input` builds that input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .guides import guide_planes


def runner_input(runner, low: torch.Tensor, root: str | Path, row: dict) -> torch.Tensor:
    """What `runner` takes for one pair: the (1, 3, H, W) low frame, with the pair's guide planes
    after it when the model has guides (`runner.guides`; DatasetError names a pair without them)."""
    guides = tuple(getattr(runner, "guides", ()))
    if not guides:
        return low
    planes = guide_planes(root, row, guides, *low.shape[-2:])  # (H, W, planes)
    return torch.cat([low, torch.from_numpy(planes).permute(2, 0, 1)[None]], dim=1)


class ModelMismatch(ValueError):
    """A model that does not fit the frames it is given (size, contract) or outputs non-finite values."""


def checked_output(runner, low: torch.Tensor, want_hw: tuple[int, int], pair: str) -> torch.Tensor:
    """runner(low) as (1, 3, H, W) float in [0, 1], or ModelMismatch naming the pair: an output of
    another size than the target frame (a model trained for another configuration), NaN or inf."""
    out = runner(low).float()
    if tuple(out.shape[-2:]) != tuple(want_hw):
        raise ModelMismatch(
            f"{runner.name} turns pair {pair}'s {low.shape[-1]}x{low.shape[-2]} frame into "
            f"{out.shape[-1]}x{out.shape[-2]}, but its high frame is {want_hw[1]}x{want_hw[0]}: "
            "model and dataset were made for different configurations (upscale or size)"
        )
    bad = (~torch.isfinite(out)).sum().item()
    if bad:
        raise ModelMismatch(f"{runner.name} output {bad} non-finite values (NaN/inf) on pair {pair}")
    return out.clamp(0, 1)


class TorchRunner:
    """A training checkpoint (adapters merged) or base weights (.base.safetensors)."""

    def __init__(self, checkpoint: str | Path, deadzone: float | None = None):
        from .base_model import load_base
        from .model.remaster import with_deadzone

        self.model, _ = load_base(checkpoint)
        if deadzone is not None:  # another inference deadzone than the checkpoint's (a sweep)
            with_deadzone(self.model, deadzone)
        self.name = f"checkpoint {checkpoint}" + (f" (deadzone {deadzone:g})" if deadzone is not None else "")
        self.guides = tuple(self.model.cfg.guides)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class OnnxRunner:
    def __init__(self, path: str):
        import onnxruntime as ort

        from .export import read_metadata

        if not Path(path).is_file():
            raise FileNotFoundError(f"ONNX model not found: {path}")
        read_metadata(path)  # ValueError naming the file: not a Remaster model
        self.sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        ins, outs = [i.name for i in self.sess.get_inputs()], [o.name for o in self.sess.get_outputs()]
        shape = self.sess.get_inputs()[0].shape
        if ins != ["input"] or outs != ["output"] or len(shape) != 4 or shape[1] != 3:
            raise ValueError(
                f"{path}: inputs {ins} {shape}, outputs {outs}: not the Remaster contract"
                " (input 'input' (1, 3, H, W) -> output 'output')"
            )
        self.dtype = np.float16 if self.sess.get_inputs()[0].type == "tensor(float16)" else np.float32
        self.name = f"onnx {path}"
        self.guides: tuple[str, ...] = ()  # the exported contract is RGB only

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.sess.run(["output"], {"input": x.numpy().astype(self.dtype)})[0]
        return torch.from_numpy(out.astype(np.float32))
