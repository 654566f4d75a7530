"""The model as a function of a frame, for evaluation: from a training checkpoint or base weights
(PyTorch) or an exported ONNX file (onnxruntime, CPU). (1, 3, H, W) float32 RGB in [0, 1] in and out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


class TorchRunner:
    """A training checkpoint (adapters merged) or base weights (.base.safetensors)."""

    def __init__(self, checkpoint: str | Path):
        from .base_model import load_base

        self.model, _ = load_base(checkpoint)
        self.name = f"checkpoint {checkpoint}"

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class OnnxRunner:
    def __init__(self, path: str):
        import onnxruntime as ort

        self.sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.dtype = np.float16 if self.sess.get_inputs()[0].type == "tensor(float16)" else np.float32
        self.name = f"onnx {path}"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.sess.run(["output"], {"input": x.numpy().astype(self.dtype)})[0]
        return torch.from_numpy(out.astype(np.float32))
