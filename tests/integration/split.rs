//! The A/B split view: left of the divider is chain A rendered alone, right of it chain B
//! rendered alone.

use std::path::Path;

use bevy::color::Srgba;
use bevy_backdrop::batch::{BatchConfig, BatchOutput, run_batch};
use bevy_backdrop::capture::{SourceOptions, SourceSpec};
use bevy_backdrop::effects::split::SplitView;
use bevy_backdrop::effects::{
    BackdropSettings, Background, BlurSettings, CompositeSettings, LightWrapSettings,
    TemporalSettings,
};
use bevy_backdrop::inference::{BackendChoice, InferenceSettings};

use crate::common::{gpu_lock, read_png};

fn render(dir: &Path, effects: BackdropSettings, split: Option<SplitView>) -> image::RgbaImage {
    let _gpu = gpu_lock();
    run_batch(BatchConfig {
        source: SourceSpec::Sample,
        options: SourceOptions::default(),
        mirror: false,
        frames: Some(1),
        output: BatchOutput::Frames(dir.to_owned()),
        progress: false,
        log: false,
        inference: Some(InferenceSettings {
            backend: BackendChoice::Tract,
            ..Default::default()
        }),
        write_mask: false,
        effects,
        models_dir: None,
        preset: None,
        report_every: None,
        split,
    })
    .expect("headless run succeeds");
    read_png(&dir.join("frame_00000.png"))
}

#[test]
fn each_half_equals_its_chain_alone() {
    let temporary = tempfile::tempdir().unwrap();
    // SPLIT_TEST_DIR keeps the three renders for a look.
    let root = std::env::var_os("SPLIT_TEST_DIR").map_or(temporary.path().to_owned(), Into::into);
    let a = BackdropSettings {
        blur: BlurSettings { radius: 24.0 },
        ..Default::default()
    };
    let b = BackdropSettings {
        composite: CompositeSettings {
            background: Background::Color(Srgba::rgb_u8(200, 30, 40)),
            light_wrap: LightWrapSettings {
                strength: 0.5,
                ..Default::default()
            },
            ..Default::default()
        },
        temporal: TemporalSettings::OFF,
        ..Default::default()
    };
    let alone_a = render(&root.join("a"), a.clone(), None);
    let alone_b = render(&root.join("b"), b.clone(), None);
    let split = SplitView {
        enabled: true,
        divider: 0.37,
        b,
        ..Default::default()
    };
    let column = split.divider_column(alone_a.width());
    let both = render(&root.join("split"), a, Some(split));
    assert_eq!(both.dimensions(), alone_a.dimensions());

    // The chains differ where it matters (else the test proves nothing).
    let differing = alone_a
        .pixels()
        .zip(alone_b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0).any(|(x, y)| x.abs_diff(y) > 8))
        .count();
    assert!(
        differing * 4 > alone_a.pixels().count(),
        "A and B look alike: {differing} pixels differ"
    );

    let (mut worst_a, mut worst_b) = (0u8, 0u8);
    let (mut divider_pixels, mut divider_white) = (0, 0);
    for (x, y, pixel) in both.enumerate_pixels() {
        let reference = if x + 2 < column {
            alone_a.get_pixel(x, y)
        } else if x >= column + 2 {
            alone_b.get_pixel(x, y)
        } else {
            // The divider line (and one pixel either side) is neither chain.
            divider_pixels += 1;
            divider_white += usize::from(pixel.0[..3] == [255, 255, 255]);
            continue;
        };
        let diff = pixel
            .0
            .iter()
            .zip(reference.0)
            .map(|(p, r)| p.abs_diff(r))
            .max()
            .unwrap();
        if x < column {
            worst_a = worst_a.max(diff);
        } else {
            worst_b = worst_b.max(diff);
        }
    }
    println!("split at column {column}: max |split − A| {worst_a}/255, |split − B| {worst_b}/255");
    assert!(worst_a <= 1 && worst_b <= 1, "A {worst_a}, B {worst_b}");
    // The divider is drawn: a two-pixel white line.
    assert_eq!(
        divider_white,
        2 * both.height() as usize,
        "of {divider_pixels}"
    );
}
