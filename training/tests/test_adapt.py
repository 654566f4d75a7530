"""LoRA adapters (remaster/lora.py), remaster.adapt end to end on a tiny base, and export --adapter."""

import argparse
import json
import signal
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from test_train import _kill_when

from remaster.adapt import main as adapt_main
from remaster.base_model import load_base, save_base
from remaster.config import ConfigError, load_config, parse_cli_overrides
from remaster.dataset import read_manifest, resplit_by_path, take_evenly
from remaster.export import main as export_main
from remaster.lora import (
    AdapterError,
    FullyTrained,
    adapter_parameters,
    add_adapters,
    apply_adapter,
    merge,
    plan_ranks,
    read_adapter,
    save_adapter,
    weights_hash,
)
from remaster.model.remaster import build_model
from remaster.train import main as train_main


def _net(seed=0, **kw):
    torch.manual_seed(seed)
    m = build_model("realtime", skip_connections=True, residual=True, **kw).eval()
    for p in m.parameters():  # a trained-looking base (the presets zero-initialise some layers)
        torch.nn.init.normal_(p, std=0.05)
    return m


def test_ranks_follow_pix2pix_turbo_halving_and_are_capped_at_each_layers_full_rank():
    m = _net()
    ranks = plan_ranks(m, 8, -1, ["encoder", "unet", "decoder"])
    assert ranks["unet.mid_block.resnets.0.conv1"] == 8
    assert ranks["decoder.layers.2.conv.0"] == 4  # autoencoder: half
    assert ranks["unet.conv_out"] == 4  # 4 output channels: full rank 4
    assert not any(n.startswith("decoder.skip_convs") for n in ranks)  # trained fully instead
    assert set(plan_ranks(m, 8, -1, ["decoder"])) == {n for n in ranks if n.startswith("decoder.")}


@pytest.mark.parametrize(
    "rank,targets,msg",
    [(0, ["unet"], "lora_rank must be >= 1"), (4, ["vae"], "lora_targets"), (1000, ["unet"], "does not fit")],
)
def test_bad_ranks_and_targets_are_errors_naming_them(rank, targets, msg):
    with pytest.raises(AdapterError, match=msg):
        plan_ranks(_net(), rank, -1, targets)


def test_adapters_start_at_the_base_train_only_themselves_and_merge_into_plain_convs():
    m = _net()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        base_out = m(x)
    add_adapters(m, plan_ranks(m, 8, -1, ["encoder", "unet", "decoder"]))
    with torch.no_grad():
        assert torch.equal(m(x), base_out)  # B = 0: the adapted network starts as the base
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("decoder.skip_convs.") for n in trainable)
    assert any(n.startswith("decoder.skip_convs.") for n in trainable)
    for n, p in m.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.05)
    with torch.no_grad():
        adapted = m(x)
    assert (adapted - base_out).abs().max() > 1e-3
    merge(m)
    assert not any("lora_" in k or "base_layer" in k for k in m.state_dict())
    with torch.no_grad():
        assert torch.allclose(m(x), adapted, atol=1e-5)


def test_an_adapter_refuses_another_base_and_applies_to_its_own(tmp_path):
    base = _net(0)
    h = weights_hash(base)
    m = _net(0)
    assert weights_hash(m) == h
    add_adapters(m, plan_ranks(m, 4, -1, ["unet", "decoder"]))
    for n, p in m.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.05)
    save_adapter(
        m,
        tmp_path / "adapter",
        {"base": {"path": "b", "sha256": h}, "ranks": plan_ranks(base, 4, -1, ["unet", "decoder"])},
    )
    cfg, tensors = read_adapter(tmp_path / "adapter")
    assert cfg["parameters"] == adapter_parameters(m) == sum(t.numel() for t in tensors.values())
    other = _net(1)
    with pytest.raises(AdapterError, match="trained on another base"):
        apply_adapter(other, weights_hash(other), tmp_path / "adapter")
    merged, _ = apply_adapter(_net(0), h, tmp_path / "adapter")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(merged(x), m(x), atol=1e-5)


