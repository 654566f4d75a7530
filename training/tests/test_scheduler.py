import math

import numpy as np
import torch

from remaster.model.remaster import build_model
from remaster.model.scheduler import ddpm_one_step, one_step_coefficients


def reference_abar(t: int) -> float:
    """Scaled-linear betas computed independently, in float64, with a plain loop."""
    n, b0, b1 = 1000, 0.00085, 0.012
    abar = 1.0
    for i in range(t + 1):
        beta = (math.sqrt(b0) + (math.sqrt(b1) - math.sqrt(b0)) * i / (n - 1)) ** 2
        abar *= 1.0 - beta
    return abar


def test_coefficients_match_an_independent_schedule():
    a = reference_abar(999)
    sa, s1 = one_step_coefficients(999)
    assert abs(sa - math.sqrt(a)) < 1e-9 and abs(s1 - math.sqrt(1 - a)) < 1e-9
    assert 0.004 < a < 0.005  # SD's abar at t=999 is about 0.0047


def test_one_step_is_the_ddpm_x0_estimate():
    rng = np.random.default_rng(0)
    z, eps = rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(2, 4, 3, 5))
    a = reference_abar(999)
    expected = (z - np.sqrt(1 - a) * eps) / np.sqrt(a)
    got = ddpm_one_step(torch.tensor(z), torch.tensor(eps))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_model_applies_the_step_to_the_unet_prediction(monkeypatch):
    m = build_model("tiny", identity_init=False).eval()
    seen = {}

    def fake_decoder(z_out, skips=None):
        seen["z_out"] = z_out
        return torch.zeros(z_out.shape[0], 3, z_out.shape[2] * 8, z_out.shape[3] * 8)

    eps = torch.randn(1, 4, 4, 4)
    monkeypatch.setattr(m.unet, "forward", lambda z, t: (seen.setdefault("t", float(t)), eps)[1])
    monkeypatch.setattr(m.decoder, "forward", fake_decoder)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        m(x)
        z = m.encoder(x)
    a = reference_abar(999)
    assert seen["t"] == 999.0
    torch.testing.assert_close(seen["z_out"], (z - math.sqrt(1 - a) * eps) / math.sqrt(a), rtol=1e-5, atol=1e-5)


def test_identity_init_makes_the_step_return_the_latent():
    m = build_model("tiny").eval()
    z = torch.randn(1, 4, 4, 6)
    with torch.no_grad():
        out = ddpm_one_step(z, m.predict_eps(z))
    torch.testing.assert_close(out, z, rtol=1e-4, atol=1e-4)
