// The sRGB transfer function (IEC 61966-2-1), for passes that hold sRGB-encoded values and write
// an sRGB target, which encodes what it is handed: they hand it the decoded values.
#define_import_path bevy_backdrop::srgb

// sRGB-encoded → linear, without branches (a select per channel).
fn srgb_decoded(encoded: vec3<f32>) -> vec3<f32> {
    let low = encoded / 12.92;
    let high = pow((encoded + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, encoded <= vec3<f32>(0.04045));
}
