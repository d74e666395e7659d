//! An ONNX graph lowered to the GPU backend's fixed list of steps: each node one kernel
//! (`shaders/gpu_network.wgsl`), each tensor a 4-D shape known at load time, weights as plain
//! `f32`s. Read with tract-onnx's protobuf types (the same parser the tract backend uses), not
//! run by tract. Only the ops the shipped models use are lowered; any other op, or an attribute
//! value the kernels do not implement, is a [`LowerError`] naming the node.

use std::collections::HashMap;
use std::fmt;

use tract_onnx::pb;

/// What the lowering could not do, with the node it stopped at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LowerError {
    /// The bytes are not an ONNX model.
    NotOnnx(String),
    /// An op the GPU backend has no kernel for.
    UnknownOp { node: String, op: String },
    /// A node the kernels cannot run as written (an attribute value, a shape, a missing input).
    Unsupported {
        node: String,
        op: String,
        problem: String,
    },
    /// The graph's input or output is not what a segmentation model has.
    Graph(String),
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOnnx(message) => write!(f, "not an ONNX model: {message}"),
            Self::UnknownOp { node, op } => write!(
                f,
                "node {node:?} is a {op}, an op the GPU backend does not run (it runs {})",
                SUPPORTED_OPS.join(", ")
            ),
            Self::Unsupported { node, op, problem } => {
                write!(f, "node {node:?} ({op}): {problem}")
            }
            Self::Graph(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for LowerError {}

/// The ONNX ops the lowering knows.
pub const SUPPORTED_OPS: &[&str] = &[
    "Conv",
    "ConvTranspose",
    "Add",
    "Mul",
    "Relu",
    "Sigmoid",
    "HardSigmoid",
    "GlobalAveragePool",
    "Resize",
    "Transpose",
];

/// A tensor of the lowered network: ONNX's 4-D shape (NCHW inside the network).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    pub shape: [usize; 4],
}

impl TensorInfo {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An element-wise op on one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Relu,
    Sigmoid,
    /// max(0, min(1, alpha·x + beta)).
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
}

/// An element-wise op on two tensors (numpy broadcasting over the 4 dimensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Mul,
}

/// One step's computation.
#[derive(Clone, Debug, PartialEq)]
pub enum Kernel {
    /// 2-D convolution, grouped (depthwise when groups = channels). `weights`: OC × IC/groups ×
    /// KH × KW, then OC biases (zeros when the node has none).
    Conv {
        weights: Vec<f32>,
        groups: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        /// Top, left (the bottom and right pads only shape the output).
        pad: [usize; 2],
    },
    /// Transposed convolution, one group, no padding. `weights`: IC × OC × KH × KW, then OC
    /// biases.
    ConvTranspose {
        weights: Vec<f32>,
        kernel: [usize; 2],
        stride: [usize; 2],
    },
    Unary(Unary),
    Binary(Binary),
    /// The mean over H × W per channel.
    GlobalAveragePool,
    /// Bilinear resize, ONNX's `half_pixel` coordinates (sources clamped to the edge).
    ResizeBilinear,
    /// out[i0, i1, i2, i3] = in[..] with in's axis `perm[k]` = out's axis `k`.
    Transpose {
        perm: [usize; 4],
    },
}

impl Kernel {
    /// The ONNX op a kernel came from (for names in tables and errors).
    pub fn op(&self) -> &'static str {
        match self {
            Self::Conv { .. } => "Conv",
            Self::ConvTranspose { .. } => "ConvTranspose",
            Self::Unary(Unary::Relu) => "Relu",
            Self::Unary(Unary::Sigmoid) => "Sigmoid",
            Self::Unary(Unary::HardSigmoid { .. }) => "HardSigmoid",
            Self::Binary(Binary::Add) => "Add",
            Self::Binary(Binary::Mul) => "Mul",
            Self::GlobalAveragePool => "GlobalAveragePool",
            Self::ResizeBilinear => "Resize",
            Self::Transpose { .. } => "Transpose",
        }
    }
}

/// What a convolution applies to its sums before it writes them: an activation node that only
/// followed it, folded into it by [`Network::fused`] (one dispatch and one tensor fewer).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Activation {
    #[default]
    None,
    Relu,
    Sigmoid,
    /// max(0, min(1, alpha·x + beta)).
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// x · HardSigmoid(x): a HardSigmoid and the Mul of its input with it.
    HardSwish {
        alpha: f32,
        beta: f32,
    },
}

