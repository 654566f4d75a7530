import pytest
import torch

from remaster.model.remaster import PRESETS, build_model, count_flops, describe


@pytest.mark.parametrize("preset", ["tiny", "realtime", "seed"])
def test_shapes(preset):
    m = build_model(preset).eval()
    x = torch.rand(1, 3, 40, 56)  # latents 5 x 7: odd, exercises the UNet padding
    with torch.no_grad():
        y = m(x)
    assert y.shape == x.shape
    assert 0 <= y.min() and y.max() <= 1


def test_upscale_doubles_the_output():
    for preset in ("tiny", "seed"):
        m = build_model(preset, upscale=2).eval()
        with torch.no_grad():
            assert m(torch.rand(1, 3, 16, 24)).shape == (1, 3, 32, 48)


def test_flops_per_preset():
    seed = count_flops(PRESETS["seed"], 720, 1280)
    realtime = describe(build_model("realtime"))
    assert 0.8e12 < seed < 1.2e12, f"seed preset should cost ~1 TFLOP per 720p frame, got {seed:.3e}"
    assert realtime["flops_per_output_pixel"] <= 10_000, realtime


def test_realtime_budget_and_parameters_printed():
    d = describe(build_model("realtime"))
    assert d["flops_per_output_pixel"] <= 10_000
    assert d["parameters"] > 0 and d["frame"] == "1280x720"


def test_skip_connections_start_as_no_ops():
    torch.manual_seed(0)
    plain = build_model("tiny").eval()
    skip = build_model("tiny", skip_connections=True).eval()
    missing, unexpected = skip.load_state_dict(plain.state_dict(), strict=False)
    assert unexpected == [] and all(k.startswith("decoder.skip_convs") for k in missing)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(skip(x), plain(x))


def test_sizes_must_be_multiples_of_8():
    with pytest.raises(ValueError, match="multiples of 8"):
        build_model("tiny")(torch.rand(1, 3, 30, 32))


def test_unknown_preset_and_option():
    with pytest.raises(ValueError, match="unknown model preset"):
        build_model("huge")
    with pytest.raises(ValueError, match="unknown model option"):
        build_model("tiny", dropout=0.1)


def test_state_dict_names_follow_diffusers():
    keys = set(build_model("seed").state_dict())
    for k in (
        "encoder.layers.0.weight",
        "encoder.layers.1.conv.0.weight",
        "decoder.layers.0.weight",
        "decoder.layers.2.conv.4.weight",
        "unet.conv_in.weight",
        "unet.time_embedding.linear_1.weight",
        "unet.down_blocks.0.resnets.0.norm1.weight",
        "unet.down_blocks.0.downsamplers.0.conv.weight",
        "unet.mid_block.resnets.1.conv2.weight",
        "unet.up_blocks.0.resnets.2.conv_shortcut.weight",
        "unet.up_blocks.0.upsamplers.0.conv.weight",
        "unet.conv_out.weight",
    ):
        assert k in keys, k


def test_taesd_weights_load_in_both_layouts():
    from remaster.model.taesd import load_taesd_weights

    src = build_model("seed")
    dst = build_model("seed")
    diffusers = {f"encoder.{k}": v for k, v in src.encoder.state_dict().items()} | {
        f"decoder.{k}": v for k, v in src.decoder.state_dict().items()
    }
    load_taesd_weights(dst.encoder, dst.decoder, diffusers)
    torch.testing.assert_close(dst.decoder.layers[0].weight, src.decoder.layers[0].weight)
    # Original taesd_*.pth layout: encoder N.*, decoder N+1.* (Clamp at index 0).
    original = {f"encoder.{k}": v for k, v in src.encoder.layers.state_dict().items()}
    original |= {
        f"decoder.{int(k.split('.')[0]) + 1}.{k.split('.', 1)[1]}": v
        for k, v in src.decoder.layers.state_dict().items()
    }
    dst2 = build_model("seed")
    load_taesd_weights(dst2.encoder, dst2.decoder, original)
    torch.testing.assert_close(dst2.encoder.layers[3].conv[2].weight, src.encoder.layers[3].conv[2].weight)
    with pytest.raises(ValueError, match="do not fit"):
        small = build_model("realtime")
        load_taesd_weights(small.encoder, small.decoder, diffusers)


def test_the_residual_model_starts_as_the_identity_and_keeps_old_checkpoints_loadable():
    import torch

    from remaster.model.remaster import ModelConfig

    x = torch.rand(1, 3, 32, 32)
    m = build_model("tiny", residual=True)
    with torch.no_grad():
        assert torch.equal(m(x), x)
    old = build_model("tiny").cfg.to_dict()
    del old["residual"]  # a checkpoint from before the option
    assert ModelConfig.from_dict(old).residual is False


def test_the_deadzone_drops_small_corrections_at_inference_only():
    from remaster.model.remaster import ModelConfig, with_deadzone

    torch.manual_seed(0)
    m = build_model("tiny", residual=True)
    for p in m.decoder.layers[-1].parameters():  # a correction of a few levels, both signs
        torch.nn.init.normal_(p, std=0.02)
    x = torch.rand(1, 3, 32, 40) * 0.8 + 0.1  # away from the clamp at 0 and 1
    with torch.no_grad():
        c = m.eval()(x) - x  # deadzone 0: the raw correction
        with_deadzone(m, 2.0)
        t = 2.0 / 255
        want = x + torch.sign(c) * (c.abs() - t).clamp(min=0)
        assert torch.allclose(m(x), want, atol=1e-6)
        assert (c.abs() <= t).any() and (c.abs() > t).any()  # both sides of the threshold exercised
        assert torch.equal(m(x)[c.abs() <= t], x[c.abs() <= t])  # small corrections: the input, exactly
        assert torch.allclose(m.train()(x), x + c, atol=1e-6)  # training sees the raw correction
    assert ModelConfig.from_dict(m.cfg.to_dict()).deadzone == 2.0
    old = m.cfg.to_dict()
    del old["deadzone"]  # a checkpoint from before the option
    assert ModelConfig.from_dict(old).deadzone == 0.0
    with pytest.raises(ValueError, match="needs a residual model"):
        with_deadzone(build_model("tiny"), 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        with_deadzone(m, -1.0)
