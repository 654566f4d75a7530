import json

from test_train import _args

from remaster.evaluate import main as evaluate_main
from remaster.train import main as train_main


def test_evaluate_reports_model_and_baselines_on_the_test_split(dataset, tmp_path, lpips_weights):
    run = tmp_path / "run"
    assert train_main(_args(dataset, run, "max_steps=2", "save_steps=2", "lpips_factor=0", "gan_factor=0")) == 0
    out = tmp_path / "eval"
    backbone, heads = lpips_weights
    code = evaluate_main(
        [
            "--dataset-dir",
            str(dataset),
            "--checkpoint",
            str(run / "checkpoints/step_2.pt"),
            "--out",
            str(out),
            "--lpips-backbone",
            str(backbone),
            "--lpips-heads",
            str(heads),
        ]
    )
    assert code == 0
    res = json.loads((out / "results.json").read_text())
    assert res["frames"] == 2 and res["methods"] == ["low", "low_fxaa_sharpen", "remaster"]
    for method in res["methods"]:
        assert {"psnr", "ssim", "mse", "lpips", "flip", "de2000", "ms_per_frame"} <= set(res["table"][method])
        # Object-pixel twins from the masks (left half of each test frame).
        assert {"psnr_obj", "ssim_obj", "lpips_obj", "flip_obj", "de2000_obj"} <= set(res["table"][method])
    assert res["masked_frames"] == 2
    # One table per scene, and the per-scene check of the remastered frame against low.
    assert sorted(res["scenes"]) == ["scene-a", "scene-b"]
    assert res["scenes"]["scene-a"]["low"]["frames"] == 1
    assert set(res["checks"]["scene-a"]) == {"lpips_obj", "de2000_obj"}
    assert all(isinstance(v, bool) for c in res["checks"].values() for v in c.values())
    # The clip is scored for time (not in the per-frame tables): every method, high as the reference.
    t = res["temporal"]
    assert set(t["methods"]) == {"high", "low", "remaster"}  # the clip has no baseline renders
    assert t["methods"]["high"]["tlp"] == 0 and t["methods"]["low"]["warp_error"] < 1e-6  # a still clip
    assert t["clips"]["clip00"]["frames"] == 3
    md = (out / "results.md").read_text()
    assert "| scene-a | 1 | remaster |" in md and "Scenes where remaster beats low" in md
    assert set(res["unavailable"]) == {"dists", "fid"}
    assert "unavailable" in (out / "results.md").read_text()
    assert (out / "grid.png").stat().st_size > 0
    # The low frame's own PSNR is what the synthetic data says it is.
    low = res["table"]["low"]
    assert 5 < low["psnr"] < 40


def test_per_scene_sampling_keeps_every_scene():
    from remaster.evaluate import per_scene_sample

    rows = [{"id": f"{s}-{i}", "layout": s} for s in "abc" for i in range(10)]
    picked = per_scene_sample(rows, 3)
    assert [r["id"] for r in picked] == ["a-0", "a-3", "a-6", "b-0", "b-3", "b-6", "c-0", "c-3", "c-6"]
    assert per_scene_sample(rows[:2], 5) == rows[:2]