def test_lora_bias_trains_every_bias_saves_them_in_the_adapter_and_merges_them(tmp_path):
    base = _net(0)
    h = weights_hash(base)
    biases = {n for n, _ in base.named_parameters() if n.endswith(".bias")}
    assert biases
    ranks = plan_ranks(base, 8, -1, ["decoder"])
    m = add_adapters(_net(0), ranks, FullyTrained(bias=True))
    trainable = {n.replace(".base_layer", "") for n, p in m.named_parameters() if p.requires_grad}
    assert biases <= trainable  # every bias of the network, the frozen encoder's and UNet's included
    assert all("lora_" in n or n.startswith("decoder.skip_convs.") or n in biases for n in trainable)
    without = adapter_parameters(add_adapters(_net(0), ranks))
    extra = sum(
        p.numel() for n, p in base.named_parameters() if n in biases and not n.startswith("decoder.skip_convs.")
    )
    assert adapter_parameters(m, FullyTrained(bias=True)) == without + extra  # the skip convs' biases were in already
    with torch.no_grad():  # a trained adapter: LoRA B and an encoder bias moved
        m.encoder.get_parameter(next(n[len("encoder.") :] for n in biases if n.startswith("encoder."))).add_(0.1)
        for n, p in m.named_parameters():
            if "lora_B" in n:
                torch.nn.init.normal_(p, std=0.05)
    save_adapter(m, tmp_path / "adapter", {"base": {"path": "b", "sha256": h}, "ranks": ranks, "lora_bias": True})
    cfg, tensors = read_adapter(tmp_path / "adapter")
    assert (
        cfg["parameters"] == adapter_parameters(m, FullyTrained(bias=True)) == sum(t.numel() for t in tensors.values())
    )
    merged, _ = apply_adapter(_net(0), h, tmp_path / "adapter")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(merged(x), m(x), atol=1e-5)
        assert (merged(x) - base(x)).abs().max() > 1e-3


def test_lora_full_trains_named_modules_fully_saves_them_and_merges_them(tmp_path):
    base = _net(0)
    h = weights_hash(base)
    full = ("encoder.layers.0", "encoder.layers.1")
    ranks = plan_ranks(base, 8, -1, ["encoder", "decoder"], full)
    assert not set(full) & set(ranks) and "encoder.layers.2" in ranks  # no LoRA on a fully trained module
    extra = FullyTrained(modules=full)
    m = add_adapters(_net(0), ranks, extra)
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert {n for n, _ in base.named_parameters() if n.startswith(full)} <= trainable
    assert not any(n.startswith("encoder.layers.2.base_layer") for n in trainable)
    full_params = sum(p.numel() for n, p in base.named_parameters() if n.startswith(full))
    assert adapter_parameters(m, extra) == adapter_parameters(add_adapters(_net(0), ranks)) + full_params
    with torch.no_grad():
        m.get_parameter("encoder.layers.0.weight").mul_(1.5)
        for n, p in m.named_parameters():
            if "lora_B" in n:
                torch.nn.init.normal_(p, std=0.05)
    save_adapter(m, tmp_path / "adapter", {"base": {"path": "b", "sha256": h}, "ranks": ranks, "lora_full": full})
    cfg, tensors = read_adapter(tmp_path / "adapter")
    assert "encoder.layers.0.weight" in tensors and cfg["parameters"] == adapter_parameters(m, extra)
    merged, _ = apply_adapter(_net(0), h, tmp_path / "adapter")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(merged(x), m(x), atol=1e-5)
    with pytest.raises(AdapterError, match="lora_full: no module 'encoder.layer.0'"):
        add_adapters(_net(0), ranks, FullyTrained(modules=("encoder.layer.0",)))


def test_lora_bias_without_adapters_is_a_config_error():
    with pytest.raises(ConfigError, match="lora_bias needs lora_rank"):
        load_config(None, {"lora_bias": True, "lora_rank": 0})
    with pytest.raises(ConfigError, match="lora_full needs lora_rank"):
        load_config(None, {"lora_full": "encoder.layers.0", "lora_rank": 0})


