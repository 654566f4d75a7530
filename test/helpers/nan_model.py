"""A Remaster model that outputs NaN: the shipped graph (same contract and metadata) with its output
multiplied by a NaN constant, for the plugin's "the model outputs NaN" tests.
argv: model.onnx out.onnx"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper

m = onnx.load(sys.argv[1])
g = m.graph
last = next(n for n in g.node if "output" in n.output)
last.output[list(last.output).index("output")] = "output_before_nan"
g.initializer.append(numpy_helper.from_array(np.array(np.nan, np.float32), "nan_scalar"))
g.node.append(onnx.helper.make_node("Mul", ["output_before_nan", "nan_scalar"], ["output"], name="make_nan"))
onnx.checker.check_model(m)
onnx.save(m, sys.argv[2])
