"""The network's health: the dead-ReLU probe (remaster/model/health.py), the loss ramp and the UNet's
learning-rate scale (the two causes of the cut decoder path found in the shipped model's stage 1)."""

import numpy as np
import pytest
import torch

from remaster.config import ConfigError, TrainConfig, validate
from remaster.losses import objective
from remaster.losses.objective import LossNets, generator_loss, ramp
from remaster.model.health import ReluProbe, summary
from remaster.model.remaster import build_model
from remaster.train import param_groups


def _frames(n: int = 6, size: int = 64) -> torch.Tensor:
    """Smooth colour patterns from dark to bright: (n, 3, size, size) in [0, 1]."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size] / size
    out = []
    for i in range(n):
        fx, fy = rng.uniform(1, 4, 3), rng.uniform(1, 4, 3)
        img = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * (fx[c] * x + fy[c] * y)) for c in range(3)])
        out.append(img * (0.2 + 0.8 * i / max(1, n - 1)))
    return torch.tensor(np.stack(out), dtype=torch.float32)


def test_the_probe_finds_a_layer_whose_every_channel_is_dead():
    torch.manual_seed(0)
    model = build_model("tiny", skip_connections=True, residual=True).eval()
    with ReluProbe(model) as probe, torch.no_grad():
        model(_frames(2))
    healthy = summary(probe.layers())
    assert healthy["relu_channels"] > 0 and "decoder.layers.1" not in healthy["cut_layers"]
    with torch.no_grad():
        model.decoder.layers[0].bias.fill_(-1e3)  # the conv before decoder.layers.1's ReLU: always < 0
    with ReluProbe(model) as probe, torch.no_grad():
        model(_frames(2))
    cut = summary(probe.layers())
    assert "decoder.layers.1" in cut["cut_layers"]
    assert cut["dead_relu_channels"] >= healthy["dead_relu_channels"] + model.decoder.layers[0].out_channels - 1
    model(_frames(1))  # the probe's hooks are gone once it is left
    assert not model.decoder.layers[1]._forward_hooks


def test_the_loss_ramp_is_linear_from_each_terms_start():
    cfg = TrainConfig(loss_ramp_steps=4)
    assert [ramp(cfg, s, 10) for s in (0, 9, 10, 11, 13, 50)] == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]
    assert ramp(TrainConfig(loss_ramp_steps=0), 10, 10) == 1.0
    with pytest.raises(ConfigError, match="loss_ramp_steps"):
        validate(TrainConfig(loss_ramp_steps=-1))


def test_the_generator_loss_weighs_lpips_by_the_ramp(monkeypatch):
    monkeypatch.setattr(objective, "lpips_01", lambda net, a, b: torch.ones(a.shape[0]))
    nets = LossNets(lpips=object(), disc=None, disc_module=None)
    pred, target = torch.full((1, 3, 8, 8), 0.5), torch.full((1, 3, 8, 8), 0.25)
    cfg = TrainConfig(mse_factor=1.0, lpips_factor=2.0, lpips_start_step=100, loss_ramp_steps=10, gan_factor=0)
    mse = 0.25**2
    for step, weight in ((99, 0.0), (100, 0.1), (104, 0.5), (200, 1.0)):
        loss, _ = generator_loss(pred, target, step, cfg, nets)
        assert float(loss) == pytest.approx(mse + 2.0 * weight), step


def test_the_unet_gets_its_own_learning_rate():
    model = build_model("tiny", skip_connections=True, residual=True)
    every = {id(p) for p in model.parameters()}
    one = param_groups(model, TrainConfig(learning_rate=1e-3))
    assert len(one) == 1 and {id(p) for p in one[0]["params"]} == every
    two = param_groups(model, TrainConfig(learning_rate=1e-3, unet_lr_scale=0.1))
    unet = {id(p) for p in model.unet.parameters()}
    assert {id(p) for p in two[1]["params"]} == unet and two[1]["lr"] == pytest.approx(1e-4)
    assert {id(p) for p in two[0]["params"]} == every - unet and "lr" not in two[0]
    opt = torch.optim.AdamW(two, lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5)
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([5e-4, 5e-5])
    with pytest.raises(ConfigError, match="unet_lr_scale"):
        validate(TrainConfig(unet_lr_scale=0))
