import torch

from remaster.colour import ciede2000, delta_e2000, srgb_to_lab

# Sharma, Wu & Dalal (2005), Table 1: (L1, a1, b1, L2, a2, b2, dE00), a few of the 34 pairs,
# including the hue-wrap and zero-chroma cases.
SHARMA = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def test_ciede2000_matches_the_published_test_pairs():
    t = torch.tensor(SHARMA, dtype=torch.float64)
    lab1 = t[:, 0:3].T.reshape(1, 3, 1, -1)
    lab2 = t[:, 3:6].T.reshape(1, 3, 1, -1)
    got = ciede2000(lab1, lab2).flatten()
    assert torch.allclose(got, t[:, 6], atol=1e-4), (got, t[:, 6])
    assert torch.allclose(ciede2000(lab2, lab1).flatten(), got, atol=1e-4)  # symmetric


def test_srgb_lab_and_delta_e_on_images():
    white = torch.ones(1, 3, 2, 2)
    lab = srgb_to_lab(white)
    assert torch.allclose(lab[:, 0], torch.full((1, 2, 2), 100.0), atol=0.05)
    assert lab[:, 1:].abs().max() < 0.05
    grey = torch.full((1, 3, 2, 2), 0.5)
    assert delta_e2000(grey, grey).abs().max() < 1e-5
    red, pink = torch.tensor([1.0, 0, 0]).view(1, 3, 1, 1), torch.tensor([1.0, 0.6, 0.7]).view(1, 3, 1, 1)
    assert float(delta_e2000(red, pink)) > 20
