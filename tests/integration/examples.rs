//! The examples, as other Bevy apps would use the library: each runs unattended (built by
//! `cargo test`, which builds the examples) and is checked for what it promises to produce.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{gpu_lock, read_png};

/// An example's binary, beside this test binary's folder (`target/<profile>/examples/`).
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let profile = deps.parent().and_then(Path::parent).unwrap();
    let path = profile.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: `cargo test` builds the examples",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&Path]) -> Output {
    let _gpu = gpu_lock();
    let output = Command::new(example(name))
        .args(args)
        .env("BEVY_ASSET_ROOT", env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{stdout}");
    output
}

/// `your_own_app`: the plugins in an app of its own read the mask and save the chain's picture.
#[test]
fn your_own_app_reads_the_mask_and_saves_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let output = run("your_own_app", &[dir.path()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The sample portrait is a person: the mask finds one, neither nothing nor everything.
    let share: f64 = stdout
        .split("the person covers ")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no mask line in {stdout}"));
    assert!((10.0..90.0).contains(&share), "person share {share}%");
    let picture = read_png(&dir.path().join("your_own_app.png"));
    assert_eq!(
        picture.dimensions(),
        (512, 512),
        "the sample portrait's size"
    );
}

/// `headless_process`: a folder of three crops in, three pictures out, the colour behind the
/// person.
#[test]
fn headless_process_writes_one_picture_per_input() {
    let dir = tempfile::tempdir().unwrap();
    run("headless_process", &[dir.path()]);
    for k in 0..3 {
        let picture = read_png(&dir.path().join(format!("frames/frame_{k:05}.png")));
        assert_eq!(picture.dimensions(), (320, 240));
        // The top-left corner is background (sky behind the astronaut): the colour replaced it.
        let p = picture.get_pixel(2, 2).0;
        assert!(
            p[2] > 200 && p[0] < 80,
            "frame {k}: corner {p:?} is not the blue background"
        );
    }
    assert!(!dir.path().join("frames/frame_00003.png").exists());
}

/// `custom_stage`: a stage of one's own after the composite: the picture is the sample portrait
/// in sepia (the chain itself leaves it as it is).
#[test]
fn custom_stage_runs_after_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    run("custom_stage", &[dir.path()]);
    let picture = read_png(&dir.path().join("custom_stage.png"));
    let sample = image::load_from_memory(bevy_backdrop::capture::still::SAMPLE_PORTRAIT_JPEG)
        .unwrap()
        .into_rgba8();
    assert_eq!(picture.dimensions(), sample.dimensions());
    let mut worst = 0.0f32;
    for (out, src) in picture.pixels().zip(sample.pixels()) {
        let c = src.0.map(|v| v as f32 / 255.0);
        let sepia = [
            c[0] * 0.393 + c[1] * 0.769 + c[2] * 0.189,
            c[0] * 0.349 + c[1] * 0.686 + c[2] * 0.168,
            c[0] * 0.272 + c[1] * 0.534 + c[2] * 0.131,
        ];
        for (got, want) in out.0.iter().zip(sepia) {
            worst = worst.max((*got as f32 - want.min(1.0) * 255.0).abs());
        }
    }
    println!("custom_stage: max |picture − sepia(sample)| = {worst:.1}/255");
    assert!(
        worst <= 2.0,
        "the picture is not the sample in sepia: {worst}/255"
    );
}
