//! The effects chain on the GPU against its CPU reference (`effects::reference_chain`): each
//! stage through the chain's inspection views, at 64×48, 641×479, 1×1 and 3840×2160, plus the
//! halo property of the mask-weighted blur.

use bevy::color::Srgba;
use bevy_backdrop::batch::BatchOutput;
use bevy_backdrop::capture::SourceSpec;
use bevy_backdrop::effects::reference::{Picture, Plane, centre};
use bevy_backdrop::effects::{
    BackdropSettings, Background, BlurSettings, ChainView, CompositeSettings, GuidedSettings,
    JointBilateralSettings, LightWrapSettings, RefineMethod, ShaderChoice, WrapMode, bilateral,
    blur, composite, guided, mask_decode, reference_chain,
};
use bevy_backdrop::inference::models::{InputRange, Layout, ModelInput};
use bevy_backdrop::inference::{ModelError, ModelInfo, OutputKind, SegmentationBackend};

use crate::common::{custom_model, headless_with, noise_image, read_png};

/// A "model" that always returns the same output.
struct FixedOutput(Vec<f32>);

impl SegmentationBackend for FixedOutput {
    fn backend_name(&self) -> &'static str {
        "fixed test output"
    }

    fn run(&mut self, _input: &[f32]) -> Result<Vec<f32>, ModelError> {
        Ok(self.0.clone())
    }
}

/// A raw model output: a soft blob (a head and shoulders, roughly), in the encoding `kind` asks for.
fn blob_output(width: u32, height: u32, kind: OutputKind) -> Vec<f32> {
    let mut out = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (centre(x, width) - 0.5, centre(y, height) - 0.55);
            let d = (u * u * 3.0 + v * v * 2.0).sqrt();
            let p = (1.0 / (1.0 + ((d - 0.3) * 25.0).exp())).clamp(1e-4, 1.0 - 1e-4);
            let logit = (p / (1.0 - p)).ln();
            match kind {
                OutputKind::Probability => out.push(p),
                OutputKind::Logits => out.push(logit),
                OutputKind::TwoClassLogits => out.extend([-logit / 2.0, logit / 2.0]),
            }
        }
    }
    out
}

/// A picture with edges and texture: the noise fixture, smoothed a little, with a bright disc
/// roughly where the blob is (so the bilateral guide has an edge to follow).
fn frame_image(width: u32, height: u32) -> image::RgbaImage {
    let noise = noise_image(width, height, 3);
    image::RgbaImage::from_fn(width, height, |x, y| {
        let (u, v) = (centre(x, width) - 0.5, centre(y, height) - 0.55);
        let inside = (u * u * 3.0 + v * v * 2.0).sqrt() < 0.3;
        let n = noise.get_pixel(x, y).0;
        if inside {
            image::Rgba([200 + n[0] / 8, 160 + n[1] / 8, 140 + n[2] / 8, 255])
        } else {
            image::Rgba([40 + n[0] / 3, 70 + n[1] / 4, 90 + n[2] / 5, 255])
        }
    })
}

/// The table row of a test "model" whose output has this size and kind.
fn fixed_model(mask_size: (u32, u32), kind: OutputKind) -> ModelInfo {
    ModelInfo {
        id: "fixed".into(),
        name: "fixed output".into(),
        file: "none".into(),
        input: ModelInput {
            width: mask_size.0,
            height: mask_size.1,
            layout: Layout::Nhwc,
            range: InputRange::ZeroToOne,
        },
        output: kind,
        licence: "test".into(),
        sha256: None,
    }
}

/// Renders one frame through the chain on the GPU with the given model output.
fn gpu_chain(
    frame: &image::RgbaImage,
    raw: &[f32],
    mask_size: (u32, u32),
    kind: OutputKind,
    settings: &BackdropSettings,
) -> image::RgbaImage {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("frame.png");
    frame.save(&input).unwrap();
    let info = fixed_model(mask_size, kind);
    let raw = raw.to_vec();
    let out = dir.path().join("out");
    let model = custom_model(info, move || Box::new(FixedOutput(raw.clone())));
    headless_with(
        SourceSpec::Image(input),
        Some(1),
        &out,
        Some(model),
        false,
        settings.clone(),
    );
    read_png(&BatchOutput::frame_path(&out, 0))
}

