import numpy as np
import onnx
import onnxruntime as ort
import torch

from remaster.export import export_model, read_metadata
from remaster.model.remaster import build_model


def test_export_parity_metadata_and_dynamic_sizes(tmp_path):
    torch.manual_seed(0)
    model = build_model("tiny").eval()
    for p in model.parameters():  # a non-trivial network: random weights everywhere
        torch.nn.init.normal_(p, std=0.2)
    res = export_model(model, tmp_path / "m.onnx", {"training_config": {"x": 1}, "dataset": {"scene": "synthetic"}})
    assert res["parity_fp32_max_abs_diff"] <= 1e-3
    m = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.version for o in m.opset_import if o.domain == ""] == [17]
    meta = read_metadata(tmp_path / "m.onnx")
    assert (
        meta["input"]["layout"] == "NCHW"
        and meta["input"]["range"] == [0.0, 1.0]
        and meta["input"]["dtype"] == "float32"
    )
    assert meta["preset"] == "tiny" and meta["dataset"] == {"scene": "synthetic"} and meta["flops_per_output_pixel"] > 0
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"))
    assert [i.name for i in sess.get_inputs()] == ["input"] and [o.name for o in sess.get_outputs()] == ["output"]
    for h, w in ((48, 64), (80, 40)):
        x = torch.rand(1, 3, h, w)
        out = sess.run(None, {"input": x.numpy()})[0]
        with torch.no_grad():
            ref = model(x).numpy()
        assert out.shape == (1, 3, h, w) and np.abs(out - ref).max() <= 1e-3
    meta16 = read_metadata(tmp_path / "m.fp16.onnx")
    assert meta16["input"]["dtype"] == "float16"
    m16 = onnx.load(str(tmp_path / "m.fp16.onnx"))
    assert m16.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    if isinstance(res["parity_fp16_max_abs_diff"], float):
        # Random std-0.2 weights and the one-step's x14.6 latent gain amplify fp16 rounding; the
        # trained model's fp16 figure is measured at export time and recorded in models/README.md.
        assert res["parity_fp16_max_abs_diff"] < 0.15


def test_the_deadzone_is_in_the_exported_graph_and_its_metadata(tmp_path):
    from remaster.model.remaster import with_deadzone

    torch.manual_seed(0)
    model = build_model("tiny", residual=True)
    for p in model.decoder.layers[-1].parameters():
        torch.nn.init.normal_(p, std=0.02)
    model.eval()
    x = torch.rand(1, 3, 32, 48) * 0.8 + 0.1
    with torch.no_grad():
        raw = model(x)
    with_deadzone(model, 3.0)
    res = export_model(model, tmp_path / "m.onnx", fp16=False)
    assert res["parity_fp32_max_abs_diff"] <= 1e-5
    assert read_metadata(tmp_path / "m.onnx")["model_config"]["deadzone"] == 3.0
    out = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x.numpy()})[0]
    small = (raw - x).abs().numpy() <= 3.0 / 255
    assert small.any() and np.abs(out - x.numpy())[small].max() <= 1e-6  # those pixels pass through
