import torch

from remaster.flip import flip, flip_map


def test_identical_images_have_zero_error():
    a = torch.rand(2, 3, 48, 48)
    assert torch.all(flip(a, a) == 0)


def test_error_is_in_range_and_grows_with_the_difference():
    torch.manual_seed(0)
    a = torch.rand(1, 3, 64, 64)
    small = flip(a, (a + 0.03 * torch.randn_like(a)).clamp(0, 1))
    large = flip(a, (a + 0.2 * torch.randn_like(a)).clamp(0, 1))
    black_white = flip(torch.zeros(1, 3, 32, 32), torch.ones(1, 3, 32, 32))
    assert 0 < small < large < black_white <= 1
    assert black_white > 0.9
    m = flip_map(a, 1 - a)
    assert m.shape == (1, 1, 64, 64) and m.min() >= 0 and m.max() <= 1
