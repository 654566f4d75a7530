"""DistributedDataParallel on this CPU: `torchrun --nproc_per_node 2` with gloo trains the same
network a single process does with the same global batch (each rank takes its slice of one
global draw, data.PairedFrames.batch), writes every checkpoint and metrics row once (rank 0),
and resumes under torchrun to the weights of an uninterrupted torchrun run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from test_train import _args, _losses

from remaster.losses.gan import MultiScaleDiscriminator
from remaster.model.remaster import ModelConfig, RemasterNet
from remaster.train import main as train_main

STEPS = 6


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "remaster.train", *args]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def _common(dataset, out, batch: int, lpips_weights, *extra) -> list[str]:
    backbone, heads = lpips_weights
    return _args(
        dataset,
        out,
        f"per_device_train_batch_size={batch}",
        "save_steps=3",
        f"eval_steps={STEPS}",
        "logging_steps=1",
        "gan_start_step=2",  # the discriminator (a second DDP module) trains in the last steps
        "precision=fp32",  # bf16 autocast rounds differently per batch split
        f"lpips_backbone={backbone}",
        f"lpips_heads={heads}",
        *extra,
    )


def _weights(out: Path, step: int = STEPS) -> dict:
    return torch.load(out / "checkpoints" / f"step_{step}.pt", weights_only=False)


def _networks(ckpt: dict):
    """The checkpoint's generator and discriminator, in eval mode."""
    g = RemasterNet(ModelConfig.from_dict(ckpt["model_config"]))
    g.load_state_dict(ckpt["model"])
    d = MultiScaleDiscriminator(scales=len({k.split(".")[1] for k in ckpt["disc"]}))
    d.load_state_dict(ckpt["disc"])
    return g.eval(), d.eval()


def test_two_gloo_processes_equal_one_process_with_the_same_global_batch(dataset, tmp_path, lpips_weights):
    root = Path(__file__).resolve().parents[1]
    one, two = tmp_path / "one", tmp_path / "two"
    assert train_main(_common(dataset, one, 4, lpips_weights, f"max_steps={STEPS}")) == 0
    done = _torchrun(_common(dataset, two, 2, lpips_weights, f"max_steps={STEPS}"), root)

    a, b = _weights(one), _weights(two)
    assert b["config"]["per_device_train_batch_size"] == 2
    # Summation order differs (two half-batch means all-reduced vs one mean), and Adam turns an
    # element's near-zero gradient into a step of ~lr whose sign is rounding's: single elements
    # may differ by ~1e-3, so the networks are compared as functions, and the losses step by step.
    frames = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    nets = [_networks(w) for w in (a, b)]
    with torch.no_grad():
        (ga, da), (gb, db) = nets
        assert (ga(frames) - gb(frames)).abs().max() < 1e-3
        for oa, ob in zip(da(frames), db(frames), strict=True):
            assert (oa - ob).abs().max() < 1e-2 * oa.abs().max()
    la, lb = (_losses(out) for out in (one, two))
    assert [r["step"] for r in la] == [r["step"] for r in lb]
    for ra, rb in zip(la, lb, strict=True):
        for k in ("loss_mse", "loss_lpips", "loss_gan_g", "loss_gan_d"):
            assert abs(ra[k] - rb[k]) <= 1e-4 * max(1.0, abs(ra[k])), (ra["step"], k, ra[k], rb[k])
    # Rank 0 alone writes: one "done" line, each step's metrics row once, the checkpoints once.
    assert done.stdout.count("train: done at step") == 1
    rows = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss_mse" in r] == list(range(1, STEPS + 1))
    assert sorted(p.name for p in (two / "checkpoints").iterdir()) == ["step_3.pt", "step_6.pt"]
    header = json.loads(done.stdout[done.stdout.index("{") : done.stdout.index("\n}") + 2])
    assert header["world_size"] == 2


def test_a_torchrun_run_resumes_under_torchrun_exactly(dataset, tmp_path, lpips_weights):
    root = Path(__file__).resolve().parents[1]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    _torchrun(_common(dataset, straight, 2, lpips_weights, f"max_steps={STEPS}"), root)
    _torchrun(_common(dataset, resumed, 2, lpips_weights, "max_steps=3"), root)
    _torchrun(["--resume", "auto", *_common(dataset, resumed, 2, lpips_weights, f"max_steps={STEPS}")], root)
    a, b = _weights(straight), _weights(resumed)
    for part in ("model", "disc"):
        for k in a[part]:
            assert torch.equal(a[part][k], b[part][k]), f"{part}.{k} differs after a resume under torchrun"
