"""Issue #12: the diffusion arithmetic (DDIM, boundary condition, multi-boundary schedule), the
teacher and distillation runs (exact resume), and the export of 1- and n-step students."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from remaster import diffusion_config as C
from remaster import latents as latents_module
from remaster.distill import main as distill_main
from remaster.distill import solver_grid
from remaster.export import main as export_main
from remaster.export import read_metadata
from remaster.model import diffusion as D
from remaster.model.latent import DENOISERS, LatentSampler, SamplerConfig, tiled_noise
from remaster.teacher import main as teacher_main

TIMES = [0, 1, 19, 250, 500, 749, 998, 999]


@pytest.mark.parametrize("t", TIMES)
def test_ddim_step_recovers_x0_exactly_given_the_true_noise(t):
    g = torch.Generator().manual_seed(t)
    x0, eps = torch.randn(2, 4, 8, 8, generator=g, dtype=torch.float64), torch.randn(2, 4, 8, 8, generator=g)
    x0 = x0.float()
    x_t = D.add_noise(x0, eps, t)
    tol = 1e-6 / float(D.alpha_sigma(t)[0])  # float32 rounding of x_t, divided by alpha_t
    assert torch.allclose(D.ddim_step(x_t, eps, t, D.CLEAN), x0, atol=tol, rtol=0)
    for s in [u for u in TIMES if u < t]:  # a step to any earlier time lands on the same trajectory
        assert torch.allclose(D.ddim_step(x_t, eps, t, s), D.add_noise(x0, eps, s), atol=tol, rtol=0)
    # with the wrong noise it does not
    assert not torch.allclose(D.ddim_step(x_t, torch.zeros_like(eps), t, D.CLEAN), x0, atol=1e-3)


def test_alpha_sigma_are_the_scaled_linear_schedule():
    a, s = D.alpha_sigma(torch.tensor([0, 999]))
    assert torch.allclose(a**2 + s**2, torch.ones(2))
    assert 0.99 < float(a[0]) < 1 and abs(float(a[1]) - 0.0683) < 1e-3  # SD's abar_999 = 0.00466
    assert D.alpha_sigma(D.CLEAN) == (1.0, 0.0)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_consistency_function_meets_its_boundary_condition(k):
    g = torch.Generator().manual_seed(k)
    x, eps = torch.randn(3, 4, 8, 8, generator=g), torch.randn(3, 4, 8, 8, generator=g)
    for s in D.boundaries(k):
        assert torch.equal(D.consistency_fn(x, eps, s, s), x)  # f(x_s, s -> s) = x_s, any eps
        c_skip, c_out = D.consistency_scalings(torch.tensor([0]), x)
        assert float(c_skip) == 1.0 and float(c_out) == 0.0
    # away from the boundary it is the DDIM jump to it (c_skip ~ 0, c_out ~ 1)
    t, s = 999, D.boundaries(k)[-1]
    assert torch.allclose(D.consistency_fn(x, eps, t, s), D.ddim_step(x, eps, t, s), atol=1e-2)
    assert not torch.allclose(D.consistency_fn(x, eps, t, s), x, atol=1e-2)


def test_multi_boundary_schedule_is_what_the_config_says():
    for k, want in ((1, [0]), (2, [0, 500]), (4, [0, 250, 500, 750])):
        cfg = C.load(None, {"num_boundaries": str(k), "student_steps": ",".join(str(n) for n in range(1, k + 1))})
        assert D.boundaries(cfg.num_boundaries) == want
        t = torch.arange(0, 1000)
        s = D.segment_start(t, want)
        for b, e in zip(want, [*want[1:], 1000], strict=True):  # (b, e] -> b, and 0 -> 0
            assert (s[(t > b) & (t <= e)] == b).all()
        assert s[0] == 0
    assert D.student_timesteps(4, 4) == [999, 750, 500, 250]
    assert D.student_timesteps(2, 4) == [999, 500]
    assert D.student_timesteps(1, 4) == [999]
    assert D.trailing_timesteps(4) == [999, 749, 499, 249]
    assert D.trailing_timesteps(50)[:3] == [999, 979, 959] and len(D.trailing_timesteps(50)) == 50
    # the distillation's targets never cross a segment start
    grid = solver_grid(20)
    s = D.segment_start(grid, D.boundaries(4))
    t_prev = torch.maximum(grid - 20, s)
    assert (t_prev >= s).all() and (t_prev < grid).all() and grid.max() == 999 and grid.min() == 19
    with pytest.raises(C.ConfigError, match="student_steps"):
        C.load(None, {"num_boundaries": "2", "student_steps": "1,4"})
    with pytest.raises(C.ConfigError, match="num_boundaries"):
        C.load(None, {"num_boundaries": "60"})


def test_fixed_noise_tiles_any_latent_size():
    tile = torch.randn(1, 4, 8, 8)
    n = tiled_noise(tile, torch.zeros(2, 4, 11, 19))
    assert n.shape == (2, 4, 11, 19)
    assert torch.equal(n[0, :, :8, :8], tile[0]) and torch.equal(n[1, :, 8:11, 8:16], tile[0, :, :3, :])


def _teacher_args(dataset, out, *extra):
    return [
        f"dataset_dir={dataset}",
        f"output_dir={out}",
        "codec=tiny",
        "teacher_unet=tiny",
        "student_unet=tiny",
        "resolution=64",
        "batch_size=4",
        "codec_batch_size=2",
        "codec_lpips_factor=0",
        "warmup_steps=2",
        "num_eval_images=2",
        "report_images=2",
        "eval_steps=100",
        "logging_steps=1",
        "save_steps=1",
        "teacher_eval_steps=2",
        "student_steps=1,2",
        "num_boundaries=2",
        *extra,
    ]


@pytest.fixture
def keep_checkpoints(monkeypatch):
    monkeypatch.setattr(latents_module, "prune", lambda out, keep=2: None)


def _same_weights(a, b):
    sa, sb = torch.load(a, weights_only=False), torch.load(b, weights_only=False)
    assert sa["step"] == sb["step"]
    for k, v in sa["model"].items():
        assert torch.equal(v, sb["model"][k]), k
    return sa


def _losses(out):
    return [
        {k: v for k, v in json.loads(line).items() if k.startswith("loss_")}
        for line in (out / "metrics.jsonl").read_text().splitlines()
        if '"loss_' in line
    ]


def test_teacher_and_distillation_resume_exactly(dataset, tmp_path, keep_checkpoints):
    full = tmp_path / "teacher"
    assert teacher_main(_teacher_args(dataset, full, "codec_steps=3", "teacher_steps=3")) == 0
    ckpt = torch.load(full / "checkpoints" / "step_6.pt", weights_only=False)
    assert ckpt["kind"] == "teacher" and ckpt["phase"] == "teacher"
    assert float(ckpt["model"]["codec.latent_scale"]) != 1.0  # set from the latents at the phase change
    # resumed in the codec phase (step 2) and on the phase change (step 3): the same run
    for at in (2, 3):
        again = tmp_path / f"teacher-from-{at}"
        (again / "checkpoints").mkdir(parents=True)
        shutil.copy(full / "checkpoints" / f"step_{at}.pt", again / "checkpoints")
        rows = [line for line in (full / "metrics.jsonl").read_text().splitlines() if json.loads(line)["step"] <= at]
        (again / "metrics.jsonl").write_text("\n".join(rows) + "\n")
        args = _teacher_args(dataset, again, "codec_steps=3", "teacher_steps=3")
        assert teacher_main([*args, "--resume", "auto"]) == 0
        _same_weights(full / "checkpoints" / "step_6.pt", again / "checkpoints" / "step_6.pt")
        assert _losses(again) == _losses(full)

    teacher = full / "checkpoints" / "step_6.pt"
    student = tmp_path / "student"
    dargs = _teacher_args(dataset, student, f"teacher={teacher}", "distill_steps=4")
    assert distill_main(dargs) == 0
    s = torch.load(student / "checkpoints" / "step_4.pt", weights_only=False)
    assert s["kind"] == "distill" and s["num_boundaries"] == 2
    # the codec is the teacher's, untouched
    for k, v in ckpt["model"].items():
        if k.startswith("codec."):
            assert torch.equal(v, s["model"][k]), k
    again = tmp_path / "student-again"
    (again / "checkpoints").mkdir(parents=True)
    shutil.copy(student / "checkpoints" / "step_2.pt", again / "checkpoints")
    assert (
        distill_main([*_teacher_args(dataset, again, f"teacher={teacher}", "distill_steps=4"), "--resume", "auto"]) == 0
    )
    _same_weights(student / "checkpoints" / "step_4.pt", again / "checkpoints" / "step_4.pt")
    t1, t2 = (torch.load(p / "checkpoints" / "step_4.pt", weights_only=False)["target"] for p in (student, again))
    assert all(torch.equal(t1[k], t2[k]) for k in t1)
    assert (student / "report.html").is_file() and (student / "eval" / "step_4.pt".replace(".pt", ".png")).is_file()

    # export: the 1-step student with the plugin's contract; 2 steps as one graph, its FLOPs
    import onnxruntime as ort

    outs = {}
    for n in (1, 2):
        path = tmp_path / f"student-{n}.onnx"
        assert (
            export_main(
                [
                    "--distilled",
                    str(student / "checkpoints" / "step_4.pt"),
                    "--steps",
                    str(n),
                    "--out",
                    str(path),
                    "--no-fp16",
                ]
            )
            == 0
        )
        meta = read_metadata(path)
        assert meta["input"]["name"] == "input" and meta["output"]["name"] == "output" and meta["upscale"] == 1
        assert meta["sampling_steps"] == n and meta["timesteps"] == D.student_timesteps(n, 2)
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == ["input"] and [o.name for o in sess.get_outputs()] == ["output"]
        x = np.random.default_rng(n).random((1, 3, 40, 56), dtype=np.float32)
        outs[n] = (meta, sess.run(["output"], {"input": x})[0], x)
        assert not (path.with_name(f"student-{n}.base.safetensors")).exists()
    assert outs[2][0]["flops_per_frame"] > outs[1][0]["flops_per_frame"]
    # the unrolled graph computes what the PyTorch sampler does
    model = LatentSampler(SamplerConfig.from_dict(outs[2][0]["model_config"]))
    model.load_state_dict(torch.load(student / "checkpoints" / "step_4.pt", weights_only=False)["model"])
    with torch.no_grad():
        ref = model.eval()(torch.from_numpy(outs[2][2])).numpy()
    assert np.abs(ref - outs[2][1]).max() < 1e-4
    assert (
        export_main(
            [
                "--distilled",
                str(student / "checkpoints" / "step_4.pt"),
                "--steps",
                "3",
                "--out",
                str(tmp_path / "x.onnx"),
            ]
        )
        == 2
    )
    assert (
        export_main(["--teacher", str(teacher), "--steps", "3", "--out", str(tmp_path / "t3.onnx"), "--no-fp16"]) == 0
    )
    assert read_metadata(tmp_path / "t3.onnx")["timesteps"] == D.trailing_timesteps(3)


def test_latent_route_bad_input_is_a_clear_error(dataset, tmp_path, capsys):
    assert distill_main([f"dataset_dir={dataset}", f"output_dir={tmp_path / 's'}"]) == 2
    assert "teacher=PATH is needed" in capsys.readouterr().err
    codec_only = tmp_path / "codec"
    assert teacher_main(_teacher_args(dataset, codec_only, "codec_steps=2", "teacher_steps=0")) == 0
    ckpt = codec_only / "checkpoints" / "step_2.pt"
    assert distill_main(_teacher_args(dataset, tmp_path / "s2", f"teacher={ckpt}", "distill_steps=2")) == 2
    assert "codec phase" in capsys.readouterr().err
    assert export_main(["--checkpoint", str(ckpt), "--out", str(tmp_path / "x.onnx")]) == 2
    assert "export it with --teacher" in capsys.readouterr().err
    assert teacher_main(_teacher_args(dataset, tmp_path / "t", "teacher_unet=huge")) == 2
    assert "teacher_unet must be one of" in capsys.readouterr().err


def test_student_costs_what_the_realtime_model_costs():
    from remaster.model.remaster import build_model, describe

    student = LatentSampler(SamplerConfig(denoiser=DENOISERS["realtime"], timesteps=(999,))).describe()
    direct = describe(build_model("realtime", skip_connections=True, residual=True))
    assert abs(student["flops_per_output_pixel"] / direct["flops_per_output_pixel"] - 1) < 0.01
    four = LatentSampler(SamplerConfig(denoiser=DENOISERS["realtime"], timesteps=(999, 750, 500, 250))).describe()
    assert four["flops_per_frame"] > student["flops_per_frame"]


def test_a_smaller_student_starts_by_regressing_the_teachers_eps(dataset, tmp_path, keep_checkpoints):
    teacher = tmp_path / "teacher"
    assert teacher_main(_teacher_args(dataset, teacher, "codec_steps=1", "teacher_steps=1")) == 0
    out = tmp_path / "student"
    args = _teacher_args(dataset, out, f"teacher={teacher / 'checkpoints' / 'step_2.pt'}", "student_unet=realtime")
    assert distill_main([*args, "student_init_steps=2", "distill_steps=4"]) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if '"loss_' in line]
    assert [("loss_eps_regression" in r, "loss_cd" in r) for r in rows] == [(True, False)] * 2 + [(False, True)] * 2
    ck = torch.load(out / "checkpoints" / "step_2.pt", weights_only=False)
    student = {k[len("denoiser.") :]: v for k, v in ck["model"].items() if k.startswith("denoiser.")}
    assert all(torch.equal(ck["target"][k], v) for k, v in student.items())  # the target starts there
