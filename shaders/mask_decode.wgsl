// Mask decode: raw model output → person probability, at model resolution.
//   probability: as is; one logit: sigmoid; two-class logits (bg, person): softmax of the two,
//   which is sigmoid(person − bg) = 1 / (1 + exp(bg − person)).
// OUTPUT_KIND (a pipeline specialisation, see chain.wgsl): 0 probability, 1 logit, 2 two logits.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::tex_a

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let raw = textureLoad(tex_a, vec2<i32>(in.position.xy), 0);
#if OUTPUT_KIND == 1
    let person = 1.0 / (1.0 + exp(-raw.r));
#else if OUTPUT_KIND == 2
    let person = 1.0 / (1.0 + exp(raw.r - raw.g));
#else
    let person = raw.r;
#endif
    return vec4<f32>(person, 0.0, 0.0, 1.0);
}
