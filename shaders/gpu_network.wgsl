// The GPU segmentation backend's kernels (src/inference/gpu_network/): one compute entry point per
// kind of ONNX node, one invocation per output element (a tensor in a storage buffer, f32, NCHW
// inside the network, row-major, batch 1), dispatched as x = column, y = row, z = channel in
// 8 × 8 tiles: the element's coordinates are the invocation's id, no integer division per element
// (on lavapipe this alone changed nothing measurable). The convolutions compute several outputs
// an invocation where the shapes allow (conv4, depthwise4, pointwise), each read serving several
// sums: that is what made them faster. The lowering (graph.rs) fixes every shape at load time; each
// dispatch gets its own `Params`. Arithmetic in f32 as the CPU engines do; sums in the order
// ONNX's definitions write them (no reassociation the reference would not do, beyond f32's own).
//
// Bindings (one layout for every kernel): params, the first input `a`, the second input `b`
// (Add/Mul; a placeholder otherwise), the weights then biases `w` (Conv, ConvTranspose;
// a placeholder otherwise), the output.

struct Params {
    // Output shape N, C, H, W.
    out_shape: vec4<u32>,
    // The first input's shape.
    a_shape: vec4<u32>,
    // The second input's shape (Add, Mul).
    b_shape: vec4<u32>,
    // Kernel height, width; stride y, x (Conv, ConvTranspose).
    window: vec4<u32>,
    // Pad top, left (Conv); the activation (z; Conv: see `activate`); the op (w; Unary: 0 Relu,
    // 1 Sigmoid, 2 HardSigmoid; Binary: 0 Add, 1 Mul).
    misc: vec4<u32>,
    // Conv: input channels per group, output channels per group.
    groups: vec4<u32>,
    // HardSigmoid's alpha, beta (Unary, and a convolution's activation).
    factors: vec4<f32>,
    // Transpose: the input axis of each output axis.
    perm: vec4<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// The tile of output elements a workgroup computes (x, y); z is one channel.
const TILE: u32 = 8u;

// The output element (n = 0, c, y, x) of an invocation.
fn output_at(id: vec3<u32>) -> vec4<u32> {
    return vec4<u32>(0u, id.z, id.y, id.x);
}

// Whether the element is inside the output (the last tiles of a row or column stick out).
fn inside(o: vec4<u32>) -> bool {
    return o.w < params.out_shape.w && o.z < params.out_shape.z && o.y < params.out_shape.y;
}

fn flat(at: vec4<u32>, shape: vec4<u32>) -> u32 {
    return ((at.x * shape.y + at.y) * shape.z + at.z) * shape.w + at.w;
}

// A convolution's activation, folded into it from the nodes that followed it (graph.rs's
// `Network::fused`): misc.z 0 none, 1 Relu, 2 HardSigmoid, 3 hard-swish x · HardSigmoid(x),
// 4 Sigmoid; HardSigmoid's alpha, beta in factors. Selects, not branches: no control flow on
// uniforms.
fn activate(x: vec4<f32>) -> vec4<f32> {
    let code = params.misc.z;
    let hard = clamp(params.factors.x * x + params.factors.y, vec4<f32>(0.0), vec4<f32>(1.0));
    var y = select(x, max(x, vec4<f32>(0.0)), code == 1u);
    y = select(y, hard, code == 2u);
    y = select(y, x * hard, code == 3u);
    return select(y, 1.0 / (1.0 + exp(-x)), code == 4u);
}

@compute @workgroup_size(8, 8, 1)
fn conv(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    let in_shape = params.a_shape;
    let kh = params.window.x;
    let kw = params.window.y;
    let in_per_group = params.groups.x;
    let out_per_group = params.groups.y;
    let first_in = (o.y / out_per_group) * in_per_group;
    // Top-left of the window in the unpadded input (may be negative at the edges).
    let top = i32(o.z * params.window.z) - i32(params.misc.x);
    let left = i32(o.w * params.window.w) - i32(params.misc.y);
    var sum = 0.0;
    for (var i = 0u; i < in_per_group; i++) {
        let channel = o.x * in_shape.y + first_in + i;
        let weights = ((o.y * in_per_group + i) * kh) * kw;
        for (var ky = 0u; ky < kh; ky++) {
            let y = top + i32(ky);
            if y < 0 || y >= i32(in_shape.z) {
                continue;
            }
            let row = (channel * in_shape.z + u32(y)) * in_shape.w;
            for (var kx = 0u; kx < kw; kx++) {
                let x = left + i32(kx);
                if x < 0 || x >= i32(in_shape.w) {
                    continue;
                }
                sum += a[row + u32(x)] * w[weights + ky * kw + kx];
            }
        }
    }
    let bias = w[params.out_shape.y * in_per_group * kh * kw + o.y];
    out[index] = activate(vec4<f32>(sum + bias)).x;
}

// The same convolution for four output channels at once (id.z = a block of four; the lowering
// uses it where a group has more than one input channel and a multiple of four output channels):
// each input value is read once for the four, and the window's rows and columns that fall inside
// the input are found once, not tested tap by tap.
@compute @workgroup_size(8, 8, 1)
fn conv4(@builtin(global_invocation_id) id: vec3<u32>) {
    let first_out = id.z * 4u;
    let o = vec4<u32>(0u, first_out, id.y, id.x);
    if !inside(o) {
        return;
    }
    let in_shape = params.a_shape;
    let kh = params.window.x;
    let kw = params.window.y;
    let in_per_group = params.groups.x;
    let first_in = (first_out / params.groups.y) * in_per_group;
    let top = i32(o.z * params.window.z) - i32(params.misc.x);
    let left = i32(o.w * params.window.w) - i32(params.misc.y);
    let ky_first = u32(max(-top, 0));
    let ky_end = u32(clamp(i32(in_shape.z) - top, 0, i32(kh)));
    let kx_first = u32(max(-left, 0));
    let kx_end = u32(clamp(i32(in_shape.w) - left, 0, i32(kw)));
    // Weights of output channel k start at k · (in_per_group · kh · kw).
    let stride = in_per_group * kh * kw;
    var sum = vec4<f32>(0.0);
    for (var i = 0u; i < in_per_group; i++) {
        let channel = first_in + i;
        for (var ky = ky_first; ky < ky_end; ky++) {
            let row = (channel * in_shape.z + u32(top + i32(ky))) * in_shape.w;
            let tap_row = (i * kh + ky) * kw;
            for (var kx = kx_first; kx < kx_end; kx++) {
                let value = a[row + u32(left + i32(kx))];
                let tap = first_out * stride + tap_row + kx;
                sum += value * vec4<f32>(w[tap], w[tap + stride], w[tap + 2u * stride], w[tap + 3u * stride]);
            }
        }
    }
    let biases = params.out_shape.y * stride + first_out;
    let plane = params.out_shape.z * params.out_shape.w;
    let index = flat(o, params.out_shape);
    let result = activate(sum + vec4<f32>(w[biases], w[biases + 1u], w[biases + 2u], w[biases + 3u]));
    for (var k = 0u; k < 4u; k++) {
        out[index + k * plane] = result[k];
    }
}

// A depthwise convolution (one input channel a group, one output channel a group) for four
// neighbouring outputs of a row at once (id.x = a block of four columns): each weight is read
// once for the four, and the window's rows that fall inside the input are found once. Taps
// beyond the left or right edge add zero. Sums in the window's order, as conv's.
@compute @workgroup_size(8, 8, 1)
fn depthwise4(@builtin(global_invocation_id) id: vec3<u32>) {
    let x0 = id.x * 4u;
    let o = vec4<u32>(0u, id.z, id.y, x0);
    if !inside(o) {
        return;
    }
    let in_shape = params.a_shape;
    let kh = params.window.x;
    let kw = params.window.y;
    let stride_x = i32(params.window.w);
    let top = i32(o.z * params.window.z) - i32(params.misc.x);
    let left = i32(x0) * stride_x - i32(params.misc.y);
    let ky_first = u32(max(-top, 0));
    let ky_end = u32(clamp(i32(in_shape.z) - top, 0, i32(kh)));
    let width = i32(in_shape.w);
    let taps = o.y * kh * kw;
    var sum = vec4<f32>(0.0);
    for (var ky = ky_first; ky < ky_end; ky++) {
        let row = (o.y * in_shape.z + u32(top + i32(ky))) * in_shape.w;
        for (var kx = 0u; kx < kw; kx++) {
            let weight = w[taps + ky * kw + kx];
            let column = vec4<i32>(left + i32(kx)) + vec4<i32>(0, 1, 2, 3) * stride_x;
            let at = vec4<u32>(clamp(column, vec4<i32>(0), vec4<i32>(width - 1))) + row;
            let value = vec4<f32>(a[at.x], a[at.y], a[at.z], a[at.w]);
            let within = (column >= vec4<i32>(0)) & (column < vec4<i32>(width));
            sum += weight * select(vec4<f32>(0.0), value, within);
        }
    }
    let result = activate(sum + w[params.out_shape.y * kh * kw + o.y]);
    let index = flat(o, params.out_shape);
    for (var k = 0u; k < 4u; k++) {
        if x0 + k < params.out_shape.w {
            out[index + k] = result[k];
        }
    }
}

// A 1 × 1 convolution (stride 1, no padding, one group) is a matrix product over the plane's
// pixels p: out[oc, p] = bias[oc] + Σ_ic w[oc, ic] · a[ic, p]. Each invocation computes four
// output channels at four neighbouring pixels, 16 sums in registers: each input value it reads
// serves four channels and each weight four pixels (conv4 reads a weight per sum). id.x: a block
// of four pixels of the flattened plane, id.z: a block of four output channels. The lowering uses
// it where the plane and the output channels come in whole blocks of four. Sums in input-channel
// order, as conv's. On lavapipe it made the 1 × 1 convolutions 2.9× faster than conv4 and the
// whole network 1.5×.
@compute @workgroup_size(64, 1, 1)
fn pointwise(@builtin(global_invocation_id) id: vec3<u32>) {
    let plane = params.out_shape.z * params.out_shape.w;
    let p = id.x * 4u;
    if p >= plane || id.z * 4u >= params.out_shape.y {
        return;
    }
    let first_out = id.z * 4u;
    let channels = params.a_shape.y;
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    var s3 = vec4<f32>(0.0);
    for (var i = 0u; i < channels; i++) {
        let at = i * plane + p;
        let x = vec4<f32>(a[at], a[at + 1u], a[at + 2u], a[at + 3u]);
        let tap = first_out * channels + i;
        s0 += w[tap] * x;
        s1 += w[tap + channels] * x;
        s2 += w[tap + 2u * channels] * x;
        s3 += w[tap + 3u * channels] * x;
    }
    let biases = params.out_shape.y * channels + first_out;
    let o = first_out * plane + p;
    write4(o, activate(s0 + w[biases]));
    write4(o + plane, activate(s1 + w[biases + 1u]));
    write4(o + 2u * plane, activate(s2 + w[biases + 2u]));
    write4(o + 3u * plane, activate(s3 + w[biases + 3u]));
}

// Four neighbouring output elements.
fn write4(at: u32, values: vec4<f32>) {
    out[at] = values.x;
    out[at + 1u] = values.y;
    out[at + 2u] = values.z;
    out[at + 3u] = values.w;
}

// ONNX ConvTranspose, one group, no padding: out[oc, y, x] = bias[oc] +
// Σ over ic and the taps (ky, kx) with y = iy·sy + ky, x = ix·sx + kx of a[ic, iy, ix]·w[ic, oc, ky, kx].
@compute @workgroup_size(8, 8, 1)
fn conv_transpose(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    let in_shape = params.a_shape;
    let kh = params.window.x;
    let kw = params.window.y;
    let sy = params.window.z;
    let sx = params.window.w;
    let channels_out = params.out_shape.y;
    var sum = 0.0;
    for (var ky = 0u; ky < kh; ky++) {
        if o.z < ky || (o.z - ky) % sy != 0u || (o.z - ky) / sy >= in_shape.z {
            continue;
        }
        let iy = (o.z - ky) / sy;
        for (var kx = 0u; kx < kw; kx++) {
            if o.w < kx || (o.w - kx) % sx != 0u || (o.w - kx) / sx >= in_shape.w {
                continue;
            }
            let ix = (o.w - kx) / sx;
            for (var ic = 0u; ic < in_shape.y; ic++) {
                let input = flat(vec4<u32>(o.x, ic, iy, ix), in_shape);
                sum += a[input] * w[((ic * channels_out + o.y) * kh + ky) * kw + kx];
            }
        }
    }
    let bias = w[in_shape.y * channels_out * kh * kw + o.y];
    out[index] = sum + bias;
}

@compute @workgroup_size(8, 8, 1)
fn unary(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    let x = a[index];
    switch params.misc.w {
        case 0u: {
            out[index] = max(x, 0.0);
        }
        case 1u: {
            out[index] = 1.0 / (1.0 + exp(-x));
        }
        default: {
            out[index] = clamp(params.factors.x * x + params.factors.y, 0.0, 1.0);
        }
    }
}

// Numpy broadcasting: an axis of size 1 in an input repeats along the output's.
fn broadcast(o: vec4<u32>, shape: vec4<u32>) -> u32 {
    return flat(min(o, shape - vec4<u32>(1u)), shape);
}

@compute @workgroup_size(8, 8, 1)
fn binary(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    let x = a[broadcast(o, params.a_shape)];
    let y = b[broadcast(o, params.b_shape)];
    if params.misc.w == 0u {
        out[index] = x + y;
    } else {
        out[index] = x * y;
    }
}

// One workgroup per channel (dispatched 1 × 1 × C): its 64 invocations sum every 64th value of
// the H × W plane, then the 64 sums are added pairwise; the mean is the total / (H · W).
var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(8, 8, 1)
fn global_average_pool(@builtin(workgroup_id) group: vec3<u32>,
                       @builtin(local_invocation_index) lane: u32) {
    let channel = group.z;
    let size = params.a_shape.z * params.a_shape.w;
    let first = channel * size;
    var sum = 0.0;
    for (var i = lane; i < size; i += 64u) {
        sum += a[first + i];
    }
    partial[lane] = sum;
    for (var half = 32u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if lane < half {
            partial[lane] += partial[lane + half];
        }
    }
    if lane == 0u {
        out[channel] = partial[0] / f32(size);
    }
}

// Bilinear, ONNX's half_pixel coordinates: source = (out + 0.5) · in/out − 0.5, clamped to the
// input's edge pixels.
@compute @workgroup_size(8, 8, 1)
fn resize_bilinear(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    let in_shape = params.a_shape;
    let scale = vec2<f32>(f32(in_shape.z) / f32(params.out_shape.z), f32(in_shape.w) / f32(params.out_shape.w));
    let last = vec2<f32>(f32(in_shape.z - 1u), f32(in_shape.w - 1u));
    let source = clamp((vec2<f32>(f32(o.z), f32(o.w)) + 0.5) * scale - 0.5, vec2<f32>(0.0), last);
    let y0 = u32(floor(source.x));
    let x0 = u32(floor(source.y));
    let y1 = min(y0 + 1u, in_shape.z - 1u);
    let x1 = min(x0 + 1u, in_shape.w - 1u);
    let fy = source.x - f32(y0);
    let fx = source.y - f32(x0);
    let plane = (o.x * in_shape.y + o.y) * in_shape.z;
    let top = a[(plane + y0) * in_shape.w + x0] * (1.0 - fx) + a[(plane + y0) * in_shape.w + x1] * fx;
    let bottom = a[(plane + y1) * in_shape.w + x0] * (1.0 - fx) + a[(plane + y1) * in_shape.w + x1] * fx;
    out[index] = top * (1.0 - fy) + bottom * fy;
}

@compute @workgroup_size(8, 8, 1)
fn transpose(@builtin(global_invocation_id) id: vec3<u32>) {
    let o = output_at(id);
    if !inside(o) {
        return;
    }
    let index = flat(o, params.out_shape);
    // Output axis k is input axis perm[k].
    var source = vec4<u32>(0u);
    source[params.perm.x] = o.x;
    source[params.perm.y] = o.y;
    source[params.perm.z] = o.z;
    source[params.perm.w] = o.w;
    out[index] = a[flat(source, params.a_shape)];
}

// ---- The frame in, the mask out (their own bind group: the frame texture and the mask texture) ----
// Pre-processing as the CPU path does it (src/inference/preprocess.rs): bilinear with corner-
// aligned source coordinates x_src = x · W/w (clamped to the last pixel), over the frame's 8-bit
// values — read with textureLoad (the frame texture is Rgba8Unorm: the encoded values) and turned
// back into the exact bytes — then / 255 · scale + offset into the model's range. Writes the input
// tensor (`out`): NHWC, or NCHW when misc.x = 1. Params: out_shape = (1, h, w, 3) the model's
// input size; factors = (scale, offset).
@group(1) @binding(0) var frame: texture_2d<f32>;
// The mask for the effects chain: r (and g for two values a pixel) at model resolution.
@group(1) @binding(1) var mask: texture_storage_2d<rgba16float, write>;

fn frame_bytes(at: vec2<u32>) -> vec3<f32> {
    return round(textureLoad(frame, at, 0).rgb * 255.0);
}

@compute @workgroup_size(8, 8, 1)
fn preprocess(@builtin(global_invocation_id) id: vec3<u32>) {
    let height = params.out_shape.y;
    let width = params.out_shape.z;
    let x = id.x;
    let y = id.y;
    if x >= width || y >= height {
        return;
    }
    let index = y * width + x;
    let size = textureDimensions(frame);
    let last = vec2<f32>(size - vec2<u32>(1u));
    let source = clamp(vec2<f32>(f32(x), f32(y)) * (vec2<f32>(size) / vec2<f32>(f32(width), f32(height))),
                       vec2<f32>(0.0), last);
    let first = vec2<u32>(floor(source));
    let second = min(first + vec2<u32>(1u), size - vec2<u32>(1u));
    let weight = source - vec2<f32>(first);
    let top_left = frame_bytes(first);
    let top_right = frame_bytes(vec2<u32>(second.x, first.y));
    let bottom_left = frame_bytes(vec2<u32>(first.x, second.y));
    let bottom_right = frame_bytes(second);
    let upper = top_left + (top_right - top_left) * weight.x;
    let lower = bottom_left + (bottom_right - bottom_left) * weight.x;
    let value = (upper + (lower - upper) * weight.y) / 255.0 * params.factors.x + params.factors.y;
    for (var c = 0u; c < 3u; c++) {
        if params.misc.x == 1u {
            out[(c * height + y) * width + x] = value[c];
        } else {
            out[index * 3u + c] = value[c];
        }
    }
}

// The network's output (NHWC: 1 × h × w × channels, channels 1 or 2, in a_shape) into the mask
// texture: the first value in r, the second (two-class logits) in g.
@compute @workgroup_size(8, 8, 1)
fn write_mask(@builtin(global_invocation_id) id: vec3<u32>) {
    let height = params.a_shape.y;
    let width = params.a_shape.z;
    let channels = params.a_shape.w;
    if id.x >= width || id.y >= height {
        return;
    }
    let index = id.y * width + id.x;
    let first = a[index * channels];
    var second = 0.0;
    if channels > 1u {
        second = a[index * channels + 1u];
    }
    textureStore(mask, id.xy, vec4<f32>(first, second, 0.0, 1.0));
}
