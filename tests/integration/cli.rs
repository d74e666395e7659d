//! The `backdrop` command line: misuse exits non-zero with clap's usage, and headless errors
//! name the file.

use std::process::{Command, Output};

use crate::common::gpu_lock;

fn backdrop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backdrop"))
        .args(args)
        .output()
        .expect("backdrop runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn misuse_exits_non_zero_with_usage() {
    for args in [
        &["--frames", "3"][..],
        &["--headless"],
        &["--output", "x"],
        &["--no-such-flag"],
        &["--source", "synthetic:12"],
        &["--camera-mode", "1280x720"],
        &["--screenshot", "x.png"],
    ] {
        let output = backdrop(args);
        assert!(!output.status.success(), "{args:?} was accepted");
        let text = stderr(&output);
        // clap prints the usage line, or for a bad value the error and where help is.
        assert!(
            text.contains("Usage: backdrop") || text.contains("try '--help'"),
            "{args:?}: no usage in {text}"
        );
    }
}

#[test]
fn headless_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let missing = dir.path().join("nowhere.png");

    let output = backdrop(&[
        "--headless",
        "--source",
        missing.to_str().unwrap(),
        "--output",
        out,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("nowhere.png: file not found"),
        "{}",
        stderr(&output)
    );

    let output = backdrop(&["--headless", "--source", "synthetic:64x48", "--output", out]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--frames"), "{}", stderr(&output));

    // A broken preset stops a headless run before any frame, naming file, line and column.
    let preset = dir.path().join("bad.preset.ron");
    std::fs::write(
        &preset,
        "(\n    blur_radius: 18.0,\n    coverage: (0.8, 0.2),\n)\n",
    )
    .unwrap();
    let output = backdrop(&[
        "--headless",
        "--source",
        "sample",
        "--output",
        out,
        "--preset",
        preset.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let expected = format!("{}:3:", preset.display());
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("low must be below high"),
        "{}",
        stderr(&output)
    );
    // The same for the split view's preset.
    let output = backdrop(&[
        "--headless",
        "--source",
        "sample",
        "--output",
        out,
        "--split",
        preset.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("--split {}:3:", preset.display())),
        "{}",
        stderr(&output)
    );
}

#[test]
fn headless_applies_a_preset_from_the_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frames");
    // Anywhere on disk, overriding the flags: the synthetic pattern has no person, so every
    // pixel is the preset's colour (not the --background flag's blue).
    let preset = dir.path().join("red.preset.ron");
    std::fs::write(
        &preset,
        "(background: Color(\"#ff0000\"), light_wrap: (strength: 0.0))",
    )
    .unwrap();
    let output = {
        let _gpu = gpu_lock();
        backdrop(&[
            "--headless",
            "--source",
            "synthetic:64x48",
            "--frames",
            "1",
            "--background",
            "color:0000ff",
            "--backend",
            "tract",
            "--output",
            out.to_str().unwrap(),
            "--preset",
            preset.to_str().unwrap(),
        ])
    };
    assert!(output.status.success(), "{}", stderr(&output));
    let frame = crate::common::read_png(&out.join("frame_00000.png"));
    let red = frame.pixels().filter(|p| p.0[..3] == [255, 0, 0]).count();
    assert!(
        red * 10 >= frame.pixels().count() * 9,
        "{red} of {} pixels red",
        frame.pixels().count()
    );
}

#[test]
fn headless_run_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frames");
    let output = {
        let _gpu = gpu_lock();
        backdrop(&[
            "--headless",
            "--source",
            "synthetic:64x48",
            "--frames",
            "3",
            "--output",
            out.to_str().unwrap(),
        ])
    };
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("3 frames of 64×48"), "{stdout}");
    assert!(stdout.contains("fps"), "{stdout}");
    for k in 0..3 {
        assert!(out.join(format!("frame_{k:05}.png")).exists());
    }
}

/// `--print-preset` writes what the flags make as a preset that loads back to the same settings,
/// and refuses flags a preset cannot hold.
#[test]
fn print_preset_writes_the_flags_as_a_preset() {
    use bevy_backdrop::effects::{Background, RefineMethod};
    use bevy_backdrop::preset::Preset;
    // Without the flag, the guided refine.
    let output = backdrop(&["--print-preset"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("refine: Guided"), "{text}");
    let output = backdrop(&[
        "--print-preset",
        "--blur-radius",
        "40",
        "--background",
        "color:00ff00",
        "--temporal",
        "0.5",
        "--model",
        "general",
        "--refine",
        "bilateral",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let preset = Preset::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(preset.model, "general");
    assert_eq!(preset.refine, RefineMethod::Bilateral);
    assert_eq!(preset.blur_radius, 40.0);
    assert_eq!(preset.temporal.smoothing, 0.5);
    let settings = preset.effects(&Default::default(), None);
    assert_eq!(
        settings.composite.background,
        "color:00ff00".parse::<Background>().unwrap()
    );

    let output = backdrop(&["--print-preset", "--blur-radius", "5000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("out of range"),
        "{}",
        stderr(&output)
    );
}

/// The command line, presets and the editor share one range per setting: an out-of-range flag is
/// refused before anything starts, with the message a preset holding that value gets.
#[test]
fn flags_out_of_range_are_refused_with_the_presets_message() {
    use bevy_backdrop::preset::Preset;
    for (flag, value, preset) in [
        ("--blur-radius", "5000", "(blur_radius: 5000)"),
        ("--threads", "0", "(threads: 0)"),
        ("--temporal", "1", "(temporal: (smoothing: 1))"),
        ("--light-wrap", "1.5", "(light_wrap: (strength: 1.5))"),
    ] {
        let expected = Preset::parse(preset.as_bytes()).unwrap_err().message;
        // A run that would otherwise start (and with some of these values even succeed).
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let run = [
            "--headless",
            "--source",
            "synthetic:16x16",
            "--frames",
            "1",
            "--model",
            "none",
            "--output",
            out,
            flag,
            value,
        ];
        let output = backdrop(&run);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        assert!(
            stderr(&output).contains(&expected),
            "{flag} {value}: {} lacks the preset's {expected:?}",
            stderr(&output)
        );
        assert!(
            std::fs::read_dir(out).unwrap().next().is_none(),
            "{flag} {value}: it ran"
        );
    }
    // In range, every spelling of the wrap blend the README gives (the old `dodge` too).
    for (value, mode) in [
        ("screen", "Screen"),
        ("linear-dodge", "LinearDodge"),
        ("dodge", "LinearDodge"),
    ] {
        let output = backdrop(&["--print-preset", "--wrap-mode", value]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(&format!("mode: {mode}")), "{value}: {text}");
    }
}

/// Without `--source` the headless mode plays what the README says: camera 0, or the sample
/// portrait when there is none (this machine has no camera), saying why.
#[test]
fn headless_without_a_source_plays_the_sample_when_there_is_no_camera() {
    if !bevy_backdrop::capture::camera::list_cameras().is_ok_and(|c| c.is_empty()) {
        panic!("this test expects a machine without cameras (CI's has none)");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = backdrop(&["--headless", "--model", "none", "--output", out]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("using the sample portrait instead"),
        "{}",
        stderr(&output)
    );
    let frame = crate::common::read_png(&dir.path().join("frame_00000.png"));
    assert_eq!(frame.dimensions(), (512, 512), "the sample portrait's size");
}
