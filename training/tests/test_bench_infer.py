import json

import pytest

from remaster.bench_infer import main, parse_size


def test_times_the_shipped_models_with_static_shapes_and_writes_json(tmp_path, repo_root):
    out = tmp_path / "r.json"
    rep = main(
        [
            "--models",
            str(repo_root / "models/remaster-realtime.onnx"),
            "--sizes",
            "64x48",
            "--provider",
            "cpu",
            "--reps",
            "2",
            "--warmup",
            "1",
            "--out",
            str(out),
        ]
    )
    saved = json.loads(out.read_text())
    assert saved["results"] == rep["results"] and not rep["failures"]
    r = rep["results"][0]
    assert r["size"] == "64x48" and r["dtype"] == "float32" and r["providers"] == ["CPUExecutionProvider"]
    assert r["median_ms"] > 0 and r["flops"] > 0 and r["reps"] == 2
    assert rep["target"]["met"] is None  # a CPU run says nothing about the GPU target
    assert "--provider cpu" in rep["command"]


def test_bad_sizes_and_missing_models_are_named(tmp_path):
    with pytest.raises(Exception, match="multiples of 8"):
        parse_size("100x50")
    with pytest.raises(SystemExit):
        main(["--models", str(tmp_path / "nope.onnx"), "--provider", "cpu", "--out", str(tmp_path / "r.json")])