fn cpu_chain(
    frame: &image::RgbaImage,
    raw: &[f32],
    mask_size: (u32, u32),
    kind: OutputKind,
    settings: &BackdropSettings,
) -> image::RgbaImage {
    let picture = Picture::from_rgba8(frame.as_raw(), frame.width(), frame.height());
    let background = match &settings.composite.background {
        Background::Image(path) => {
            let bg = read_png(path);
            Some(Picture::from_rgba8(bg.as_raw(), bg.width(), bg.height()))
        }
        _ => None,
    };
    let out = reference_chain(
        &picture,
        background.as_ref(),
        raw,
        mask_size.0,
        mask_size.1,
        kind,
        settings,
    );
    image::RgbaImage::from_raw(frame.width(), frame.height(), out.to_rgba8()).unwrap()
}

/// Largest difference in levels (of 255), over RGB.
fn max_levels(a: &image::RgbaImage, b: &image::RgbaImage) -> u8 {
    crate::common::max_channel_difference(a, b)
}

fn check(
    size: (u32, u32),
    mask_size: (u32, u32),
    kind: OutputKind,
    settings: BackdropSettings,
    what: &str,
) {
    let frame = frame_image(size.0, size.1);
    let raw = blob_output(mask_size.0, mask_size.1, kind);
    let gpu = gpu_chain(&frame, &raw, mask_size, kind, &settings);
    let cpu = cpu_chain(&frame, &raw, mask_size, kind, &settings);
    assert_eq!(gpu.dimensions(), size);
    let diff = max_levels(&gpu, &cpu);
    if diff > 2 {
        let mut bad: Vec<(u32, u32, [u8; 4], [u8; 4])> = Vec::new();
        for (x, y, p) in gpu.enumerate_pixels() {
            let q = cpu.get_pixel(x, y);
            if (0..3).any(|c| p.0[c].abs_diff(q.0[c]) > 2) {
                bad.push((x, y, p.0, q.0));
            }
        }
        println!(
            "{what}: {} pixels differ by more than 2/255; the first (x, y, GPU, CPU): {:?}",
            bad.len(),
            &bad[..bad.len().min(12)]
        );
    }
    println!(
        "{what} at {}×{}: max |GPU − CPU| = {diff}/255",
        size.0, size.1
    );
    assert!(
        diff <= 2,
        "{what} at {size:?}: GPU and CPU differ by {diff}/255"
    );
}

fn view(view: ChainView) -> BackdropSettings {
    BackdropSettings {
        view,
        ..Default::default()
    }
}

const SIZES: [((u32, u32), (u32, u32)); 2] = [((64, 48), (32, 24)), ((641, 479), (256, 144))];

#[test]
fn mask_decode_matches_cpu_for_every_output_kind() {
    for (size, mask) in SIZES {
        for kind in [
            OutputKind::Probability,
            OutputKind::Logits,
            OutputKind::TwoClassLogits,
        ] {
            check(
                size,
                mask,
                kind,
                view(ChainView::DecodedMask),
                &format!("decode {kind:?}"),
            );
        }
    }
}

#[test]
fn bilateral_matches_cpu() {
    let cases = [
        ((1.0, 0.1), "bilateral"),
        ((0.0, 0.1), "bilinear (sigma space 0)"),
        ((1.0, 0.0), "bilateral, colour ignored (sigma colour 0)"),
    ];
    for (size, mask) in SIZES {
        for ((sigma_space, sigma_color), what) in cases {
            let settings = BackdropSettings {
                refine: RefineMethod::Bilateral,
                bilateral: JointBilateralSettings {
                    sigma_space,
                    sigma_color,
                },
                ..view(ChainView::RefinedMask)
            };
            check(size, mask, OutputKind::Logits, settings, what);
        }
    }
}

#[test]
fn guided_matches_cpu() {
    let cases = [
        (GuidedSettings::DEFAULT, "guided (defaults)"),
        (
            GuidedSettings {
                radius: 3,
                epsilon: 0.005,
            },
            "guided r=3, ε=0.005",
        ),
        (
            GuidedSettings {
                radius: 0,
                epsilon: 0.05,
            },
            "guided r=0 (each model pixel alone)",
        ),
    ];
    for (size, mask) in SIZES {
        for (guided, what) in cases {
            let settings = BackdropSettings {
                refine: RefineMethod::Guided,
                guided,
                ..view(ChainView::RefinedMask)
            };
            check(size, mask, OutputKind::Logits, settings, what);
        }
    }
}

