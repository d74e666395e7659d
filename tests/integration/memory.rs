//! Memory stays flat while the picture keeps coming: the `backdrop` binary runs as a child process
//! with every stage on, and the test reads the child's resident memory (VmRSS, from /proc) after a
//! warm-up and at the end. A chain that makes the driver build state every frame and keeps it
//! grew by ~0.67 MB a frame (400 MB over these runs); the bound is 30 MB.
//!
//! The child prints `--report-every` lines; the test uses them only to know which frame the child
//! is at. The memory figures are the kernel's, not the app's.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::common::gpu_lock;

/// Frames before the first reading: pipelines compiled, models loaded, caches warm.
const WARM_UP: u64 = 100;
/// Frame of the last reading.
const END: u64 = 600;
/// Allowed growth of resident memory between the two readings.
const BOUND_MB: f64 = 30.0;
/// The child prints a line this often.
const REPORT_EVERY: u64 = 25;
/// Longest wait for the next report line before the run counts as hung.
const LINE_TIMEOUT: Duration = Duration::from_secs(120);

fn vm_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("backdrop ({pid}) is gone before its reading: {e}"));
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc status");
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024.0 / 1e6
}

/// The frame number of a `--report-every` line.
fn reported_frame(line: &str) -> Option<u64> {
    line.strip_prefix("backdrop: frame ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// A child that is killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` with its stdout read line by line on a thread.
fn spawn(mut command: Command) -> (Running, Receiver<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backdrop starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (Running(child), rx)
}

/// Runs `command` (which must print `--report-every` lines) until frame [`END`], calling
/// `at_frame` on each report; returns resident MB at [`WARM_UP`] and at [`END`].
fn soak(command: Command, mut at_frame: impl FnMut(u64)) -> (f64, f64) {
    let (mut child, lines) = spawn(command);
    let pid = child.0.id();
    let mut readings = (None, None);
    while readings.1.is_none() {
        let line = match lines.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("no report line for {LINE_TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.0.wait().unwrap();
                let mut stderr = String::new();
                std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr)
                    .unwrap();
                panic!("backdrop ended ({status}) before frame {END}:\n{stderr}");
            }
        };
        let Some(frame) = reported_frame(&line) else {
            continue;
        };
        if frame == WARM_UP {
            readings.0 = Some(vm_rss_mb(pid));
        }
        if frame == END {
            readings.1 = Some(vm_rss_mb(pid));
        }
        println!("{line}  (VmRSS {:.1} MB)", vm_rss_mb(pid));
        at_frame(frame);
    }
    drop(child);
    (readings.0.expect("a warm-up reading"), readings.1.unwrap())
}

fn assert_flat(what: &str, (warm, end): (f64, f64)) {
    let growth = end - warm;
    println!(
        "{what}: {warm:.1} MB at frame {WARM_UP}, {end:.1} MB at frame {END}: {growth:+.1} MB"
    );
    assert!(
        growth < BOUND_MB,
        "{what}: resident memory grew by {growth:.1} MB from frame {WARM_UP} to {END} \
         ({warm:.1} → {end:.1} MB; the bound is {BOUND_MB} MB)"
    );
}

fn backdrop() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backdrop"));
    command.env("RUST_LOG", "warn");
    command
}

fn shipped(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every stage on: chain A replaces the background with a picture (light wrap, temporal
/// smoothing), chain B (the split view) blurs with the shipped default preset.
fn every_stage(command: &mut Command) {
    let picture = shipped("assets/backgrounds/hubble_deep_field.jpg");
    assert!(picture.exists(), "{} is missing", picture.display());
    command
        .arg("--background")
        .arg(format!("image:{}", picture.display()))
        .args(["--light-wrap", "0.5", "--temporal", "0.85"])
        .arg("--split")
        .arg(shipped("assets/presets/default.preset.ron"))
        .args(["--report-every", &REPORT_EVERY.to_string()]);
}

#[test]
fn headless_memory_stays_flat_with_every_stage_on() {
    let _gpu = gpu_lock();
    let dir = tempfile::tempdir().unwrap();
    let mut command = backdrop();
    command
        .args(["--headless", "--source", "synthetic:160x90"])
        .args(["--frames", &(END + 2 * REPORT_EVERY).to_string()])
        .arg("--output")
        .arg(dir.path().join("out.mp4"));
    every_stage(&mut command);
    assert_flat("headless, every stage", soak(command, |_| {}));
}

/// A preset file rewritten while the run goes on: model, background (blur, or a video that
/// uploads a new picture every frame) and blur change every 50 frames, and the source alternates
/// between two frame sizes every 20 frames.
#[test]
fn headless_memory_stays_flat_across_switches() {
    let _gpu = gpu_lock();
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for i in 0..40u32 {
        let (w, h) = if i < 20 { (160, 90) } else { (176, 144) };
        crate::common::noise_image(w, h, i)
            .save(frames.join(format!("{i:03}.png")))
            .unwrap();
    }
    let video = dir.path().join("background.mp4");
    let mut writer = bevy_backdrop::capture::video::VideoWriter::create(&video, 80, 60, 30.0)
        .expect("ffmpeg writes a video (scripts/setup.sh installs it)");
    for i in 0..15 {
        writer
            .write(crate::common::noise_image(80, 60, 100 + i).as_raw())
            .unwrap();
    }
    writer.finish().unwrap();
    let preset = dir.path().join("switching.preset.ron");
    let variants = [
        "(model: \"landscape\", background: Blur, blur_radius: 18.0, temporal: (smoothing: 0.85))"
            .to_owned(),
        format!(
            "(model: \"general\", background: Video({:?}), light_wrap: (strength: 0.5), blur_radius: 40.0)",
            video.display().to_string()
        ),
    ];
    std::fs::write(&preset, &variants[0]).unwrap();
    let mut command = backdrop();
    command
        .args(["--headless", "--source"])
        .arg(format!("folder:{}", frames.display()))
        .args(["--frames", &(END + 2 * REPORT_EVERY).to_string()])
        .arg("--output")
        .arg(dir.path().join("out"))
        .arg("--preset")
        .arg(&preset)
        .args(["--report-every", &REPORT_EVERY.to_string()]);
    let readings = soak(command, |frame| {
        if frame % 50 == 0 {
            let variant = &variants[(frame / 50 % 2) as usize];
            std::fs::write(&preset, variant).unwrap();
        }
    });
    assert_flat("headless, switching preset, model and size", readings);
}

/// An X server of the test's own, ended with the test.
struct Xvfb {
    _server: Running,
    display: String,
}

fn xvfb() -> Xvfb {
    let mut server = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x720x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts (scripts/setup.sh installs it)");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let number: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb gave no display number: {line:?}"));
    Xvfb {
        _server: Running(server),
        display: format!(":{number}"),
    }
}