/// One node: its kernel, the tensors it reads (1 or 2) and the one it writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub node: String,
    pub kernel: Kernel,
    pub inputs: Vec<usize>,
    pub output: usize,
    /// Nodes folded into this one ([`Network::fused`]): their activation, applied to the
    /// output, which is now the last folded node's.
    pub activation: Activation,
}

/// The lowered network, in the order its steps run.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub tensors: Vec<TensorInfo>,
    pub steps: Vec<Step>,
    /// The graph's input (NHWC, as the model file declares it) and output.
    pub input: usize,
    pub output: usize,
}

impl Network {
    /// Lowers an ONNX model file's bytes, its input fixed to `input_shape` (the model registry's).
    pub fn from_onnx(bytes: &[u8], input_shape: [usize; 4]) -> Result<Self, LowerError> {
        use tract_onnx::prelude::Framework;
        let model = tract_onnx::onnx()
            .proto_model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(|e| LowerError::NotOnnx(format!("{e:#}")))?;
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| LowerError::NotOnnx("no graph".into()))?;
        Lowering::new(graph, input_shape)?.run(graph)
    }

    /// The network with every activation that only follows a convolution folded into it:
    /// Conv → Relu, Conv → Sigmoid, Conv → HardSigmoid, and hard-swish (Conv → HardSigmoid → Mul
    /// of the two). The convolution then writes the last folded node's output; the tensors
    /// between are no longer written (nothing else reads them). Fewer dispatches, and each
    /// activation done where the value is still in a register.
    pub fn fused(mut self) -> Self {
        let mut i = 0;
        while i < self.steps.len() {
            if matches!(self.steps[i].kernel, Kernel::Conv { .. })
                && self.steps[i].activation == Activation::None
                && let Some((activation, output, folded)) = self.foldable_after(i)
            {
                let step = &mut self.steps[i];
                step.activation = activation;
                step.output = output;
                // Later steps first, so the earlier index stays valid.
                for j in folded.into_iter().rev() {
                    self.steps.remove(j);
                }
            }
            i += 1;
        }
        self
    }

    /// The steps after step `i` that read its output, as an activation to fold into it: the
    /// activation, the output it then writes, and the steps folded (ascending).
    fn foldable_after(&self, i: usize) -> Option<(Activation, usize, Vec<usize>)> {
        let readers = |tensor: usize| -> Vec<usize> {
            (0..self.steps.len())
                .filter(|&j| self.steps[j].inputs.contains(&tensor))
                .collect()
        };
        let conv_out = self.steps[i].output;
        if conv_out == self.output {
            return None;
        }
        match readers(conv_out)[..] {
            [j] if self.steps[j].inputs == [conv_out] => match self.steps[j].kernel {
                Kernel::Unary(Unary::Relu) => {
                    Some((Activation::Relu, self.steps[j].output, vec![j]))
                }
                Kernel::Unary(Unary::Sigmoid) => {
                    Some((Activation::Sigmoid, self.steps[j].output, vec![j]))
                }
                Kernel::Unary(Unary::HardSigmoid { alpha, beta }) => Some((
                    Activation::HardSigmoid { alpha, beta },
                    self.steps[j].output,
                    vec![j],
                )),
                _ => None,
            },
            [j, k] => {
                let Kernel::Unary(Unary::HardSigmoid { alpha, beta }) = self.steps[j].kernel else {
                    return None;
                };
                let gate = self.steps[j].output;
                let mut product = self.steps[k].inputs.clone();
                product.sort_unstable();
                let mut expected = vec![conv_out, gate];
                expected.sort_unstable();
                let hard_swish = self.steps[j].inputs == [conv_out]
                    && self.steps[k].kernel == Kernel::Binary(Binary::Mul)
                    && product == expected
                    && gate != self.output
                    && readers(gate) == [k];
                hard_swish.then(|| {
                    (
                        Activation::HardSwish { alpha, beta },
                        self.steps[k].output,
                        vec![j, k],
                    )
                })
            }
            _ => None,
        }
    }

    /// The number of parameters (weights and biases) the steps hold.
    pub fn parameters(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match &s.kernel {
                Kernel::Conv { weights, .. } | Kernel::ConvTranspose { weights, .. } => {
                    weights.len()
                }
                _ => 0,
            })
            .sum()
    }
}

