// Composite: m' = smoothstep(low, high, m) of the refined mask, out = mix(background, frame, m'),
// the background being the frame itself (none), the blurred frame, or a colour. Other views show
// a stage's output for inspection and tests.
//   tex_a: frame, tex_b: refined mask (frame size), tex_c: blurred background (half size), or the
//   decoded mask for the decoded-mask view.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{tex_a, tex_b, tex_c, linear_sampler, chain}

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let pixel = vec2<i32>(in.position.xy);
    let frame = textureLoad(tex_a, pixel, 0);
    let person = textureLoad(tex_b, pixel, 0).r;
    switch chain.view {
        case 1u: {
            let decoded = textureSampleLevel(tex_c, linear_sampler, in.uv, 0.0).r;
            return vec4<f32>(vec3<f32>(clamp(decoded, 0.0, 1.0)), 1.0);
        }
        case 2u: {
            return vec4<f32>(vec3<f32>(clamp(person, 0.0, 1.0)), 1.0);
        }
        case 3u: {
            return vec4<f32>(textureSampleLevel(tex_c, linear_sampler, in.uv, 0.0).rgb, 1.0);
        }
        default: {}
    }
    var background = frame.rgb;
    if chain.background == 1u {
        background = textureSampleLevel(tex_c, linear_sampler, in.uv, 0.0).rgb;
    } else if chain.background == 2u {
        background = chain.background_color.rgb;
    }
    let coverage = smoothstep(chain.coverage_low, chain.coverage_high, person);
    return vec4<f32>(mix(background, frame.rgb, coverage), frame.a);
}
