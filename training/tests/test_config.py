import pytest

from remaster.config import ConfigError, TrainConfig, from_dict, load_config, parse_cli_overrides, to_dict


def test_defaults_are_the_original_setup():
    c = TrainConfig()
    assert (c.learning_rate, c.warmup_steps, c.weight_decay, c.max_grad_norm, c.per_device_train_batch_size) == (
        5e-6,
        500,
        1e-2,
        1.0,
        4,
    )
    assert (c.lpips_factor, c.gan_factor, c.resolution) == (5.0, 0.5, 512)
    assert c.metrics_list == ["lpips", "mse", "ssim", "dists", "psnr", "fid"]


def test_yaml_then_cli_overrides_with_type_checks(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("learning_rate: 1.0e-4\nmax_steps: 7\nmetrics_list: [psnr, flip]\n")
    c = load_config(str(y), parse_cli_overrides(["max_steps=9", "skip_connections=true", "--lpips-factor=2"]))
    assert (c.learning_rate, c.max_steps, c.skip_connections, c.lpips_factor, c.metrics_list) == (
        1e-4,
        9,
        True,
        2.0,
        ["psnr", "flip"],
    )


@pytest.mark.parametrize(
    "override,message",
    [
        ({"lerning_rate": "1"}, "unknown config key 'lerning_rate'"),
        ({"max_steps": "ten"}, "max_steps must be an integer"),
        ({"max_steps": "1.5"}, "max_steps must be an integer"),
        ({"skip_connections": "maybe"}, "skip_connections must be a boolean"),
        ({"resolution": "100"}, "multiple of 8"),
        ({"lr_scheduler_type": "step"}, "lr_scheduler_type must be"),
        ({"metrics_list": "psnr,bleu"}, "unknown metric"),
        ({"clip_weights": "clip.pt"}, "not implemented"),
        ({"deadzone": "1.5"}, "deadzone .* needs residual: true"),
        ({"deadzone": "-1", "residual": "true"}, "deadzone must be >= 0"),
        ({"colour_permute": "1.5"}, r"colour_permute must be a share of pairs in \[0, 1\]"),
    ],
)
def test_bad_config_is_an_error_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, override)


def test_unknown_key_in_yaml(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("gan_weight: 1\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'gan_weight' in .*c.yaml"):
        load_config(str(y))


def test_round_trip_through_a_checkpoint_dict():
    c = load_config(None, {"max_steps": "3", "metrics_list": "psnr"})
    assert from_dict(to_dict(c)) == c
