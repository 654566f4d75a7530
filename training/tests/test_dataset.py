"""The dataset contract: manifest.jsonl is what every reader reads; old formats still load; paired
frames made elsewhere come in through remaster.import_pairs."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from remaster.data import PairedFrames
from remaster.dataset import DatasetError, read_identity, read_manifest, split_rows
from remaster.import_pairs import ImportPairsError, import_pairs
from remaster.import_pairs import main as import_main


def test_a_format_1_dataset_still_loads_with_its_layout_renamed(dataset, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    rows = [json.loads(line) for line in (old / "manifest.jsonl").read_text().splitlines()]
    for r in rows:
        r["variant"] = r.pop("layout")
    (old / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (old / "dataset.json").write_text(
        json.dumps({"format": 1, "scene": "courtyard", "testVariant": "market", "pathsPerVariant": 5})
    )
    assert all(r["layout"] in ("synthetic", "scene-a", "scene-b") and "variant" not in r for r in read_manifest(old))
    assert read_identity(old)["testLayout"] == "market" and read_identity(old)["pathsPerLayout"] == 5
    assert len(PairedFrames(old, "train")) == 6


def test_bad_manifests_are_errors_naming_the_problem(dataset, tmp_path):
    with pytest.raises(DatasetError, match="manifest.jsonl not found"):
        read_manifest(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        read_manifest(tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown split 'testing'"):
        split_rows(dataset, "testing")
    with pytest.raises(DatasetError, match="has no low_fsr1 file"):
        split_rows(dataset, "train", need=("low", "low_fsr1"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.jsonl").write_text('{"id": "a", "split": "train", "files": {}}\n{"id": "b", "files": {}}\n')
    with pytest.raises(ValueError, match=r"manifest.jsonl:2 lacks split"):
        read_manifest(bad)


def _img(path, w, h, value, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(path, format=fmt)


def _turbo_folder(root, n_train=3, n_test=2, size=16):
    for prefix, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            _img(root / f"{prefix}_A" / f"f{i:03d}.png", size, size, 40 + i)
            _img(root / f"{prefix}_B" / f"f{i:03d}.jpg", size * 2, size * 2, 200 - i, "JPEG")
    return root


def test_img2img_turbo_folders_import_into_a_dataset_the_trainer_reads(tmp_path):
    src = _turbo_folder(tmp_path / "capture")
    res = import_pairs(src, tmp_path / "ds", scene="mygame")
    assert res["pairs"] == 5 and res["splits"] == {"train": 3, "val": 2, "test": 0}
    rows = read_manifest(tmp_path / "ds")
    assert {r["layout"] for r in rows} == {"mygame"}
    assert rows[0]["size"] == {"width": 32, "height": 32} and rows[0]["lowSize"] == {"width": 16, "height": 16}
    train = PairedFrames(tmp_path / "ds", "train")
    assert train.scale == 2 and len(train) == 3
    low, high = train.pair(0)
    assert low.shape == (3, 16, 16) and high.shape == (3, 32, 32)
    assert abs(float(low.mean()) * 255 - 40) < 1  # the A frame is the low (source) frame
    with Image.open(tmp_path / "ds" / rows[0]["files"]["high"]) as im:
        assert im.format == "PNG" and im.mode == "RGB"


def test_import_errors_name_the_file_and_leave_nothing_behind(tmp_path, capsys):
    src = _turbo_folder(tmp_path / "a")
    (src / "train_B" / "f001.jpg").unlink()
    with pytest.raises(ImportPairsError, match=r"only in A: \['f001'\]"):
        import_pairs(src, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.import-*"))

    odd = _turbo_folder(tmp_path / "b")
    _img(odd / "train_A" / "f000.png", 12, 16, 1)
    with pytest.raises(ImportPairsError, match=r"f000.png: 12x16 is not a multiple of 8"):
        import_pairs(odd, tmp_path / "out")

    ratio = _turbo_folder(tmp_path / "c")
    _img(ratio / "train_B" / "f000.jpg", 24, 24, 1, "JPEG")
    with pytest.raises(ImportPairsError, match=r"24x24 is not f000.png's 16x16 or an integer multiple"):
        import_pairs(ratio, tmp_path / "out")

    assert import_main(["--from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ImportPairsError, match="exists and is not empty"):
        import_pairs(_turbo_folder(tmp_path / "d"), tmp_path / "full")


def test_several_datasets_train_together_and_validation_draws_from_each(tmp_path):
    from conftest import make_dataset

    a, b = make_dataset(tmp_path / "a"), make_dataset(tmp_path / "b")
    both = PairedFrames([a, b], "train")
    assert len(both) == 12 and both.names[0] == "a/train-00"
    val = PairedFrames([a, b], "val", limit=2)
    assert [n.split("/")[0] for n in val.names] == ["a", "b"]