/// A constant of the graph (initializer): its dims and values (floats, or integers as floats).
struct Constant {
    dims: Vec<usize>,
    floats: Vec<f32>,
    ints: Vec<i64>,
}

fn constant(tensor: &pb::TensorProto) -> Result<Constant, String> {
    use pb::tensor_proto::DataType;
    let dims = tensor.dims.iter().map(|&d| d.max(0) as usize).collect();
    let raw = &tensor.raw_data;
    let (floats, ints) = match DataType::try_from(tensor.data_type) {
        Ok(DataType::Float) if !raw.is_empty() => (
            raw.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Vec::new(),
        ),
        Ok(DataType::Float) => (tensor.float_data.clone(), Vec::new()),
        Ok(DataType::Int64) if !raw.is_empty() => (
            Vec::new(),
            raw.chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        ),
        Ok(DataType::Int64) => (Vec::new(), tensor.int64_data.clone()),
        other => return Err(format!("a constant of type {other:?}")),
    };
    if tensor.data_location == Some(pb::tensor_proto::DataLocation::External as i32) {
        return Err("weights in an external file".into());
    }
    Ok(Constant { dims, floats, ints })
}

struct Lowering {
    constants: HashMap<String, Constant>,
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    input: usize,
}

/// A node's attributes, looked up by name.
struct Attributes<'a>(&'a pb::NodeProto);

impl Attributes<'_> {
    fn get(&self, name: &str) -> Option<&pb::AttributeProto> {
        self.0.attribute.iter().find(|a| a.name == name)
    }
    fn ints(&self, name: &str) -> Option<Vec<i64>> {
        self.get(name).map(|a| a.ints.clone())
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).map(|a| a.i)
    }
    fn float(&self, name: &str) -> Option<f32> {
        self.get(name).map(|a| a.f)
    }
    fn string(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
    }
}

impl Lowering {
    fn new(graph: &pb::GraphProto, input_shape: [usize; 4]) -> Result<Self, LowerError> {
        let mut constants = HashMap::new();
        for tensor in &graph.initializer {
            let value = constant(tensor).map_err(|problem| {
                LowerError::Graph(format!("initializer {:?}: {problem}", tensor.name))
            })?;
            constants.insert(tensor.name.clone(), value);
        }
        let inputs: Vec<_> = graph
            .input
            .iter()
            .filter(|i| !constants.contains_key(&i.name))
            .collect();
        let [input] = inputs[..] else {
            return Err(LowerError::Graph(format!(
                "the graph has {} inputs; a segmentation model has one",
                inputs.len()
            )));
        };
        if input_shape[0] != 1 {
            return Err(LowerError::Graph(format!(
                "input {input_shape:?}: the GPU backend runs one frame at a time (batch 1)"
            )));
        }
        let mut lowering = Self {
            constants,
            tensors: Vec::new(),
            by_name: HashMap::new(),
            input: 0,
        };
        lowering.input = lowering.add(&input.name, input_shape);
        Ok(lowering)
    }

    fn add(&mut self, name: &str, shape: [usize; 4]) -> usize {
        self.tensors.push(TensorInfo {
            name: name.to_owned(),
            shape,
        });
        self.by_name.insert(name.to_owned(), self.tensors.len() - 1);
        self.tensors.len() - 1
    }

    fn run(mut self, graph: &pb::GraphProto) -> Result<Network, LowerError> {
        let mut steps = Vec::with_capacity(graph.node.len());
        for node in &graph.node {
            let name = if node.name.is_empty() {
                node.output.first().cloned().unwrap_or_default()
            } else {
                node.name.clone()
            };
            let unsupported = |problem: String| LowerError::Unsupported {
                node: name.clone(),
                op: node.op_type.clone(),
                problem,
            };
            if !node.domain.is_empty() && node.domain != "ai.onnx" {
                return Err(LowerError::UnknownOp {
                    node: name,
                    op: format!("{}.{}", node.domain, node.op_type),
                });
            }
            if !SUPPORTED_OPS.contains(&node.op_type.as_str()) {
                return Err(LowerError::UnknownOp {
                    node: name,
                    op: node.op_type.clone(),
                });
            }
            let [output_name] = &node.output[..] else {
                return Err(unsupported(format!("{} outputs", node.output.len())));
            };
            let (kernel, inputs, shape) = self.lower(node).map_err(unsupported)?;
            let output = self.add(output_name, shape);
            steps.push(Step {
                node: name,
                kernel,
                inputs,
                output,
                activation: Activation::None,
            });
        }
        let [output] = &graph.output[..] else {
            return Err(LowerError::Graph(format!(
                "the graph has {} outputs; a segmentation model has one",
                graph.output.len()
            )));
        };
        let output = *self.by_name.get(&output.name).ok_or_else(|| {
            LowerError::Graph(format!("no node writes the output {:?}", output.name))
        })?;
        Ok(Network {
            tensors: self.tensors,
            steps,
            input: self.input,
            output,
        })
    }

