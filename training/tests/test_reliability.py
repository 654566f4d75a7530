"""Bad inputs to train and evaluate: each is exit code 2 and one line naming the file, row, key or
option that is wrong, never a traceback, and nothing in the dataset or the run folder is changed
(the README's "Reliability" table lists these tests)."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from test_train import _args

from remaster.base_model import save_base
from remaster.evaluate import main as evaluate_main
from remaster.model.remaster import build_model
from remaster.train import main as train_main


def _digest(root: Path) -> dict[str, str]:
    """Every file under root and its sha256: "nothing lost" is this, unchanged."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def copy(dataset, tmp_path):
    def make(name: str = "ds") -> Path:
        return Path(shutil.copytree(dataset, tmp_path / name))

    return make


def _rows(root: Path) -> list[str]:
    return (root / "manifest.jsonl").read_text().splitlines(keepends=True)


def _evaluate(root: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["--dataset-dir", str(root), "--out", str(tmp_path / "eval"), "--metrics", "psnr", *extra]


def _fails(capsys, code: int, *patterns: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for p in patterns:
        assert p in err, f"{p!r} not in: {err}"
    return err


def test_a_truncated_png_names_the_file(copy, tmp_path, capsys):
    root = copy()
    png = root / "low" / "test-00.png"
    png.write_bytes(png.read_bytes()[:100])
    before = _digest(root)
    _fails(capsys, evaluate_main(_evaluate(root, tmp_path)), f"{png} cannot be decoded", "truncated")
    assert _digest(root) == before
    assert not (tmp_path / "eval").exists(), "a failed evaluation left a partial report"


def test_a_png_that_is_not_a_png_names_the_file(copy, tmp_path, capsys):
    root = copy()
    (root / "high" / "train-01.png").write_bytes(b"not a png at all")
    code = train_main(_args(root, tmp_path / "run", "max_steps=1", "lpips_factor=0", "gan_factor=0"))
    _fails(capsys, code, "train: dataset:", "high/train-01.png cannot be decoded")
    assert not (tmp_path / "run").exists()


def test_a_torn_last_manifest_row_says_how_to_repair_it(copy, tmp_path, capsys):
    root = copy()
    text = (root / "manifest.jsonl").read_text()
    (root / "manifest.jsonl").write_text(text[:-40])
    before = _digest(root)
    n = len(text.splitlines())
    _fails(capsys, evaluate_main(_evaluate(root, tmp_path)), f"manifest.jsonl:{n}: the last row is torn", "resume")
    assert _digest(root) == before


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda r: {**r, "split": "trian"}, "split 'trian' is not one of train, val, test"),
        (lambda r: {k: v for k, v in r.items() if k != "files"}, "lacks files"),
        (lambda r: {**r, "files": ["low/x.png"]}, "files must map render variants"),
        (lambda r: {**r, "size": {"width": "32"}}, "size must be {width, height}"),
        (lambda r: {**r, "id": "train-00"}, "pair id 'train-00' already on line 1"),
    ],
)
def test_a_hand_edited_manifest_row_names_its_line(copy, tmp_path, capsys, edit, message):
    root = copy()
    rows = _rows(root)
    rows[2] = json.dumps(edit(json.loads(rows[2]))) + "\n"
    (root / "manifest.jsonl").write_text("".join(rows))
    _fails(capsys, evaluate_main(_evaluate(root, tmp_path, "--split", "all")), "manifest.jsonl:3", message)


def test_an_image_of_another_size_than_its_row_says(copy, tmp_path, capsys):
    root = copy()
    Image.new("RGB", (40, 40)).save(root / "high" / "test-01.png")
    _fails(capsys, evaluate_main(_evaluate(root, tmp_path)), "high/test-01.png is 40x40", "says 32x32")


def test_a_missing_image_names_it(copy, tmp_path, capsys):
    root = copy()
    (root / "low" / "val-01.png").unlink()
    code = train_main(_args(root, tmp_path / "run", "max_steps=1", "lpips_factor=0", "gan_factor=0"))
    _fails(capsys, code, "low/val-01.png is missing")


def test_a_dataset_folder_that_does_not_exist_is_named_before_anything_else(tmp_path, capsys):
    # LPIPS weights are unavailable here too (default lpips_factor, no paths): the dataset comes first.
    code = train_main([f"dataset_dir={tmp_path / 'nope'}", f"output_dir={tmp_path / 'run'}"])
    _fails(capsys, code, f"dataset folder {tmp_path / 'nope'} does not exist")


