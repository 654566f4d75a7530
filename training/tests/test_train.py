import json
import random
import signal
import subprocess
import sys
import time

import torch

from remaster.train import main as train_main


def _args(dataset, out, *extra):
    return [
        f"dataset_dir={dataset}",
        f"output_dir={out}",
        "model_preset=tiny",
        "resolution=32",
        "per_device_train_batch_size=2",
        "warmup_steps=2",
        "learning_rate=3e-3",
        "num_eval_images=2",
        "report_images=2",
        *extra,
    ]


def _losses(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if "loss_mse" in line]


def test_tiny_overfit_loss_falls_and_the_run_leaves_a_report(dataset, tmp_path):
    out = tmp_path / "run"
    assert (
        train_main(
            _args(
                dataset,
                out,
                "max_steps=60",
                "logging_steps=1",
                "save_steps=60",
                "eval_steps=30",
                "lpips_factor=0",
                "gan_factor=0",
            )
        )
        == 0
    )
    rows = _losses(out)
    first = sum(r["loss_mse"] for r in rows[:5]) / 5
    last = sum(r["loss_mse"] for r in rows[-5:]) / 5
    assert last < 0.5 * first, f"loss did not fall: {first:.4f} -> {last:.4f}"
    assert all({"lr", "images_per_s", "cpu_percent"} <= set(r) for r in rows)
    evals = [json.loads(line)["eval"] for line in (out / "metrics.jsonl").read_text().splitlines() if '"eval"' in line]
    assert len(evals) == 2 and evals[-1]["psnr"] > evals[0]["psnr"]
    assert "dists" in evals[-1] and "unavailable" in evals[-1]["dists"]
    # the ReLU health probe at every evaluation (remaster/model/health.py)
    assert evals[-1]["relu_channels"] > 0 and isinstance(evals[-1]["cut_layers"], list)
    html = (out / "report.html").read_text()
    assert "<svg" in html and "data:image/png;base64," in html
    ckpt = torch.load(out / "checkpoints" / "step_60.pt", weights_only=False)
    assert ckpt["config"]["max_steps"] == 60 and ckpt["step"] == 60 and ckpt["model_config"]["preset"] == "tiny"


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120.0) -> None:
    """SIGKILL `proc` (a real crash: no handler runs) as soon as `ready()` holds."""
    deadline = time.time() + timeout
    while not ready():
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-2000:]}"
        assert time.time() < deadline, "the run did not reach the kill point in time"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _logged_step(out) -> int:
    """The last step the run logged (metrics.jsonl, a row per step here); 0 before any."""
    path = out / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    for line in reversed(lines):
        try:
            return json.loads(line)["step"]
        except (json.JSONDecodeError, KeyError):
            continue
    return 0


def test_killed_at_five_random_steps_and_resumed_run_matches_an_uninterrupted_one(dataset, tmp_path, lpips_weights):
    backbone, heads = lpips_weights
    steps, seed = 60, int(time.time()) % 10_000
    kills = sorted(random.Random(seed).sample(range(3, steps - 5), 5))
    common = _args(
        dataset,
        "{out}",
        f"max_steps={steps}",
        "save_steps=2",  # kills land on checkpoints and between them
        f"eval_steps={steps}",
        "logging_steps=1",
        "gan_start_step=2",
        f"lpips_backbone={backbone}",
        f"lpips_heads={heads}",
    )
    straight = tmp_path / "straight"
    assert train_main([a.replace("{out}", str(straight)) for a in common]) == 0

    resumed = tmp_path / "resumed"
    args = [a.replace("{out}", str(resumed)) for a in common]
    for i, at in enumerate(kills):
        resume = ["--resume", "auto"] if i else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "remaster.train", *resume, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _kill_when(proc, lambda at=at: _logged_step(resumed) >= at)
        assert proc.returncode == -signal.SIGKILL
        kept = sorted(p.name for p in (resumed / "checkpoints").iterdir())
        assert f"step_{steps}.pt" not in kept, f"seed {seed}: the run finished before kill {i} ({kept})"
    assert train_main(["--resume", "auto", *args]) == 0

    a = torch.load(straight / "checkpoints" / f"step_{steps}.pt", weights_only=False)
    b = torch.load(resumed / "checkpoints" / f"step_{steps}.pt", weights_only=False)
    for part in ("model", "disc"):
        for k in a[part]:
            assert torch.equal(a[part][k], b[part][k]), f"seed {seed} (kills at {kills}): {part}.{k} differs"
    assert a["opt"]["state"][0]["step"] == b["opt"]["state"][0]["step"]
    # The losses logged after each resume point are the uninterrupted run's (a kill may leave
    # rows past the checkpoint: they are dropped on resume).
    la, lb = _losses(straight), _losses(resumed)
    assert [r["step"] for r in lb] == [r["step"] for r in la]
    assert [r["loss_mse"] for r in la] == [r["loss_mse"] for r in lb]


def test_config_errors_exit_2(dataset, tmp_path, capsys):
    assert train_main([f"dataset_dir={dataset}", "max_step=3"]) == 2
    assert "unknown config key 'max_step'" in capsys.readouterr().err


def test_missing_lpips_weights_are_a_clear_error(dataset, tmp_path, capsys):
    code = train_main(_args(dataset, tmp_path / "r", "max_steps=1", f"lpips_backbone={tmp_path / 'none.pth'}"))
    assert code == 2
    assert "LPIPS weights are unavailable" in capsys.readouterr().err


def test_colour_permute_swaps_the_same_channels_of_low_and_high_on_that_share_of_pairs(dataset):
    from remaster.data import CHANNEL_ORDERS, PairedFrames, batch_generator

    train = PairedFrames(dataset, "train")
    # 0 makes no draw: the batches of a config without the key are the ones it always had.
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            train.batch(3, 16, batch_generator(0, 5)),
            train.batch(3, 16, batch_generator(0, 5), colour_permute=0.0),
            strict=True,
        )
    )
    seen = set()
    for step in range(12):
        # One pair per batch: the permuted pair has the same crop and flip as the plain one (drawn first).
        lo, hi, _ = train.batch(1, 16, batch_generator(0, step))
        plo, phi, _ = train.batch(1, 16, batch_generator(0, step), colour_permute=1.0)
        match = [o for o in CHANNEL_ORDERS[1:] if torch.equal(plo, lo[:, list(o)]) and torch.equal(phi, hi[:, list(o)])]
        assert match, f"step {step}: the permuted pair is no other channel order of the plain pair"
        seen.add(match[0])
    assert len(seen) >= 3  # the order is drawn, not fixed
    share = sum(
        not torch.equal(
            train.batch(1, 16, batch_generator(1, s))[0],
            train.batch(1, 16, batch_generator(1, s), colour_permute=0.5)[0],
        )
        for s in range(200)
    )
    assert 70 <= share <= 130  # about half the pairs (grey pixels could hide a swap: none in the fixture's patterns)