def test_split_by_camera_path_never_shares_a_path_and_keeps_test_out(tmp_path):
    rows = []
    for path in range(10):
        for f in range(6):
            split = "test" if path >= 8 else "val" if path == 7 else "train"
            rows.append({"id": f"g-p{path:02d}-f{f:03d}", "split": split, "layout": "g", "path": path, "files": {}})
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    parts = resplit_by_path(tmp_path, 0.2, seed=3)
    paths = {k: {r["path"] for r in v} for k, v in parts.items()}
    assert not paths["train"] & paths["val"]
    assert len(paths["val"]) == 2 and len(paths["train"]) == 6  # 80:20 of the 8 non-test paths
    assert not ({8, 9} & (paths["train"] | paths["val"]))
    taken = take_evenly(parts["train"], 12)
    assert len(taken) == 12 and {r["path"] for r in taken} == paths["train"]
    assert read_manifest(tmp_path)  # the rows are a readable manifest


def test_lora_rank_without_a_base_is_a_config_error():
    with pytest.raises(ConfigError, match="lora_rank needs base"):
        load_config(None, {"lora_rank": "4"})


def _tiny_base(dataset, tmp_path):
    run = tmp_path / "base-run"
    args = [
        f"dataset_dir={dataset}",
        f"output_dir={run}",
        "model_preset=tiny",
        "skip_connections=true",
        "resolution=32",
        "per_device_train_batch_size=2",
        "max_steps=3",
        "save_steps=3",
        "eval_steps=3",
        "lpips_factor=0",
        "gan_factor=0",
        "num_eval_images=2",
    ]
    assert train_main(args) == 0
    model, _ = load_base(run / "checkpoints" / "step_3.pt")
    path = tmp_path / "tiny.base.safetensors"
    save_base(model, path, {})
    return path


def _adapt_args(base, dataset, out, *extra):
    return [
        "--base",
        str(base),
        "--dataset-dir",
        str(dataset),
        "--rank",
        "2",
        "--out",
        str(out),
        "resolution=32",
        "per_device_train_batch_size=2",
        "lpips_factor=0",
        "num_eval_images=2",
        "report_images=2",
        "logging_steps=1",
        "learning_rate=1e-2",
        *extra,
    ]


def test_rank_flag_sets_every_layer_or_leaves_the_configs_ranks_and_zero_is_a_plain_full_fine_tune():
    from remaster.adapt import DEFAULT_CONFIG, train_argv

    def resolved(*flags):
        ns = argparse.Namespace(base="b.safetensors", dataset_dir="data/g", rank=None, out=None, resume=None)
        ns.config, ns.overrides = DEFAULT_CONFIG, []
        for k, v in flags:
            setattr(ns, k, v)
        return load_config(str(DEFAULT_CONFIG), parse_cli_overrides(train_argv(ns)[1]))

    default = resolved()
    assert default.lora_rank >= 1 and default.lora_full  # configs/adapt.yaml's per-part ranks and full layers
    four = resolved(("rank", 4))
    assert (four.lora_rank, four.lora_rank_ae, four.lora_full) == (4, 4, default.lora_full)
    full = resolved(("rank", 0))
    assert full.lora_rank == 0 and full.lora_full == []  # not a config error: a full fine-tune trains everything