def test_an_empty_folder_is_not_a_dataset(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = train_main([f"dataset_dir={tmp_path / 'empty'}", f"output_dir={tmp_path / 'run'}"])
    _fails(capsys, code, "manifest.jsonl not found", "npm run dataset")


def test_a_dataset_rendered_for_another_upscale_is_refused(dataset, tmp_path, capsys):
    code = train_main(_args(dataset, tmp_path / "run", "upscale=2", "lpips_factor=0", "gan_factor=0"))
    _fails(capsys, code, "high frames are 1x the low ones but upscale=2", "another configuration")
    # The same mismatch at evaluation: a 2x model on a 1:1 dataset.
    torch.manual_seed(0)
    save_base(build_model("tiny", upscale=2), tmp_path / "x2.base.safetensors", {})
    code = evaluate_main(_evaluate(dataset, tmp_path, "--checkpoint", str(tmp_path / "x2.base.safetensors")))
    _fails(capsys, code, "but its high frame is 32x32", "different configurations")


@pytest.mark.parametrize(
    "args, message",
    [
        (["max_steps=ten"], "max_steps must be an integer, got 'ten'"),
        (["max_step=3"], "unknown config key 'max_step' in the command line (did you mean 'max_steps'"),
        (["model_preset=huge"], "model_preset must be one of realtime, seed, tiny; got 'huge'"),
        (["--config", "/nonexistent/x.yaml"], "config file not found: /nonexistent/x.yaml"),
        (["source_column=low"], "config key 'source_column' in the command line is now 'source_variant'"),
    ],
)
def test_config_errors_name_the_key(dataset, tmp_path, capsys, args, message):
    _fails(capsys, train_main([f"dataset_dir={dataset}", *args]), "train: config error:", message)


def test_a_yaml_config_with_a_wrong_type_or_bad_syntax_names_the_file(dataset, tmp_path, capsys):
    bad_type = tmp_path / "a.yaml"
    bad_type.write_text("learning_rate: fast\n")
    _fails(capsys, train_main(["--config", str(bad_type)]), "learning_rate must be a number, got 'fast'")
    bad_yaml = tmp_path / "b.yaml"
    bad_yaml.write_text("learning_rate: [1,\n")
    _fails(capsys, train_main(["--config", str(bad_yaml)]), f"{bad_yaml} is not valid YAML")


def test_a_checkpoint_of_another_preset_is_refused_and_left_alone(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(_args(dataset, out, "max_steps=2", "save_steps=2", "lpips_factor=0", "gan_factor=0")) == 0
    capsys.readouterr()
    ckpt = out / "checkpoints" / "step_2.pt"
    before = _digest(out)
    code = train_main(["--resume", str(ckpt), *_args(dataset, out, "max_steps=4"), "model_preset=realtime"])
    _fails(capsys, code, f"{ckpt} is a checkpoint of another run", "model_preset='tiny' there, 'realtime' asked")
    assert _digest(out) == before


@pytest.mark.parametrize("content", [b"garbage", b"PK\x03\x04 torn zip"])
def test_a_file_that_is_not_a_checkpoint_names_it(dataset, tmp_path, capsys, content):
    bad = tmp_path / "step_9.pt"
    bad.write_bytes(content)
    code = train_main(["--resume", str(bad), *_args(dataset, tmp_path / "run", "max_steps=10")])
    _fails(capsys, code, f"{bad} cannot be read as a PyTorch checkpoint")
    torch.save({"weights": torch.zeros(1)}, bad)
    code = evaluate_main(_evaluate(dataset, tmp_path, "--checkpoint", str(bad)))
    _fails(capsys, code, f"{bad} is not a training checkpoint written by remaster.train")


def test_an_onnx_file_of_another_contract_is_refused(dataset, tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper

    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07garbage")
    _fails(capsys, evaluate_main(_evaluate(dataset, tmp_path, "--onnx", str(garbage))), f"{garbage} cannot be read")
    # A valid ONNX graph that is not a Remaster model (no contract metadata, other names and layout).
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 32, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32, 32, 3])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "other", [x], [y])
    other = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), other)
    _fails(capsys, evaluate_main(_evaluate(dataset, tmp_path, "--onnx", str(other))), "no 'remaster' metadata")


def test_a_model_that_outputs_nan_is_named_with_the_pair(dataset, tmp_path, capsys):
    torch.manual_seed(0)
    model = build_model("tiny")
    with torch.no_grad():
        next(p for n, p in model.named_parameters() if n.endswith("bias")).fill_(float("nan"))
    save_base(model, tmp_path / "nan.base.safetensors", {})
    code = evaluate_main(_evaluate(dataset, tmp_path, "--checkpoint", str(tmp_path / "nan.base.safetensors")))
    _fails(capsys, code, "non-finite values (NaN/inf) on pair test-00")


def test_a_deadzone_the_model_cannot_take_is_a_clear_error(dataset, tmp_path, capsys):
    from remaster.base_model import save_base

    onnx_like = tmp_path / "m.onnx"
    onnx_like.write_bytes(b"")
    _fails(
        capsys,
        evaluate_main(_evaluate(dataset, tmp_path, "--onnx", str(onnx_like), "--deadzone", "1")),
        "--deadzone goes with --checkpoint",
    )
    plain = tmp_path / "plain.base.safetensors"  # not residual: every pixel re-synthesised
    save_base(build_model("tiny"), plain, {})
    _fails(
        capsys,
        evaluate_main(_evaluate(dataset, tmp_path, "--checkpoint", str(plain), "--deadzone", "1")),
        "deadzone needs a residual model",
    )