#[test]
fn blur_matches_cpu() {
    // One level with a Gaussian, two, four, five (the widest the presets allow).
    for (size, mask) in SIZES {
        for radius in [6.0, 18.0, 120.0, 200.0] {
            let levels = blur::BlurPlan::for_radius(radius).unwrap().levels;
            let settings = BackdropSettings {
                blur: BlurSettings { radius },
                ..view(ChainView::BlurredBackground)
            };
            check(
                size,
                mask,
                OutputKind::Probability,
                settings,
                &format!("blur r={radius} ({levels} levels)"),
            );
        }
    }
}

/// Settings out of their range that reach the render side from code (presets, the command line
/// and the editor reject them before) are not drawn: the chain warns once and draws the defaults.
/// And the blur stays bounded whatever radius it is given: a radius of 100,000 px once asked for
/// 2.4 million pass pairs and no frame came.
#[test]
fn an_out_of_range_blur_radius_from_code_draws_the_defaults() {
    let absurd = BackdropSettings {
        blur: BlurSettings { radius: 100_000.0 },
        ..view(ChainView::BlurredBackground)
    };
    let why = absurd.validate().unwrap_err();
    assert_eq!(
        why,
        "blur_radius = 100000 is out of range: it must be in [0, 200]"
    );
    assert_eq!(
        blur::BlurPlan::for_radius(absurd.blur.radius),
        blur::BlurPlan::for_radius(blur::MAX_RADIUS)
    );
    let (size, mask_size, kind) = ((64, 48), (32, 24), OutputKind::Probability);
    let frame = frame_image(size.0, size.1);
    let raw = blob_output(mask_size.0, mask_size.1, kind);
    let gpu = gpu_chain(&frame, &raw, mask_size, kind, &absurd);
    let defaults = cpu_chain(&frame, &raw, mask_size, kind, &BackdropSettings::default());
    let diff = max_levels(&gpu, &defaults);
    println!("blur r=100000 drawn as the defaults: max |GPU − CPU| = {diff}/255");
    assert!(
        diff <= 2,
        "GPU and the defaults' CPU picture differ by {diff}/255"
    );
    // And the defaults are not what the asked-for view would have shown.
    let asked = cpu_chain(
        &frame,
        &raw,
        mask_size,
        kind,
        &view(ChainView::BlurredBackground),
    );
    assert!(max_levels(&gpu, &asked) > 2);
}

#[test]
fn composite_matches_cpu_for_every_background() {
    for (size, mask) in SIZES {
        for background in [
            Background::Blur,
            Background::Color(Srgba::hex("1e90ff").unwrap()),
            Background::None,
        ] {
            let settings = BackdropSettings {
                composite: CompositeSettings {
                    background: background.clone(),
                    ..Default::default()
                },
                ..Default::default()
            };
            check(
                size,
                mask,
                OutputKind::Probability,
                settings,
                &format!("composite {background:?}"),
            );
        }
    }
}

#[test]
fn neutral_settings_pass_the_frame_through() {
    let frame = frame_image(641, 479);
    let raw = blob_output(256, 144, OutputKind::Probability);
    let settings = BackdropSettings {
        composite: CompositeSettings {
            background: Background::None,
            ..Default::default()
        },
        ..Default::default()
    };
    let out = gpu_chain(&frame, &raw, (256, 144), OutputKind::Probability, &settings);
    assert!(max_levels(&frame, &out) <= 1);
}

#[test]
fn a_one_pixel_frame_works() {
    check(
        (1, 1),
        (4, 4),
        OutputKind::Probability,
        BackdropSettings::default(),
        "composite blur 1×1",
    );
    for &refine in <RefineMethod as ShaderChoice>::ALL {
        check(
            (1, 1),
            (4, 4),
            OutputKind::Logits,
            BackdropSettings {
                refine,
                ..view(ChainView::RefinedMask)
            },
            &format!("{} 1×1", refine.name()),
        );
    }
}

#[test]
fn a_4k_frame_matches_cpu_at_random_pixels() {
    for &refine in <RefineMethod as ShaderChoice>::ALL {
        a_4k_frame_matches_cpu(refine);
    }
}

