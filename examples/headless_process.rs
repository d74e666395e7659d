//! A folder in, a folder out, from code: the headless mode (`run_batch`) puts every image of a
//! folder through segmentation and the effects chain, in name order, one PNG per input — here
//! with a solid colour behind the person.
//!
//! ```text
//! cargo run --release --example headless_process -- IN_DIR OUT_DIR
//! cargo run --release --example headless_process -- OUT_DIR    # input: crops of the sample
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::color::Srgba;
use bevy_backdrop::batch::{BatchConfig, BatchOutput, run_batch};
use bevy_backdrop::capture::{SourceOptions, SourceSpec};
use bevy_backdrop::effects::{BackdropSettings, Background, CompositeSettings};
use bevy_backdrop::inference::InferenceSettings;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let (input, output) = match args.as_slice() {
        [input, output] => (input.clone(), output.clone()),
        [output] => (sample_crops(output), output.join("frames")),
        _ => {
            eprintln!("usage: headless_process [IN_DIR] OUT_DIR");
            return ExitCode::from(2);
        }
    };
    let effects = BackdropSettings {
        composite: CompositeSettings {
            background: Background::Color(Srgba::rgb_u8(0x1e, 0x90, 0xff)),
            ..Default::default()
        },
        ..Default::default()
    };
    let config = BatchConfig {
        source: SourceSpec::Sequence(input),
        options: SourceOptions::default(),
        mirror: false,
        // One pass through the folder.
        frames: None,
        output: BatchOutput::Frames(output),
        progress: false,
        log: false,
        inference: Some(InferenceSettings::default()),
        models_dir: None,
        write_mask: false,
        effects,
        split: None,
        preset: None,
        report_every: None,
    };
    match run_batch(config) {
        Ok(summary) => {
            println!("headless_process: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("headless_process: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Three 320×240 crops of the bundled sample portrait in `dir/input`.
fn sample_crops(dir: &Path) -> PathBuf {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).expect("the input folder can be made");
    let portrait = image::load_from_memory(bevy_backdrop::capture::still::SAMPLE_PORTRAIT_JPEG)
        .expect("the sample decodes")
        .into_rgba8();
    for k in 0..3u32 {
        image::imageops::crop_imm(&portrait, 60 + 30 * k, 80, 320, 240)
            .to_image()
            .save(input.join(format!("crop_{k}.png")))
            .expect("the crop is written");
    }
    input
}
