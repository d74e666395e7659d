// Mask decode: raw model output → person probability, at model resolution, beside the frame's
// colour over the same model pixel (the guide the model-resolution stages read).
//   probability: as is; one logit: sigmoid; two-class logits (bg, person): softmax of the two,
//   which is sigmoid(person − bg) = 1 / (1 + exp(bg − person)).
// Which one is a pipeline specialisation (see chain.wgsl), one def per value of the Rust enum
// `OutputKind`: OUTPUT_PROBABILITY, OUTPUT_LOGITS, OUTPUT_TWO_CLASS_LOGITS.
// Output (Rgba16Float, model resolution): rgb = the frame averaged over the model pixel (four
// bilinear samples a quarter pixel from its centre), a = the person probability.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::linear_sampler

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var raw_mask: texture_2d<f32>;
@group(0) @binding(1) var frame: texture_2d<f32>;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let raw = textureLoad(raw_mask, vec2<i32>(in.position.xy), 0);
#ifdef OUTPUT_LOGITS
    let person = 1.0 / (1.0 + exp(-raw.r));
#else ifdef OUTPUT_TWO_CLASS_LOGITS
    let person = 1.0 / (1.0 + exp(raw.r - raw.g));
#else ifdef OUTPUT_PROBABILITY
    let person = raw.r;
#endif
    let quarter = 0.25 / vec2<f32>(textureDimensions(raw_mask));
    var colour = vec3<f32>(0.0);
    colour += textureSampleLevel(frame, linear_sampler, in.uv + vec2<f32>(-quarter.x, -quarter.y), 0.0).rgb;
    colour += textureSampleLevel(frame, linear_sampler, in.uv + vec2<f32>(quarter.x, -quarter.y), 0.0).rgb;
    colour += textureSampleLevel(frame, linear_sampler, in.uv + vec2<f32>(-quarter.x, quarter.y), 0.0).rgb;
    colour += textureSampleLevel(frame, linear_sampler, in.uv + vec2<f32>(quarter.x, quarter.y), 0.0).rgb;
    return vec4<f32>(colour * 0.25, person);
}
