// The sRGB transfer function (IEC 61966-2-1), for passes that hold sRGB-encoded values and write
// an sRGB target, which encodes what it is handed: they hand it the decoded values; and for those
// that blend in linear light and write a target that keeps what it is handed.
#define_import_path bevy_backdrop::srgb

// sRGB-encoded → linear, without branches (a select per channel).
fn srgb_decoded(encoded: vec3<f32>) -> vec3<f32> {
    let low = encoded / 12.92;
    let high = pow((encoded + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, encoded <= vec3<f32>(0.04045));
}

// Linear → sRGB-encoded, without branches (a select per channel).
fn srgb_encoded(linear: vec3<f32>) -> vec3<f32> {
    let low = linear * 12.92;
    let high = 1.055 * pow(max(linear, vec3<f32>(0.0031308)), vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(high, low, linear <= vec3<f32>(0.0031308));
}
