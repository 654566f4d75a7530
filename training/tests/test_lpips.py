import numpy as np
import pytest
import torch
from conftest import SHARED_LPIPS
from PIL import Image

from remaster.losses.lpips import LPIPS, load_lpips
from remaster.weights import CANONICAL, WeightsUnavailable, resolve_weights


def test_self_made_weights_load_through_the_real_loader(lpips_weights):
    backbone, heads = lpips_weights
    m = load_lpips("alex", backbone, heads, download=False)
    ref = LPIPS("alex")
    ref.load_backbone(torch.load(backbone))
    torch.testing.assert_close(m.features[0].weight, ref.features[0].weight)
    x, y = torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 3, 64, 64) * 2 - 1
    assert torch.all(m(x, x).abs() < 1e-6)
    d = m(x, y)
    assert d.shape == (2,) and torch.all(d > 0)
    torch.testing.assert_close(d, m(y, x))  # symmetric


def test_wrong_head_keys_are_an_error(lpips_weights, tmp_path):
    backbone, _ = lpips_weights
    torch.save({"lin9.model.1.weight": torch.zeros(1, 1, 1, 1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="head keys do not match"):
        load_lpips("alex", backbone, tmp_path / "bad.pth", download=False)


def test_missing_weights_name_the_url_and_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REMASTER_CACHE", str(tmp_path))
    with pytest.raises(WeightsUnavailable, match="not in the cache"):
        resolve_weights("alexnet", download=False)
    with pytest.raises(WeightsUnavailable, match="weights file not found"):
        resolve_weights("alexnet", tmp_path / "nope.pth")
    cached = tmp_path / CANONICAL["alexnet"].rsplit("/", 1)[1]
    cached.write_bytes(b"x")
    assert resolve_weights("alexnet", download=False) == cached  # the cache is used


def test_vgg_backbone_builds():
    m = LPIPS("vgg")
    assert m(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)).shape == (1,)


@pytest.mark.skipif(
    not (SHARED_LPIPS / "alexnet_features.pth").is_file(),
    reason="reference LPIPS weights not present in ../shared/weights/lpips-alex",
)
def test_reference_values_with_the_real_alexnet_weights():
    m = load_lpips("alex", SHARED_LPIPS / "alexnet_features.pth", SHARED_LPIPS / "lin_alex_v01.pth", download=False)

    def rgb(name):
        a = np.asarray(Image.open(SHARED_LPIPS / name).convert("RGB"), dtype=np.float32)
        return torch.from_numpy(a).permute(2, 0, 1)[None] / 127.5 - 1

    ref = rgb("ex_ref.png")
    assert abs(float(m(ref, rgb("ex_p0.png"))) - 0.780) < 2e-3
    assert abs(float(m(ref, rgb("ex_p1.png"))) - 0.091) < 2e-3

    def gray(name):
        a = np.asarray(Image.open(SHARED_LPIPS / name).convert("L"), dtype=np.float32).T  # height and width swapped
        t = torch.from_numpy(np.ascontiguousarray(a))[None, None].repeat(1, 3, 1, 1)
        return (t - t.min()) / (t.max() - t.min()) * 2 - 1

    assert abs(float(m(gray("image_noise.png"), gray("image.png"))) - 0.4466) < 1e-3
