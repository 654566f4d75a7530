"""Guide planes (remaster.guides): the depth plane's contract, guided batches, and a guided model
trained, evaluated and refused by the exporter (its contract is the frame alone)."""

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import make_dataset
from PIL import Image
from test_train import _args

from remaster.data import PairedFrames, batch_generator
from remaster.dataset import DatasetError
from remaster.evaluate import main as evaluate_main
from remaster.export import main as export_main
from remaster.guides import assemble, depth_plane, flip_values, sun_in_view
from remaster.train import main as train_main


def test_depth_plane_is_relative_to_the_frame_and_marks_the_background_far():
    z = np.array([[0.0, 1.0, 2.0], [4.0, 8.0, 0.0]], np.float32)
    p = depth_plane(z)
    assert p.dtype == np.float32 and p.shape == z.shape
    assert np.array_equal(depth_plane(z * 100.0), p)  # centimetres or metres: the same plane
    assert p[0, 0] == 1.0 and p[1, 2] == 1.0  # background: far
    geo = p[z > 0]
    assert np.all(np.diff(geo[np.argsort(z[z > 0])]) > 0)  # nearer is lower
    assert abs(float(np.mean(geo))) < 1e-6 and np.all(np.abs(geo) <= 1)  # centred on the frame's mean
    assert np.array_equal(depth_plane(np.zeros((2, 2), np.float32)), np.ones((2, 2), np.float32))


def test_sun_in_view_is_the_light_direction_in_the_camera_axes():
    ahead = {"position": [0.0, 1.0, -10.0], "target": [0.0, 1.0, 0.0]}  # looking along +z
    assert np.allclose(sun_in_view([0.0, -2.0, 0.0], ahead), [0, -1, 0])  # straight down, normalised
    assert np.allclose(sun_in_view([1.0, 0.0, 0.0], ahead), [1, 0, 0])  # to the right
    turned = {"position": [0.0, 1.0, 0.0], "target": [5.0, 1.0, 0.0]}  # turned right: looking along +x
    assert np.allclose(sun_in_view([1.0, 0.0, 0.0], turned), [0, 0, 1])  # away from the camera
    assert np.allclose(sun_in_view([0.0, 0.0, 1.0], turned), [-1, 0, 0])  # +z is now on the left
    depth = np.arange(4, dtype=np.float32).reshape(2, 2, 1)
    values = [depth, np.array([0.5, 0.3, -0.2], np.float32)]
    flipped = assemble(flip_values(values, ("depth", "sun")), 2, 2)
    assert np.allclose(flipped[..., 0], [[1, 0], [3, 2]])  # the plane mirrored
    assert np.allclose(flipped[..., 1:], [-0.5, 0.3, -0.2]) and values[1][0] == 0.5  # sun's right negated, input kept


@pytest.fixture(scope="module")
def depth_dataset(tmp_path_factory):
    """The synthetic dataset with the guides for every pair: depth = 1 + 9 x the low frame's red
    channel, so a guide plane that is cropped or flipped apart from its frame shows up; a sun
    direction and a camera pose per row."""
    root = make_dataset(tmp_path_factory.mktemp("depth-ds"))
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    for r in rows:
        if r.get("depth"):
            continue
        red = np.asarray(Image.open(root / r["files"]["low"]), np.float32)[..., 0] / 255.0
        (1.0 + 9.0 * red).astype("<f4").tofile(root / f"depth/{r['id']}.f32")
        r["depth"] = f"depth/{r['id']}.f32"
    for r in rows:
        r.setdefault("camera", {"position": [0.0, 1.0, -10.0], "target": [0.0, 1.0, 0.0], "fov": 0.8})
        r["sun"] = [0.6, -0.8, 0.0]
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_guided_batches_carry_the_depth_plane_of_the_same_crop_and_flip(depth_dataset):
    frames = PairedFrames(depth_dataset, "train", guides=("depth",))
    low, high, _ = frames.batch(8, 24, batch_generator(0, 3), colour_permute=0.0)
    assert low.shape == (8, 4, 24, 24) and high.shape == (8, 3, 24, 24)
    for b in range(8):
        red, plane = low[b, 0].numpy(), low[b, 3].numpy()
        # the plane is a rising function of the same pixels' red channel: same crop, same flip
        order = np.argsort(red.ravel(), kind="stable")
        assert np.all(np.diff(plane.ravel()[order]) >= -1e-6)
        assert np.corrcoef(red.ravel(), plane.ravel())[0, 1] > 0.95
    src, _ = frames.pair(0)
    assert src.shape[0] == 4 and float(src[3].abs().max()) <= 1.0
    # the sun: three constant planes, its right component mirrored with the frame
    sunny = PairedFrames(depth_dataset, "train", guides=("sun", "depth"))
    low, _, _ = sunny.batch(16, 24, batch_generator(0, 5))
    assert low.shape == (16, 7, 24, 24)
    rights = low[:, 3].flatten(1)
    assert torch.all(rights.std(dim=1) == 0) and torch.allclose(low[:, 4], torch.tensor(-0.8))
    assert set(rights[:, 0].tolist()) == {0.6000000238418579, -0.6000000238418579}  # flipped and not
    assert np.corrcoef(low[0, 0].flatten(), low[0, 6].flatten())[0, 1] > 0.95  # depth after the sun