    /// A tensor the node reads (computed earlier, or the graph's input).
    fn tensor(&self, node: &pb::NodeProto, index: usize) -> Result<usize, String> {
        let name = node
            .input
            .get(index)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("no input {index}"))?;
        self.by_name.get(name).copied().ok_or_else(|| {
            if self.constants.contains_key(name) {
                format!("input {name:?} is a constant where the kernel reads a computed tensor")
            } else {
                format!("input {name:?} is not computed before this node")
            }
        })
    }

    fn constant(&self, node: &pb::NodeProto, index: usize) -> Result<Option<&Constant>, String> {
        match node.input.get(index).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(name) => {
                self.constants.get(name).map(Some).ok_or_else(|| {
                    format!("input {name:?} is not a constant (the kernel needs one)")
                })
            }
        }
    }

    fn lower(&self, node: &pb::NodeProto) -> Result<(Kernel, Vec<usize>, [usize; 4]), String> {
        let attributes = Attributes(node);
        let x = self.tensor(node, 0)?;
        let shape = self.tensors[x].shape;
        let pair = |name: &str, default: usize| -> Result<[usize; 2], String> {
            match attributes.ints(name) {
                None => Ok([default; 2]),
                Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 0) => {
                    Ok([v[0] as usize, v[1] as usize])
                }
                Some(v) => Err(format!("{name} {v:?}: two non-negative values expected")),
            }
        };
        let no_auto_pad = || match attributes.string("auto_pad").as_deref() {
            None | Some("NOTSET") => Ok(()),
            Some(other) => Err(format!("auto_pad {other} (only explicit pads)")),
        };
        let ones = |name: &str| match attributes.ints(name) {
            Some(v) if v.iter().any(|&d| d != 1) => Err(format!("{name} {v:?} (only 1s)")),
            _ => Ok(()),
        };
        match node.op_type.as_str() {
            "Conv" => {
                no_auto_pad()?;
                ones("dilations")?;
                let w = self.constant(node, 1)?.ok_or("no weights")?;
                let [oc, icg, kh, kw] = w.dims[..] else {
                    return Err(format!("weights of shape {:?} (4-D expected)", w.dims));
                };
                let groups = attributes.int("group").unwrap_or(1).max(1) as usize;
                let [_, c, h, wd] = shape;
                if c != icg * groups || oc % groups != 0 {
                    return Err(format!(
                        "{c} input channels, weights {:?}, {groups} groups do not fit",
                        w.dims
                    ));
                }
                let stride = pair("strides", 1)?;
                let pads = attributes.ints("pads").unwrap_or(vec![0; 4]);
                let [top, left, bottom, right] = pads[..] else {
                    return Err(format!("pads {pads:?} (4 values expected)"));
                };
                let (top, left) = (top as usize, left as usize);
                let (padded_h, padded_w) = (h + top + bottom as usize, wd + left + right as usize);
                if stride.contains(&0) || padded_h < kh || padded_w < kw {
                    return Err(format!("a {kh}×{kw} kernel does not fit {h}×{wd} padded"));
                }
                let out = [
                    1,
                    oc,
                    (padded_h - kh) / stride[0] + 1,
                    (padded_w - kw) / stride[1] + 1,
                ];
                let weights = with_bias(w, oc, self.constant(node, 2)?)?;
                Ok((
                    Kernel::Conv {
                        weights,
                        groups,
                        kernel: [kh, kw],
                        stride,
                        pad: [top, left],
                    },
                    vec![x],
                    out,
                ))
            }
            "ConvTranspose" => {
                no_auto_pad()?;
                ones("dilations")?;
                if attributes.int("group").is_some_and(|g| g != 1) {
                    return Err("groups (only 1)".into());
                }
                for name in ["pads", "output_padding", "output_shape"] {
                    if attributes
                        .ints(name)
                        .is_some_and(|v| v.iter().any(|&p| p != 0))
                    {
                        return Err(format!("{name} (only none)"));
                    }
                }
                let w = self.constant(node, 1)?.ok_or("no weights")?;
                let [ic, oc, kh, kw] = w.dims[..] else {
                    return Err(format!("weights of shape {:?} (4-D expected)", w.dims));
                };
                if ic != shape[1] {
                    return Err(format!("{} input channels, weights {:?}", shape[1], w.dims));
                }
                let stride = pair("strides", 1)?;
                let out = [
                    1,
                    oc,
                    (shape[2] - 1) * stride[0] + kh,
                    (shape[3] - 1) * stride[1] + kw,
                ];
                let weights = with_bias(w, oc, self.constant(node, 2)?)?;
                Ok((
                    Kernel::ConvTranspose {
                        weights,
                        kernel: [kh, kw],
                        stride,
                    },
                    vec![x],
                    out,
                ))
            }
            "Relu" => Ok((Kernel::Unary(Unary::Relu), vec![x], shape)),
            "Sigmoid" => Ok((Kernel::Unary(Unary::Sigmoid), vec![x], shape)),
            "HardSigmoid" => Ok((
                Kernel::Unary(Unary::HardSigmoid {
                    alpha: attributes.float("alpha").unwrap_or(0.2),
                    beta: attributes.float("beta").unwrap_or(0.5),
                }),
                vec![x],
                shape,
            )),
            "Add" | "Mul" => {
                let y = self.tensor(node, 1)?;
                let other = self.tensors[y].shape;
                let mut out = [0; 4];
                for k in 0..4 {
                    out[k] = match (shape[k], other[k]) {
                        (a, b) if a == b => a,
                        (1, b) => b,
                        (a, 1) => a,
                        _ => {
                            return Err(format!("shapes {shape:?} and {other:?} do not broadcast"));
                        }
                    };
                }
                let op = if node.op_type == "Add" {
                    Binary::Add
                } else {
                    Binary::Mul
                };
                Ok((Kernel::Binary(op), vec![x, y], out))
            }
            "GlobalAveragePool" => Ok((
                Kernel::GlobalAveragePool,
                vec![x],
                [shape[0], shape[1], 1, 1],
            )),
            "Resize" => {
                if attributes.string("mode").as_deref() != Some("linear") {
                    return Err(format!(
                        "mode {:?} (only linear)",
                        attributes.string("mode").unwrap_or("nearest".into())
                    ));
                }
                match attributes
                    .string("coordinate_transformation_mode")
                    .as_deref()
                {
                    None | Some("half_pixel") => {}
                    Some(other) => {
                        return Err(format!(
                            "coordinate_transformation_mode {other} (only half_pixel)"
                        ));
                    }
                }
                let out = if let Some(sizes) = self.constant(node, 3)? {
                    sizes.ints.clone()
                } else if let Some(scales) = self.constant(node, 2)? {
                    scales
                        .floats
                        .iter()
                        .zip(shape)
                        .map(|(s, d)| (s * d as f32).floor() as i64)
                        .collect()
                } else {
                    return Err("neither sizes nor scales".into());
                };
                let [n, c, h, w] = out[..] else {
                    return Err(format!("sizes {out:?} (4 values expected)"));
                };
                if n as usize != shape[0] || c as usize != shape[1] || h < 1 || w < 1 {
                    return Err(format!("sizes {out:?} (only H and W change)"));
                }
                Ok((
                    Kernel::ResizeBilinear,
                    vec![x],
                    [shape[0], shape[1], h as usize, w as usize],
                ))
            }
            "Transpose" => {
                let perm = attributes.ints("perm").unwrap_or(vec![3, 2, 1, 0]);
                let mut seen = [false; 4];
                let mut p = [0; 4];
                for (k, &axis) in perm.iter().enumerate().take(4) {
                    if !(0..4).contains(&axis) || seen[axis as usize] {
                        return Err(format!("perm {perm:?}"));
                    }
                    seen[axis as usize] = true;
                    p[k] = axis as usize;
                }
                if perm.len() != 4 {
                    return Err(format!("perm {perm:?} (4 axes expected)"));
                }
                let out = [shape[p[0]], shape[p[1]], shape[p[2]], shape[p[3]]];
                Ok((Kernel::Transpose { perm: p }, vec![x], out))
            }
            other => unreachable!("{other} is in SUPPORTED_OPS but not lowered"),
        }
    }
}

