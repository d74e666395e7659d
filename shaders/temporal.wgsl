// Temporal smoothing of the refined mask, run once per *new* mask (the time constant does not
// depend on inference speed). Where the frame changed since the last update, the new mask takes
// over (no trailing behind movement); where it is still, the history damps flicker:
//   motion = max |frame − frame at the last update| over RGB
//   alpha  = 1 − smoothing · (1 − clamp(motion · sensitivity, 0, 1))
//   out    = mix(history, refined, alpha)        (history < 0 marks "none yet": out = refined)
// Targets: 0 the smoothed mask (the next history), 1 a copy of the frame (the next "last frame").
//   frame_now: the frame, refined_mask: the refined mask, history_mask: the history,
//   frame_then: the frame at the last update

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::chain

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var frame_now: texture_2d<f32>;
@group(0) @binding(1) var refined_mask: texture_2d<f32>;
@group(0) @binding(2) var history_mask: texture_2d<f32>;
@group(0) @binding(3) var frame_then: texture_2d<f32>;

struct Outputs {
    @location(0) mask: vec4<f32>,
    @location(1) frame: vec4<f32>,
}

@fragment
fn fragment(in: FullscreenVertexOutput) -> Outputs {
    let pixel = vec2<i32>(in.position.xy);
    let frame = textureLoad(frame_now, pixel, 0);
    let refined = textureLoad(refined_mask, pixel, 0).r;
    let history = textureLoad(history_mask, pixel, 0).r;
    let last = textureLoad(frame_then, pixel, 0).rgb;
    var out = refined;
    if history >= 0.0 {
        let change = abs(frame.rgb - last);
        let motion = max(change.r, max(change.g, change.b));
        let alpha = 1.0 - chain.temporal_smoothing * (1.0 - clamp(motion * chain.temporal_sensitivity, 0.0, 1.0));
        out = mix(history, refined, alpha);
    }
    return Outputs(vec4<f32>(out, 0.0, 0.0, 1.0), frame);
}