fn a_4k_frame_matches_cpu(refine: RefineMethod) {
    let (w, h) = (3840, 2160);
    let frame = frame_image(w, h);
    let raw = blob_output(256, 144, OutputKind::Probability);
    let settings = BackdropSettings {
        refine,
        composite: CompositeSettings {
            background: Background::Color(Srgba::hex("30a050").unwrap()),
            ..Default::default()
        },
        ..Default::default()
    };
    let gpu = gpu_chain(&frame, &raw, (256, 144), OutputKind::Probability, &settings);
    assert_eq!(gpu.dimensions(), (w, h));
    let picture = Picture::from_rgba8(frame.as_raw(), w, h);
    let decoded = mask_decode::reference(&raw, 256, 144, OutputKind::Probability);
    let coefficients =
        guided::coefficients(&mask_decode::guide(&picture, &decoded), &settings.guided);
    // A fixed-seed walk over the frame, then the middle row, across the blob's edge where all
    // the work is (a random walk alone may miss the thin soft band at 4K).
    let mut state = 0x2545_f491_u32;
    let walk = (0..1000).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % w, (state / w) % h)
    });
    let row = (0..w).map(|x| (x, h / 2));
    let mut worst = 0.0f32;
    let mut mixed = 0;
    for (x, y) in walk.collect::<Vec<_>>().into_iter().chain(row) {
        let refined = match refine {
            RefineMethod::Bilateral => {
                bilateral::reference_at(&picture, &decoded, &settings.bilateral, x, y)
            }
            RefineMethod::Guided => {
                guided::apply(&coefficients, picture.at(x, y), centre(x, w), centre(y, h))
            }
        };
        let one = Plane::new(1, 1, vec![refined]);
        let single = Picture {
            width: 1,
            height: 1,
            data: vec![picture.at(x, y)],
        };
        let expected =
            composite::reference_at(&single, &one, None, None, &settings.composite, 0, 0);
        mixed += usize::from((0.05..0.95).contains(&refined));
        let got = gpu.get_pixel(x, y).0;
        for c in 0..3 {
            worst = worst.max((expected[c] * 255.0 - got[c] as f32).abs());
        }
    }
    let method = refine.name();
    println!(
        "4K, {method}: max |GPU − CPU| over 1000 + {w} pixels = {worst:.2} levels ({mixed} on the soft edge)"
    );
    assert!(
        worst <= 2.5,
        "4K, {method}: pixels differ by {worst} levels"
    );
    assert!(
        mixed >= 20,
        "only {mixed} compared pixels lie on the soft edge: the edge was not tested"
    );
}

#[test]
fn image_background_with_light_wrap_matches_cpu_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    // Another aspect than the frames': cover-crop has to scale and crop.
    let picture = dir.path().join("background.png");
    noise_image(100, 37, 9).save(&picture).unwrap();
    for (size, mask) in SIZES {
        for mode in [WrapMode::Screen, WrapMode::LinearDodge] {
            let settings = BackdropSettings {
                composite: CompositeSettings {
                    background: Background::Image(picture.clone()),
                    light_wrap: LightWrapSettings {
                        strength: 0.6,
                        mode,
                    },
                    ..Default::default()
                },
                ..Default::default()
            };
            check(
                size,
                mask,
                OutputKind::Probability,
                settings,
                &format!("image background, wrap {mode:?}"),
            );
        }
    }
}