def test_a_pair_without_its_guides_is_a_dataset_error_naming_the_flag(dataset):
    with pytest.raises(DatasetError, match="--guides"):
        PairedFrames(dataset, "train", guides=("depth",))
    with pytest.raises(DatasetError, match="--guides"):
        PairedFrames(dataset, "train", guides=("sun",))


def test_a_guided_model_trains_evaluates_and_is_not_exported(depth_dataset, tmp_path, lpips_weights, capsys):
    run = tmp_path / "run"
    steps = ["max_steps=2", "save_steps=2", "lpips_factor=0", "gan_factor=0", "residual=true"]
    assert train_main(_args(depth_dataset, run, *steps, "guides=depth,sun")) == 0
    ckpt = torch.load(run / "checkpoints/step_2.pt", map_location="cpu", weights_only=False)
    assert list(ckpt["model_config"]["guides"]) == ["depth", "sun"]
    assert ckpt["model_config"]["ae"]["image_channels"] == 3  # the output stays RGB
    # stage 2 from it: the base's guides, without saying so again
    assert train_main(_args(depth_dataset, tmp_path / "stage2", *steps, f"base={run}/checkpoints/step_2.pt")) == 0
    stage2 = torch.load(tmp_path / "stage2/checkpoints/step_2.pt", map_location="cpu", weights_only=False)
    assert list(stage2["model_config"]["guides"]) == ["depth", "sun"]
    backbone, heads = lpips_weights
    out = tmp_path / "eval"
    common = ["--lpips-backbone", str(backbone), "--lpips-heads", str(heads), "--metrics", "psnr"]
    ck = str(run / "checkpoints/step_2.pt")
    assert evaluate_main(["--dataset-dir", str(depth_dataset), "--checkpoint", ck, "--out", str(out), *common]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["methods"][-1] == "remaster" and res["table"]["remaster"]["psnr"] > 0
    assert res["temporal"]["methods"]["remaster"]["warp_error"] >= 0  # the clip's frames get their planes too
    # the same model on a dataset without depth maps: an error that says how to get them, exit 2
    plain = tmp_path / "plain"
    shutil.copytree(depth_dataset, plain)
    (plain / "manifest.jsonl").write_text(
        "".join(
            json.dumps({k: v for k, v in json.loads(line).items() if k != "depth" or "clip" in json.loads(line)}) + "\n"
            for line in (depth_dataset / "manifest.jsonl").read_text().splitlines()
        )
    )
    assert evaluate_main(["--dataset-dir", str(plain), "--checkpoint", ck, "--out", str(tmp_path / "e2"), *common]) == 2
    assert "--guides" in capsys.readouterr().err
    assert export_main(["--checkpoint", ck, "--out", str(tmp_path / "m.onnx")]) != 0
    assert "guides" in capsys.readouterr().err
