// Mask decode: raw model output → person probability, at model resolution.
//   probability: as is; one logit: sigmoid; two-class logits (bg, person): softmax of the two,
//   which is sigmoid(person − bg) = 1 / (1 + exp(bg − person)).
// Which one is a pipeline specialisation (see chain.wgsl), one def per value of the Rust enum
// `OutputKind`: OUTPUT_PROBABILITY, OUTPUT_LOGITS, OUTPUT_TWO_CLASS_LOGITS.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::tex_a

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let raw = textureLoad(tex_a, vec2<i32>(in.position.xy), 0);
#ifdef OUTPUT_LOGITS
    let person = 1.0 / (1.0 + exp(-raw.r));
#else ifdef OUTPUT_TWO_CLASS_LOGITS
    let person = 1.0 / (1.0 + exp(raw.r - raw.g));
#else ifdef OUTPUT_PROBABILITY
    let person = raw.r;
#endif
    return vec4<f32>(person, 0.0, 0.0, 1.0);
}