#[test]
fn a_background_of_another_aspect_is_cover_cropped_without_stretch() {
    let dir = tempfile::tempdir().unwrap();
    // 200×100 of vertical stripes, 10 px period, on a 100×100 frame: scale 1 (the height fits),
    // 50 px cropped each side.
    let picture = dir.path().join("stripes.png");
    let stripes = image::RgbaImage::from_fn(200, 100, |x, y| {
        let v = if (x / 5) % 2 == 0 { 230 } else { 30 };
        image::Rgba([v, (y * 2) as u8, (x / 2) as u8, 255])
    });
    stripes.save(&picture).unwrap();
    let settings = BackdropSettings {
        composite: CompositeSettings {
            background: Background::Image(picture),
            light_wrap: LightWrapSettings {
                strength: 0.0,
                mode: WrapMode::Screen,
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let frame = frame_image(100, 100);
    let nobody = vec![0.0; 32 * 32];
    let out = gpu_chain(
        &frame,
        &nobody,
        (32, 32),
        OutputKind::Probability,
        &settings,
    );
    for (x, y) in [(50, 50), (0, 0), (99, 99), (37, 12)] {
        let expected = stripes.get_pixel(x + 50, y).0;
        let got = out.get_pixel(x, y).0;
        for c in 0..3 {
            assert!(
                expected[c].abs_diff(got[c]) <= 2,
                "({x},{y}): {got:?} vs picture {expected:?}"
            );
        }
    }
}

#[test]
fn a_video_background_advances_and_loops() {
    use bevy_backdrop::capture::video::VideoWriter;
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("colours.mp4");
    let colours = [[220u8, 30, 30], [30, 200, 40], [40, 60, 220]];
    let mut writer = VideoWriter::create(&video, 48, 32, 10.0).unwrap();
    for c in colours {
        writer
            .write(&[c[0], c[1], c[2], 255].repeat(48 * 32))
            .unwrap();
    }
    writer.finish().unwrap();

    let frames_dir = dir.path().join("frames");
    std::fs::create_dir(&frames_dir).unwrap();
    for k in 0..7 {
        frame_image(64, 48)
            .save(frames_dir.join(format!("f{k}.png")))
            .unwrap();
    }
    let settings = BackdropSettings {
        composite: CompositeSettings {
            background: Background::Video(video),
            light_wrap: LightWrapSettings {
                strength: 0.0,
                mode: WrapMode::Screen,
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let out = dir.path().join("out");
    let model = custom_model(fixed_model((8, 8), OutputKind::Probability), || {
        Box::new(FixedOutput(vec![0.0; 64]))
    });
    headless_with(
        SourceSpec::Sequence(frames_dir),
        None,
        &out,
        Some(model),
        false,
        settings,
    );
    for k in 0..7u64 {
        let got = read_png(&BatchOutput::frame_path(&out, k))
            .get_pixel(32, 24)
            .0;
        let want = colours[(k % 3) as usize];
        let off = (0..3).map(|c| got[c].abs_diff(want[c])).max().unwrap();
        assert!(
            off <= 12,
            "frame {k} shows {got:?}, the video's frame {} is {want:?}",
            k % 3
        );
    }
}

/// Halo: near the person, a plain blur mixes the person into the background; the mask-weighted
/// blur must stay close to the truth (the same blur of a frame with no person): mean error in the
/// band from 2 px to the radius outside the person at most this (about 6 levels of 255).
const HALO_LIMIT: f64 = 0.025;

#[test]
fn the_weighted_blur_leaves_no_halo() {
    let (w, h) = (160u32, 64u32);
    let radius = 18.0;
    let edge = 60.0; // person left of x = 60, a 6-px soft ramp
    let mask_at = |x: u32| ((edge + 3.0 - (x as f32 + 0.5)) / 6.0).clamp(0.0, 1.0);
    let background = |x: u32, y: u32| {
        [
            0.2 + 0.3 * (x as f32 / w as f32),
            0.3 + 0.2 * ((y as f32) / 9.0).sin().abs(),
            0.4,
        ]
    };
    let person = [0.95, 0.85, 0.8];
    let mut with_person = Vec::new();
    let mut mask = Vec::new();
    let mut truth_frame = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let m = mask_at(x);
            let b = background(x, y);
            with_person.push([0, 1, 2].map(|c| b[c] + (person[c] - b[c]) * m));
            truth_frame.push(b);
            mask.push(m);
        }
    }
    let frame = Picture {
        width: w,
        height: h,
        data: with_person,
    };
    let clean = Picture {
        width: w,
        height: h,
        data: truth_frame,
    };
    let mask = Plane::new(w, h, mask);
    let no_mask = Plane::new(w, h, vec![0.0; (w * h) as usize]);
    let plan = blur::BlurPlan::for_radius(radius).unwrap();
    let blurred = |picture: &Picture, mask: &Plane| {
        blur::background(
            &blur::reference(picture, &blur::MaskSource::Refined(mask), &plan),
            picture,
        )
    };
    let weighted = blurred(&frame, &mask);
    let plain = blurred(&frame, &no_mask);
    let truth = blurred(&clean, &no_mask);
    // The band from 2 px to R outside the 0.5 contour, at full resolution.
    let (mut weighted_error, mut plain_error, mut n) = (0.0f64, 0.0f64, 0);
    for y in 0..h {
        for x in 0..w {
            let outside = x as f32 + 0.5 - edge;
            if !(2.0..=radius).contains(&outside) {
                continue;
            }
            let (t, a, b) = (truth.at(x, y), weighted.at(x, y), plain.at(x, y));
            for c in 0..3 {
                weighted_error += (a[c] - t[c]).abs() as f64;
                plain_error += (b[c] - t[c]).abs() as f64;
            }
            n += 3;
        }
    }
    let (weighted_error, plain_error) = (weighted_error / n as f64, plain_error / n as f64);
    println!(
        "halo band: weighted blur mean error {weighted_error:.4}, unweighted {plain_error:.4} (limit {HALO_LIMIT})"
    );
    assert!(
        weighted_error <= HALO_LIMIT,
        "the weighted blur leaves a halo: {weighted_error}"
    );
    // The negative control: the same blur without the weighting fails the same test.
    assert!(
        plain_error > HALO_LIMIT,
        "an unweighted blur passes too ({plain_error}): the test cannot tell"
    );
}
