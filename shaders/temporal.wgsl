// Temporal smoothing of the decoded mask at model resolution, run once per *new* mask (the time
// constant does not depend on inference speed). Where the frame changed since the last update,
// the new mask takes over (no trailing behind movement); where it is still, the history damps
// flicker:
//   motion = max |colour − colour at the last update| over RGB  (the frame over each model pixel)
//   alpha  = 1 − smoothing · (1 − clamp(motion · sensitivity, 0, 1))
//   out    = mix(history, mask, alpha)        (history < 0 marks "none yet": out = mask)
// guide and history are both (colour, mask) at model resolution; the output is the next history
// (this update's colour, the smoothed mask), which the refine then reads in place of the guide.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::chain

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var guide: texture_2d<f32>;
@group(0) @binding(1) var history: texture_2d<f32>;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let pixel = vec2<i32>(in.position.xy);
    let now = textureLoad(guide, pixel, 0);
    let then = textureLoad(history, pixel, 0);
    var out = now.a;
    if then.a >= 0.0 {
        let change = abs(now.rgb - then.rgb);
        let motion = max(change.r, max(change.g, change.b));
        let alpha = 1.0 - chain.temporal_smoothing * (1.0 - clamp(motion * chain.temporal_sensitivity, 0.0, 1.0));
        out = mix(then.a, now.a, alpha);
    }
    return vec4<f32>(now.rgb, out);
}
