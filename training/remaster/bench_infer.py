"""Inference timing of exported models with onnxruntime: the GPU figures of the performance issue.

    python -m remaster.bench_infer --models models/remaster-realtime.onnx models/remaster-realtime.fp16.onnx \
        --sizes 1280x720 1920x1080 --provider cuda --out bench/results/gpu-infer.json

For each model x size: a session with static shapes (the model's symbolic height/width fixed with
free-dimension overrides, as the plugin's WebGPU path does), device-resident input and output
through IO binding (no host copies in the timed loop), warm-up runs, then `--reps` timed runs;
median / p10 / p90 ms, achieved TFLOP/s from the model metadata, and the target check (`realtime`
<= 2 ms per 1280x720 frame). With `--cuda-graph` the CUDA provider captures the graph and replays
it (the counterpart of WebGPU graph capture). Writes JSON (atomically) with the device name, the
onnxruntime version, the providers the session really used, and the command line.

Data contract: input NCHW [1, 3, H, W] in [0, 1], float32 or float16 as the model declares.
`--provider cpu` runs the same code on the CPU (what the tests exercise on machines without a GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_MS_720P = 2.0


def parse_size(s: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WxH (e.g. 1280x720), got {s!r}") from None
    if w <= 0 or h <= 0 or w % 8 or h % 8:
        raise argparse.ArgumentTypeError(f"size {s}: width and height must be positive multiples of 8")
    return w, h


def device_name(provider: str) -> str:
    if provider == "cuda":
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            import torch

            if torch.cuda.is_available():
                return torch.cuda.get_device_name(0)
        except ImportError:
            pass
        return "unknown CUDA device"
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} logical CPUs)"


def symbolic_dims(model_path: Path) -> list:
    import onnx

    m = onnx.load(str(model_path), load_external_data=False)
    return [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]


def make_session(model_path: Path, provider: str, w: int, h: int, cuda_graph: bool):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    for i, d in enumerate(symbolic_dims(model_path)):
        if isinstance(d, str) and d:
            so.add_free_dimension_override_by_name(d, [1, 3, h, w][i])
    if provider == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise RuntimeError(
                f"--provider cuda: this onnxruntime ({ort.__version__}) has no CUDAExecutionProvider"
                f"; available: {ort.get_available_providers()} (install onnxruntime-gpu)"
            )
        opts = {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": "1"}
        if cuda_graph:
            opts["enable_cuda_graph"] = "1"
        providers = [("CUDAExecutionProvider", opts)] + ([] if cuda_graph else ["CPUExecutionProvider"])
    else:
        providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(str(model_path), so, providers=providers)


def time_model(model_path: Path, provider: str, w: int, h: int, reps: int, warmup: int, cuda_graph: bool) -> dict:
    import onnxruntime as ort

    from remaster.export import read_metadata

    meta = read_metadata(model_path)
    dtype = np.float16 if meta["input"]["dtype"] == "float16" else np.float32
    up = int(meta.get("upscale", 1))
    sess = make_session(model_path, provider, w, h, cuda_graph)
    dev = "cuda" if provider == "cuda" else "cpu"
    x = ort.OrtValue.ortvalue_from_numpy(
        np.random.default_rng(0).random((1, 3, h, w), dtype=np.float32).astype(dtype), dev, 0
    )
    y = ort.OrtValue.ortvalue_from_shape_and_type([1, 3, h * up, w * up], dtype, dev, 0)
    binding = sess.io_binding()
    binding.bind_ortvalue_input(meta["input"]["name"], x)
    binding.bind_ortvalue_output(meta["output"]["name"], y)
    for _ in range(warmup):
        sess.run_with_iobinding(binding)
    binding.synchronize_outputs()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sess.run_with_iobinding(binding)
        binding.synchronize_outputs()  # the output is complete on the device
        samples.append((time.perf_counter() - t0) * 1000)
    out = y.numpy()
    if not np.isfinite(out.astype(np.float32)).all():
        raise RuntimeError(f"{model_path.name} at {w}x{h}: non-finite output")
    flops = float(meta.get("flops_per_output_pixel", 0)) * (w * up) * (h * up)
    med = float(np.median(samples))
    return {
        "model": model_path.name,
        "preset": meta.get("preset"),
        "dtype": meta["input"]["dtype"],
        "size": f"{w}x{h}",
        "providers": sess.get_providers(),
        "cuda_graph": cuda_graph,
        "median_ms": med,
        "p10_ms": float(np.percentile(samples, 10)),
        "p90_ms": float(np.percentile(samples, 90)),
        "reps": reps,
        "flops": flops,
        "achieved_tflops": flops / (med * 1e9) if med > 0 else None,
    }


def atomic_write_json(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--models",
        nargs="+",
        type=Path,
        default=[Path("models/remaster-realtime.onnx"), Path("models/remaster-realtime.fp16.onnx")],
    )
    ap.add_argument("--sizes", nargs="+", type=parse_size, default=[(1280, 720), (1920, 1080)])
    ap.add_argument("--provider", choices=["auto", "cuda", "cpu"], default="auto")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--cuda-graph", action="store_true", help="also time each case with CUDA graph capture")
    ap.add_argument("--out", type=Path, default=Path("bench/results/gpu-infer.json"))
    a = ap.parse_args(argv)
    import onnxruntime as ort

    for m in a.models:
        if not m.is_file():
            ap.error(f"--models: {m} does not exist")
    provider = a.provider
    if provider == "auto":
        provider = "cuda" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu"
    rows, failures = [], []
    cases = [
        (m, w, h, g)
        for m in a.models
        for (w, h) in a.sizes
        for g in ([False, True] if a.cuda_graph and provider == "cuda" else [False])
    ]
    for i, (m, w, h, g) in enumerate(cases, 1):
        try:
            r = time_model(m, provider, w, h, a.reps, a.warmup, g)
            rows.append(r)
            print(
                f"[{i}/{len(cases)}] {r['model']} {r['size']}{' cuda-graph' if g else ''}"
                f": {r['median_ms']:.3f} ms (p90 {r['p90_ms']:.3f})",
                file=sys.stderr,
            )
        except Exception as e:  # one failing case (e.g. fp16 kernels missing on CPU) must not lose the others
            failures.append({"model": m.name, "size": f"{w}x{h}", "cuda_graph": g, "error": str(e).splitlines()[0]})
            print(f"[{i}/{len(cases)}] {m.name} {w}x{h}: failed: {failures[-1]['error']}", file=sys.stderr)
    realtime_720 = [r for r in rows if r["preset"] == "realtime" and r["size"] == "1280x720"]
    best = min((r["median_ms"] for r in realtime_720), default=None)
    report = {
        "benchmark": "remaster-infer",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "device": device_name(provider),
        "provider": provider,
        "onnxruntime": ort.__version__,
        "command": "python -m remaster.bench_infer "
        + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:])),
        "results": rows,
        "failures": failures,
        "target": {
            "what": f"realtime <= {TARGET_MS_720P} ms per 1280x720 frame",
            "best_ms": best,
            "met": (best is not None and best <= TARGET_MS_720P) if provider == "cuda" else None,
        },
    }
    atomic_write_json(report, a.out)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
