// Joint bilateral upsample: the decoded mask (the guide's alpha, model resolution) to frame resolution, guided
// by the frame's colours (frame). The reference demo's tap pattern: s = sigmaSpace · max(W/w, H/h)
// output pixels, step max(1, 0.66·√s), offsets from −s + o to s (o = step/2 when step > 1). Unlike
// the demo, distances are measured in output pixels (σ = s), so the kernel stays round on
// non-square frames.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{linear_sampler, chain, bilateral_gauss}

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var frame: texture_2d<f32>;
// guide: rgb the frame over each model pixel (unused here), a the decoded mask.
@group(0) @binding(1) var guide: texture_2d<f32>;

// 1/1024: a quarter of an 8-bit step (bilateral::UNIFORM_EPSILON on the CPU side).
const UNIFORM_EPSILON: f32 = 0.0009765625;

// g(Δrgb, σcolour), or 1 when σcolour is 0 (colour ignored). A select, not a branch: no control
// flow may depend on uniform values alone (see chain.wgsl).
fn colour_weight(distance: f32) -> f32 {
    let sigma = chain.sigma_color;
    return select(1.0, bilateral_gauss(distance, sigma), sigma > 0.0);
}

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let frame_size = vec2<f32>(textureDimensions(frame));
    let mask_size = vec2<f32>(textureDimensions(guide));
    let plain = textureSampleLevel(guide, linear_sampler, in.uv, 0.0).a;
    let s = chain.sigma_space * max(frame_size.x / mask_size.x, frame_size.y / mask_size.y);
    if s <= 0.0 {
        return vec4<f32>(plain, 0.0, 0.0, 1.0);
    }
    // Where the mask is flat over the whole footprint (every model texel the taps can reach within
    // UNIFORM_EPSILON of the others), any weighted mean of it equals the plain sample to within
    // that epsilon: skip the taps. Most of a frame is flat, so this is most of the saving.
    let reach = s / frame_size * mask_size;
    let low = clamp(vec2<i32>(floor(in.uv * mask_size - 0.5 - reach)), vec2<i32>(0), vec2<i32>(mask_size) - 1);
    let high = clamp(vec2<i32>(floor(in.uv * mask_size - 0.5 + reach)) + 1, vec2<i32>(0), vec2<i32>(mask_size) - 1);
    var lowest = 1e9;
    var highest = -1e9;
    for (var ty = low.y; ty <= high.y; ty++) {
        for (var tx = low.x; tx <= high.x; tx++) {
            let value = textureLoad(guide, vec2<i32>(tx, ty), 0).a;
            lowest = min(lowest, value);
            highest = max(highest, value);
        }
    }
    if highest - lowest <= UNIFORM_EPSILON {
        return vec4<f32>(plain, 0.0, 0.0, 1.0);
    }
    let step = max(1.0, 0.66 * sqrt(s));
    let start = -s + select(0.0, step * 0.5, step > 1.0);
    let centre = textureSampleLevel(frame, linear_sampler, in.uv, 0.0).rgb;
    var weight_sum = 0.0;
    var sum = 0.0;
    for (var dy = start; dy <= s; dy += step) {
        for (var dx = start; dx <= s; dx += step) {
            let offset = vec2<f32>(dx, dy);
            let uv = in.uv + offset / frame_size;
            let colour = textureSampleLevel(frame, linear_sampler, uv, 0.0).rgb;
            let person = textureSampleLevel(guide, linear_sampler, uv, 0.0).a;
            let w = bilateral_gauss(length(offset), s) * colour_weight(length(colour - centre));
            weight_sum += w;
            sum += w * person;
        }
    }
    var refined = plain;
    if weight_sum > 0.0 {
        refined = sum / weight_sum;
    }
    return vec4<f32>(refined, 0.0, 0.0, 1.0);
}
