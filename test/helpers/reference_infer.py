"""Reference output of an exported model outside the browser (onnxruntime, CPU), for the plugin's
end-to-end tests. argv: model.onnx in.rgba out.rgba width height. Files are raw RGBA8, top row first."""
import sys

import numpy as np
import onnxruntime as ort

model, src, dst, w, h = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rgba = np.fromfile(src, dtype=np.uint8).reshape(h, w, 4)
x = (rgba[..., :3].astype(np.float32) / 255.0).transpose(2, 0, 1)[None]  # (1, 3, H, W) in [0, 1]
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
y = sess.run(["output"], {"input": x})[0][0]  # (3, H', W')
out = np.concatenate([np.clip(np.rint(y.transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8), np.full((*y.shape[1:], 1), 255, np.uint8)], axis=2)
out.tofile(dst)
