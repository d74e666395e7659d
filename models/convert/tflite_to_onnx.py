"""Converts MediaPipe's selfie-segmentation TFLite models to ONNX.

Off-the-shelf converters fail on these models (tflite2onnx stops at HARD_SWISH; tf2onnx needs
TensorFlow and does not know MediaPipe's custom `Convolution2DTransposeBias`), so this converter
reads the TFLite flatbuffer with the `tflite` package and writes ONNX with the `onnx` package,
one TFLite operator at a time. It handles exactly the operators these models use and refuses
anything else by name.

The ONNX model keeps TFLite's interface: input `input` 1×H×W×3 (NHWC, RGB in [0,1]) and output
`mask` 1×H×W×1 (person probability). Inside, it runs in NCHW (what ONNX convolutions take): one
Transpose after the input, one before the output.
"""

from __future__ import annotations

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

BUILTIN_NAMES = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
TFLITE_DTYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
}
OPSET = 13


class Converter:
    def __init__(self, buf: bytes):
        self.model = tflite.Model.GetRootAsModel(buf, 0)
        if self.model.SubgraphsLength() != 1:
            raise ValueError("expected one subgraph")
        self.graph = self.model.Subgraphs(0)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, np.ndarray] = {}
        # TFLite tensor index -> numpy constant (weights, after DEQUANTIZE folding)
        self.constants: dict[int, np.ndarray] = {}
        # TFLite tensor index -> ONNX value name (activations, NCHW)
        self.values: dict[int, str] = {}
        self.counter = 0

    # --- helpers -------------------------------------------------------------------------
    def tensor(self, index: int):
        return self.graph.Tensors(index)

    def shape(self, index: int) -> list[int]:
        return [int(d) for d in self.tensor(index).ShapeAsNumpy()]

    def buffer_data(self, index: int) -> np.ndarray | None:
        t = self.tensor(index)
        data = self.model.Buffers(t.Buffer()).DataAsNumpy()
        if isinstance(data, int) or data is None or len(data) == 0:
            return None
        dtype = TFLITE_DTYPES[t.Type()]
        return np.frombuffer(data.tobytes(), dtype=dtype).reshape(self.shape(index))

    def constant(self, index: int) -> np.ndarray:
        if index in self.constants:
            return self.constants[index]
        data = self.buffer_data(index)
        if data is None:
            raise ValueError(f"tensor {self.tensor(index).Name()} is not a constant")
        return data.astype(np.float32) if data.dtype == np.float16 else data

    def is_constant(self, index: int) -> bool:
        return index in self.constants or self.buffer_data(index) is not None

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def add_initializer(self, hint: str, array: np.ndarray) -> str:
        name = self.fresh(hint)
        self.initializers[name] = array
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attrs) -> str:
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def operand(self, index: int) -> str:
        """An activation (NCHW) or a constant laid out to broadcast against NCHW values."""
        if index in self.values:
            return self.values[index]
        array = self.constant(index)
        if array.ndim == 4:  # NHWC constant
            array = array.transpose(0, 3, 1, 2)
        elif array.ndim == 1 and array.size > 1:  # per-channel vector
            array = array.reshape(1, -1, 1, 1)
        return self.add_initializer("const", array.astype(np.float32))

    def activation(self, value: str, fused: int, hint: str) -> str:
        if fused == tflite.ActivationFunctionType.NONE:
            return value
        if fused == tflite.ActivationFunctionType.RELU:
            return self.node("Relu", [value], hint + "_relu")
        if fused == tflite.ActivationFunctionType.RELU6:
            lo = self.add_initializer("zero", np.array(0.0, np.float32))
            hi = self.add_initializer("six", np.array(6.0, np.float32))
            return self.node("Clip", [value, lo, hi], hint + "_relu6")
        raise ValueError(f"fused activation {fused} is not supported")

    @staticmethod
    def same_pads(in_hw: list[int], kernel: list[int], stride: list[int], dilation=(1, 1)) -> list[int]:
        """TensorFlow SAME padding as explicit ONNX pads [top, left, bottom, right]."""
        begins, ends = [], []
        for n, k, s, d in zip(in_hw, kernel, stride, dilation):
            effective = (k - 1) * d + 1
            out = -(-n // s)
            total = max((out - 1) * s + effective - n, 0)
            begins.append(total // 2)
            ends.append(total - total // 2)
        return begins + ends

    def pads(self, padding: int, in_hw, kernel, stride, dilation=(1, 1)) -> list[int]:
        if padding == tflite.Padding.SAME:
            return self.same_pads(in_hw, kernel, stride, dilation)
        return [0, 0, 0, 0]

    # --- operators -----------------------------------------------------------------------
    def convert(self) -> onnx.ModelProto:
        (inp,) = self.graph.InputsAsNumpy()
        (out,) = self.graph.OutputsAsNumpy()
        in_shape, out_shape = self.shape(inp), self.shape(out)
        self.values[inp] = self.node("Transpose", ["input"], "to_nchw", perm=[0, 3, 1, 2])
        for j in range(self.graph.OperatorsLength()):
            self.operator(self.graph.Operators(j))
        self.nodes.append(
            helper.make_node("Transpose", [self.values[out]], ["mask"], perm=[0, 2, 3, 1])
        )
        graph = helper.make_graph(
            self.nodes,
            "selfie_segmentation",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
            [helper.make_tensor_value_info("mask", TensorProto.FLOAT, out_shape)],
            [numpy_helper.from_array(a, n) for n, a in self.initializers.items()],
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="bevy_backdrop tflite_to_onnx",
        )
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model

    def operator(self, op):
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        custom = code.CustomCode()
        ins = [int(i) for i in op.InputsAsNumpy()]
        outs = [int(i) for i in op.OutputsAsNumpy()]
        name = custom.decode() if custom else BUILTIN_NAMES.get(builtin, str(builtin))
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            raise ValueError(f"operator {name} is not supported by this converter")
        handler(op, ins, outs)

    def options(self, op, cls):
        table = op.BuiltinOptions()
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def op_DEQUANTIZE(self, op, ins, outs):
        self.constants[outs[0]] = self.constant(ins[0]).astype(np.float32)

    def op_CONV_2D(self, op, ins, outs):
        o = self.options(op, tflite.Conv2DOptions)
        weight = self.constant(ins[1]).transpose(0, 3, 1, 2)  # OHWI -> OIHW
        kernel = list(weight.shape[2:])
        stride = [o.StrideH(), o.StrideW()]
        dilation = [o.DilationHFactor(), o.DilationWFactor()]
        in_hw = self.shape(ins[0])[1:3]
        inputs = [self.values[ins[0]], self.add_initializer("w", weight)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.add_initializer("b", self.constant(ins[2])))
        value = self.node(
            "Conv", inputs, "conv", kernel_shape=kernel, strides=stride, dilations=dilation,
            pads=self.pads(o.Padding(), in_hw, kernel, stride, dilation),
        )
        self.values[outs[0]] = self.activation(value, o.FusedActivationFunction(), "conv")

    def op_DEPTHWISE_CONV_2D(self, op, ins, outs):
        o = self.options(op, tflite.DepthwiseConv2DOptions)
        weight = self.constant(ins[1])  # 1 x KH x KW x (C*M)
        channels = self.shape(ins[0])[3]
        weight = weight.transpose(3, 0, 1, 2)  # (C*M) x 1 x KH x KW
        kernel = list(weight.shape[2:])
        stride = [o.StrideH(), o.StrideW()]
        dilation = [o.DilationHFactor(), o.DilationWFactor()]
        in_hw = self.shape(ins[0])[1:3]
        inputs = [self.values[ins[0]], self.add_initializer("dw", weight)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.add_initializer("b", self.constant(ins[2])))
        value = self.node(
            "Conv", inputs, "dwconv", group=channels, kernel_shape=kernel, strides=stride,
            dilations=dilation, pads=self.pads(o.Padding(), in_hw, kernel, stride, dilation),
        )
        self.values[outs[0]] = self.activation(value, o.FusedActivationFunction(), "dwconv")

    def binary(self, onnx_op, options_cls, op, ins, outs):
        value = self.node(onnx_op, [self.operand(ins[0]), self.operand(ins[1])], onnx_op.lower())
        fused = self.options(op, options_cls).FusedActivationFunction() if op.BuiltinOptions() else 0
        self.values[outs[0]] = self.activation(value, fused, onnx_op.lower())

    def op_ADD(self, op, ins, outs):
        self.binary("Add", tflite.AddOptions, op, ins, outs)

    def op_MUL(self, op, ins, outs):
        self.binary("Mul", tflite.MulOptions, op, ins, outs)

    def op_RELU(self, op, ins, outs):
        self.values[outs[0]] = self.node("Relu", [self.values[ins[0]]], "relu")

    def op_LOGISTIC(self, op, ins, outs):
        self.values[outs[0]] = self.node("Sigmoid", [self.values[ins[0]]], "sigmoid")

    def op_HARD_SWISH(self, op, ins, outs):
        # x * relu6(x + 3) / 6, written with HardSigmoid (alpha 1/6, beta 1/2): every runtime
        # (tract included) has it, unlike the opset-14 HardSwish.
        x = self.values[ins[0]]
        gate = self.node("HardSigmoid", [x], "hsig", alpha=1.0 / 6.0, beta=0.5)
        self.values[outs[0]] = self.node("Mul", [x, gate], "hswish")

    def op_MEAN(self, op, ins, outs):
        axes = [int(a) for a in self.constant(ins[1]).reshape(-1)]
        keep = self.options(op, tflite.ReducerOptions).KeepDims()
        if sorted(axes) != [1, 2] or not keep:
            raise ValueError(f"MEAN over axes {axes} (keepdims {keep}) is not supported")
        self.values[outs[0]] = self.node("GlobalAveragePool", [self.values[ins[0]]], "gap")

    def op_AVERAGE_POOL_2D(self, op, ins, outs):
        o = self.options(op, tflite.Pool2DOptions)
        kernel = [o.FilterHeight(), o.FilterWidth()]
        stride = [o.StrideH(), o.StrideW()]
        in_hw = self.shape(ins[0])[1:3]
        if kernel == in_hw and self.shape(outs[0])[1:3] == [1, 1]:
            value = self.node("GlobalAveragePool", [self.values[ins[0]]], "gap")
        else:
            value = self.node(
                "AveragePool", [self.values[ins[0]]], "avgpool", kernel_shape=kernel,
                strides=stride, pads=self.pads(o.Padding(), in_hw, kernel, stride),
                count_include_pad=0,
            )
        self.values[outs[0]] = self.activation(value, o.FusedActivationFunction(), "avgpool")

    def op_RESIZE_BILINEAR(self, op, ins, outs):
        o = self.options(op, tflite.ResizeBilinearOptions)
        if o.AlignCorners():
            mode = "align_corners"
        elif o.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"  # TFLite's legacy default
        n, h, w, c = self.shape(outs[0])
        sizes = self.add_initializer("sizes", np.array([n, c, h, w], np.int64))
        self.values[outs[0]] = self.node(
            "Resize", [self.values[ins[0]], "", "", sizes], "resize", mode="linear",
            coordinate_transformation_mode=mode,
        )

    def op_Convolution2DTransposeBias(self, op, ins, outs):
        # MediaPipe's custom op: transposed convolution + bias. Its options hold padding and
        # stride; the models use a 2x2 kernel, stride 2, SAME, which needs no padding. The
        # output shape is checked against the TFLite graph's own.
        weight = self.constant(ins[1])  # O x KH x KW x I
        bias = self.constant(ins[2])
        kh, kw = weight.shape[1:3]
        in_shape, out_shape = self.shape(ins[0]), self.shape(outs[0])
        stride = [out_shape[1] // in_shape[1], out_shape[2] // in_shape[2]]
        if [in_shape[1] * stride[0], in_shape[2] * stride[1]] != out_shape[1:3] or [kh, kw] != stride:
            raise ValueError(f"Convolution2DTransposeBias {in_shape}->{out_shape} kernel {kh}x{kw}")
        value = self.node(
            "ConvTranspose",
            [self.values[ins[0]], self.add_initializer("tw", weight.transpose(3, 0, 1, 2)),
             self.add_initializer("tb", bias)],
            "deconv", kernel_shape=[kh, kw], strides=stride,
        )
        self.values[outs[0]] = value


def convert(tflite_bytes: bytes) -> onnx.ModelProto:
    return Converter(tflite_bytes).convert()