def test_adapt_resumes_exactly_and_exports_one_merged_model_naming_base_and_adapter(dataset, tmp_path, capsys):
    base = _tiny_base(dataset, tmp_path)
    steps = "max_steps=40"
    straight = tmp_path / "straight"
    assert adapt_main(_adapt_args(base, dataset, straight, steps, "save_steps=40", "eval_steps=40")) == 0
    assert "% of the base's" in capsys.readouterr().out  # the adapter's size is printed
    cfg = json.loads((straight / "adapter" / "adapter.json").read_text())
    assert cfg["base"]["sha256"] == load_base(base)[1]["sha256"] and cfg["training_step"] == 40
    html = (straight / "report.html").read_text()
    assert "low | base | adapted | high" in html and "machine load" in html

    resumed = tmp_path / "resumed"
    args = _adapt_args(base, dataset, resumed, steps, "save_steps=2", "eval_steps=40")
    proc = subprocess.Popen(
        [sys.executable, "-m", "remaster.adapt", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _kill_when(proc, lambda: (resumed / "checkpoints" / "step_2.pt").exists())
    assert proc.returncode == -signal.SIGKILL
    assert not (resumed / "adapter").exists()
    assert adapt_main([*args, "--resume", "auto"]) == 0
    a = read_adapter(straight / "adapter")[1]
    b = read_adapter(resumed / "adapter")[1]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    # configs/adapt.yaml's fully trained layers travel in the adapter (and the export below merges them)
    assert cfg["lora_full"] and all(any(k.startswith(m + ".") for k in a) for m in cfg["lora_full"])

    out = tmp_path / "game.onnx"
    assert export_main(["--adapter", str(straight / "adapter"), "--out", str(out), "--no-fp16"]) == 0
    plain = tmp_path / "plain.onnx"
    assert (
        export_main(
            ["--checkpoint", str(tmp_path / "base-run/checkpoints/step_3.pt"), "--out", str(plain), "--no-fp16"]
        )
        == 0
    )
    g, p = onnx.load(str(out)), onnx.load(str(plain))
    assert [n.op_type for n in g.graph.node] == [n.op_type for n in p.graph.node]  # no extra cost per frame
    meta = json.loads({x.key: x.value for x in g.metadata_props}["remaster"])
    assert meta["adapter"]["name"] == "straight" and meta["adapter"]["base"]["file"] == base.name
    assert meta["adapter"]["base"]["sha256"] == cfg["base"]["sha256"]
    # The merged ONNX computes what the adapted checkpoint does.
    import onnxruntime as ort

    x = torch.rand(1, 3, 32, 40)
    from remaster.base_model import load_checkpoint_model

    ref, _ = load_checkpoint_model(straight / "checkpoints" / "step_40.pt")
    with torch.no_grad():
        want = ref(x).numpy()
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(["output"], {"input": x.numpy()})[0]
    assert np.abs(got - want).max() < 1e-4
    assert np.abs(want - load_base(base)[0](x).detach().numpy()).max() > 1e-3  # the adapter changed the output

    # An adapter given another base is refused, naming it.
    other = tmp_path / "other.base.safetensors"
    m, _ = load_base(base)
    with torch.no_grad():
        next(m.parameters()).add_(0.1)
    save_base(m, other, {})
    assert (
        export_main(["--adapter", str(straight / "adapter"), "--base", str(other), "--out", str(tmp_path / "x.onnx")])
        == 2
    )
    assert "trained on another base" in capsys.readouterr().err


def test_adapt_refuses_an_onnx_base_naming_the_file_to_use(dataset, tmp_path, capsys):
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(b"")
    assert adapt_main(_adapt_args(onnx_file, dataset, tmp_path / "run", "max_steps=1")) == 2
    assert "m.base.safetensors" in capsys.readouterr().err


def test_object_weight_weighs_surface_pixels_and_batches_carry_the_crop_of_the_mask(dataset):
    from remaster.data import PairedFrames, batch_generator
    from remaster.losses.objective import weighted_mse

    pred, target = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    target[..., :, :2] = 1.0  # the error sits on the left half
    left = torch.zeros(1, 1, 4, 4)
    left[..., :, :2] = 1.0
    plain = float(weighted_mse(pred, target, left, 0.0))
    assert plain == pytest.approx(0.5)
    assert float(weighted_mse(pred, target, left, 3.0)) == pytest.approx(4 * 8 / (4 * 8 + 8))  # 0.8
    assert float(weighted_mse(pred, target, 1 - left, 3.0)) == pytest.approx(8 / 40)  # 0.2

    test = PairedFrames(dataset, "test", masks=True)  # the fixture's test pairs have a mask: the left half
    low, high, mask = test.batch(3, 16, batch_generator(0, 0))
    assert mask.shape == (3, 1, 16, 16) and low.shape == high.shape == (3, 3, 16, 16)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    train = PairedFrames(dataset, "train")  # no masks: every pixel counts the same
    assert torch.equal(train.batch(2, 16, batch_generator(0, 0))[2], torch.ones(2, 1, 16, 16))


def test_a_rank_that_does_not_fit_is_an_error_naming_it(dataset, tmp_path, capsys):
    base = _tiny_base(dataset, tmp_path)
    args = _adapt_args(base, dataset, tmp_path / "run", "max_steps=1")
    args[args.index("--rank") + 1] = "1000"
    assert adapt_main(args) == 2
    assert "lora_rank 1000 does not fit this network" in capsys.readouterr().err


def test_the_lab_colour_term_sees_a_dark_tint_that_mse_barely_does():
    from remaster.losses.objective import lab_l1, weighted_mse

    target = torch.full((1, 3, 8, 8), 0.08)  # a dark grey surface
    tinted = target.clone()
    tinted[:, 2] += 0.02  # slightly blue
    assert float(lab_l1(target, target, None, 0.0)) == 0.0
    assert float(weighted_mse(tinted, target, None, 0.0)) < 2e-4
    assert float(lab_l1(tinted, target, None, 0.0)) > 1.0  # over one L*a*b* unit on average
    with pytest.raises(ConfigError, match="colour_factor"):
        load_config(None, {"colour_factor": "-1"})


def test_the_psnr_term_is_the_mean_per_image_psnr_and_weighs_an_easy_image_more():
    from remaster.losses.objective import PSNR_FLOOR_MSE, neg_psnr

    target = torch.full((2, 3, 8, 8), 0.5)
    pred = target.clone()
    pred[0] += 0.01  # MSE 1e-4: 40 dB
    pred[1] += 0.1  # MSE 1e-2: 20 dB
    pred.requires_grad_(True)
    neg = neg_psnr(pred, target)
    # -(40 + 20) / 2 dB, less what the floor takes off the 40 dB image (0.41 dB) and the 20 (0.004)
    floored = torch.tensor([1e-4, 1e-2]) + PSNR_FLOOR_MSE
    expected = float((10 * torch.log10(floored)).mean())
    assert abs(float(neg) - float(expected)) < 0.01
    assert -30 < float(neg) < -29.5
    neg.backward()
    g = pred.grad.abs()
    # Per pixel, d(-PSNR)/dpred = (10 / ln 10) * 2 e / (n * MSE): the easy image's gradient is
    # 10x larger for an error 10x smaller (MSE gives the reverse).
    assert 9 < float(g[0].mean() / g[1].mean()) < 11
    # An exact image stops at the floor (50 dB), no infinity.
    assert abs(float(neg_psnr(target, target)) + 50) < 1e-3
    with pytest.raises(ConfigError, match="psnr_factor"):
        load_config(None, {"psnr_factor": "-1"})


def test_bench_plan_names_are_unique_the_default_runs_the_config_and_earlier_rows_keep_their_recipe():
    from pathlib import Path

    from remaster.bench_adapt import EARLIER, command, plan

    runs = plan([4, 8], [50, 200])
    assert len({r.name for r in runs}) == len(runs)
    argv = {r.name: command(r, "data/g", "b.safetensors", Path("o"), 10, []) for r in runs if r.kind != "base"}
    default = argv["default-200p"]
    assert "--rank" not in default and not any(a.startswith(("lora_", "learning_rate=")) for a in default)
    assert argv["full-default-200p"][argv["full-default-200p"].index("--rank") + 1] == "0"
    for name in ("lora-r8-decoder-200p", "full-200p", "lora-r4-50p"):
        args = argv[name]
        assert args[args.index(EARLIER[0]) :][: len(EARLIER)] == list(EARLIER)  # then the run's own keys
    # a run's own key comes after the earlier recipe's, so it wins (config overrides: last one counts)
    lr = argv["lora-r8-decoder-lr3e3-200p"]
    assert lr.index("learning_rate=0.003") > lr.index("learning_rate=0.001")
