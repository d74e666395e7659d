// Mask decode: raw model output → person probability, at model resolution.
//   probability: as is; one logit: sigmoid; two-class logits (bg, person): softmax of the two,
//   which is sigmoid(person − bg) = 1 / (1 + exp(bg − person)).
// Which one is a pipeline specialisation (see chain.wgsl), one def per value of the Rust enum
// `OutputKind`: OUTPUT_PROBABILITY, OUTPUT_LOGITS, OUTPUT_TWO_CLASS_LOGITS.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var raw_mask: texture_2d<f32>;

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
    return vec4<f32>(person, 0.0, 0.0, 1.0);
}
