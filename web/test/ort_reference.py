"""The model's own runtime on an input the page made: ONNX Runtime (the native backend's library,
from the venv scripts/setup.sh installs) runs `model` on the float32 tensor in `input` with shape
`dims`, and writes the output's float32 values to `output`. The browser tests compare the page's
onnxruntime-web output with this.

    python ort_reference.py MODEL.onnx INPUT.f32 D0,D1,D2,D3 OUTPUT.f32
"""
import sys

import numpy as np
import onnxruntime

model, input_path, dims, output_path = sys.argv[1:5]
shape = [int(d) for d in dims.split(",")]
x = np.fromfile(input_path, dtype=np.float32).reshape(shape)
session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
(y,) = session.run(None, {session.get_inputs()[0].name: x})
y.astype(np.float32).ravel().tofile(output_path)