/// The playground in a real window (winit allows one event loop per process, so a child).
#[test]
fn window_memory_stays_flat_with_every_stage_on() {
    let _gpu = gpu_lock();
    let x = xvfb();
    let mut command = backdrop();
    command
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .args(["--source", "synthetic:160x90"])
        .args(["--quit-after-frames", &(END + 2 * REPORT_EVERY).to_string()]);
    every_stage(&mut command);
    assert_flat("window, every stage", soak(command, |_| {}));
}

/// Live resources over 150 renders of two chains with every stage on, once warm: no bind group is
/// created (each is made once for what it binds and reused), and wgpu's live textures, views,
/// buffers, bind groups and pipelines and the app's `Image` assets stay the same in number.
#[test]
fn warm_chains_create_nothing_per_frame() {
    use bevy::prelude::*;
    use bevy::render::RenderApp;
    use bevy::render::renderer::RenderInstance;
    use bevy_backdrop::capture::{CaptureSettings, SourceOptions, SourceSpec};
    use bevy_backdrop::effects::split::SplitView;
    use bevy_backdrop::effects::{
        BackdropSettings, Background, ChainBindGroups, CompositeSettings, FrameChain,
        LightWrapSettings,
    };
    use bevy_backdrop::inference::{CurrentMask, InferenceMode, InferenceSettings};

    let _gpu = gpu_lock();
    let mut app = App::new();
    app.add_plugins(bevy_backdrop::inference::ModelSourcePlugin::default())
        .add_plugins(bevy_backdrop::headless_default_plugins(false))
        .insert_resource(CaptureSettings {
            source: SourceSpec::Synthetic {
                width: 96,
                height: 64,
            },
            options: SourceOptions {
                fps: Some(500.0),
                ..default()
            },
            ..default()
        })
        // Lockstep: every new frame gets its own mask, so the temporal history flips on every
        // frame whatever the machine's load (a stalled live model changes which bind groups
        // are in use).
        .insert_resource(InferenceSettings {
            mode: InferenceMode::Lockstep,
            ..default()
        })
        .insert_resource(SplitView {
            enabled: true,
            ..default()
        })
        .add_plugins(
            bevy_backdrop::BackdropPlugins
                .build()
                .disable::<bevy_backdrop::display::DisplayPlugin>()
                .disable::<bevy_backdrop::overlay::OverlayPlugin>(),
        );
    crate::common::make_ready(&mut app);
    // A model that always sees half a person: the chains run every stage on every frame.
    crate::common::install_fake(&mut app, Duration::ZERO, 0.5, true);
    let picture = shipped("assets/backgrounds/coffee.jpg");
    let camera = app.world().resource::<FrameChain>().camera;
    app.world_mut().entity_mut(camera).insert(BackdropSettings {
        composite: CompositeSettings {
            background: Background::Image(picture),
            light_wrap: LightWrapSettings {
                strength: 0.5,
                ..default()
            },
            ..default()
        },
        ..default()
    });

    #[derive(Debug, PartialEq)]
    struct Counts {
        bind_groups_created: u64,
        wgpu: [usize; 6],
        images: usize,
    }
    let counts = |app: &mut App| {
        let images = app.world().resource::<Assets<Image>>().len();
        let render = app.sub_app(RenderApp).world();
        let report = render
            .resource::<RenderInstance>()
            .0
            .generate_report()
            .expect("wgpu-core reports its resources")
            .hub;
        Counts {
            bind_groups_created: render.resource::<ChainBindGroups>().created(),
            wgpu: [
                report.textures.num_allocated,
                report.texture_views.num_allocated,
                report.buffers.num_allocated,
                report.bind_groups.num_allocated,
                report.render_pipelines.num_allocated,
                report.shader_modules.num_allocated,
            ],
            images,
        }
    };
    let start = std::time::Instant::now();
    let (mut masks, mut last) = (0, None);
    while masks < 30 {
        app.update();
        let seq = app
            .world()
            .resource::<CurrentMask>()
            .mask
            .as_ref()
            .map(|m| m.frame_seq);
        if seq.is_some() && seq != last {
            (masks, last) = (masks + 1, seq);
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no masks came");
    }
    let warm = counts(&mut app);
    let live = app
        .sub_app(RenderApp)
        .world()
        .resource::<ChainBindGroups>()
        .live();
    println!("warm: {warm:?}, {live} chain bind groups live");
    assert!(warm.bind_groups_created > 0, "the chains never ran");
    for _ in 0..150 {
        app.update();
    }
    let later = counts(&mut app);
    println!("150 renders later: {later:?}");
    assert_eq!(later, warm, "resources were created during warm renders");
}
