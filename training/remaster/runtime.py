"""Device, precision, distributed setup and machine-load readings (no side effects on import)."""

from __future__ import annotations

import contextlib
import os
import time

import torch
import torch.distributed as dist


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda asked, but CUDA is not available")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and dist.is_available() and dist.is_initialized():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device(choice)


def cpu_has_bf16() -> bool:
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def autocast(device: torch.device, precision: str):
    """bf16 autocast on CUDA, and on CPUs with AMX/AVX512-BF16; fp32 otherwise."""
    use_bf16 = precision == "bf16" or (precision == "auto" and (device.type == "cuda" or cpu_has_bf16()))
    if not use_bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def init_distributed() -> tuple[int, int]:
    """torchrun sets WORLD_SIZE/RANK/LOCAL_RANK: then join the process group (NCCL on GPUs)."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group(backend)
    return (dist.get_rank() if dist.is_initialized() else 0), world


def mean_across_ranks(values: dict[str, float]) -> dict[str, float]:
    """The mean of each value over the processes of a distributed run (every rank must call it at
    the same step); the values themselves in a single process."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    t = torch.tensor(list(values.values()), dtype=torch.float64)
    dist.all_reduce(t)
    return dict(zip(values, (t / dist.get_world_size()).tolist(), strict=True))


class LoadMeter:
    """CPU utilisation of this process (from /proc), resident memory, and GPU figures if any."""

    def __init__(self):
        self._t = time.monotonic()
        self._cpu = time.process_time()

    def read(self, device: torch.device) -> dict:
        now, cpu = time.monotonic(), time.process_time()
        out = {"cpu_percent": round(100 * (cpu - self._cpu) / max(now - self._t, 1e-6), 1)}
        self._t, self._cpu = now, cpu
        try:
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        try:
            out["loadavg_1m"] = os.getloadavg()[0]
        except OSError:
            pass
        if device.type == "cuda":
            out["gpu_mem_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
            try:
                out["gpu_util_percent"] = torch.cuda.utilization(device)
            except Exception:  # needs pynvml
                pass
        return out