/// A weight constant's values followed by `count` biases (zeros without a bias input).
fn with_bias(
    weights: &Constant,
    count: usize,
    bias: Option<&Constant>,
) -> Result<Vec<f32>, String> {
    let expected: usize = weights.dims.iter().product();
    if weights.floats.len() != expected {
        return Err(format!(
            "weights hold {} floats for shape {:?}",
            weights.floats.len(),
            weights.dims
        ));
    }
    let mut values = weights.floats.clone();
    match bias {
        Some(b) if b.floats.len() == count => values.extend_from_slice(&b.floats),
        Some(b) => return Err(format!("{} biases for {count} channels", b.floats.len())),
        None => values.resize(expected + count, 0.0),
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn the_shipped_models_lower_to_their_149_nodes() {
        for (file, input, mask) in [
            ("selfie_landscape.onnx", [1, 144, 256, 3], [1, 144, 256, 1]),
            ("selfie_general.onnx", [1, 256, 256, 3], [1, 256, 256, 1]),
        ] {
            let network = Network::from_onnx(&shipped(file), input).unwrap();
            assert_eq!(network.steps.len(), 149, "{file}");
            assert_eq!(network.tensors[network.output].shape, mask, "{file}");
            // Every weight and bias of the file (106,401 floats; the 106,413 sometimes quoted also
            // counts Resize's three 4-integer size vectors). Zero biases made up for a bias-less
            // convolution would show as more.
            assert_eq!(network.parameters(), 106_401, "{file}");
            let ops: std::collections::BTreeSet<_> =
                network.steps.iter().map(|s| s.kernel.op()).collect();
            assert_eq!(ops.len(), SUPPORTED_OPS.len(), "{file}: {ops:?}");
            // Folded: in these models every Relu and HardSigmoid reads a convolution's output
            // that nothing else reads, or is half of a hard-swish: none is left, each became one
            // convolution's activation, and a hard-swish's Mul went with it. A Sigmoid is folded
            // where it follows a convolution alone (not the mask's, which follows the
            // ConvTranspose).
            let fused = network.clone().fused();
            let count = |network: &Network, op: &str| {
                network.steps.iter().filter(|s| s.kernel.op() == op).count()
            };
            assert_eq!(count(&fused, "Relu"), 0, "{file}");
            assert_eq!(count(&fused, "HardSigmoid"), 0, "{file}");
            assert_eq!(fused.parameters(), network.parameters(), "{file}");
            assert_eq!(fused.output, network.output, "{file}");
            let activations = |kind: fn(&Activation) -> bool| {
                fused.steps.iter().filter(|s| kind(&s.activation)).count()
            };
            assert_eq!(
                activations(|a| matches!(a, Activation::Relu)),
                count(&network, "Relu"),
                "{file}"
            );
            assert_eq!(
                activations(|a| matches!(
                    a,
                    Activation::HardSigmoid { .. } | Activation::HardSwish { .. }
                )),
                count(&network, "HardSigmoid"),
                "{file}"
            );
            let hard_swish = activations(|a| matches!(a, Activation::HardSwish { .. }));
            let sigmoids = activations(|a| matches!(a, Activation::Sigmoid));
            assert!(sigmoids > 0, "{file}");
            assert_eq!(
                count(&fused, "Sigmoid") + sigmoids,
                count(&network, "Sigmoid"),
                "{file}"
            );
            assert_eq!(
                fused.steps.len(),
                149 - count(&network, "Relu")
                    - count(&network, "HardSigmoid")
                    - hard_swish
                    - sigmoids,
                "{file}"
            );
            println!(
                "{file}: {} steps fused, {hard_swish} hard-swish, {sigmoids} of {} Sigmoids folded",
                fused.steps.len(),
                count(&network, "Sigmoid")
            );
        }
    }

    #[test]
    fn garbage_is_not_onnx() {
        let error = Network::from_onnx(b"\xff\xff\xff not a model", [1, 2, 2, 3]).unwrap_err();
        assert!(matches!(error, LowerError::NotOnnx(_)), "{error}");
    }
}
