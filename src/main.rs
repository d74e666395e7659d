//! `backdrop`: the playground. Opens a window with the live result, or runs headless and writes
//! frames to disk.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::WindowResolution;
use clap::Parser;

use bevy_backdrop::BackdropPlugins;
use bevy_backdrop::batch::{BatchConfig, BatchOutput, run_batch};
use bevy_backdrop::capture::{
    CameraMode, CaptureSettings, CaptureStatus, LiveCapture, SourceOptions, SourceSpec,
};

/// Real-time virtual backgrounds: see yourself with the background blurred or replaced.
#[derive(Parser, Debug)]
#[command(name = "backdrop", version, about)]
struct Cli {
    /// Where frames come from: camera, camera:N, synthetic[:WxH], sample, an image file, a folder
    /// of images (played in name order, looped), or a video file (image:, folder: and video:
    /// prefixes force a kind). Default: camera 0, or the bundled sample portrait without one.
    #[arg(long, value_name = "SOURCE")]
    source: Option<SourceSpec>,

    /// Camera mode, as listed by --list-cameras: WxH@FPS with an optional :mjpeg or :yuyv.
    #[arg(long, value_name = "MODE")]
    camera_mode: Option<CameraMode>,

    /// List the cameras and their modes, then exit.
    #[arg(long)]
    list_cameras: bool,

    /// Mirror the picture left-right (the default for cameras; M toggles it in the window).
    #[arg(long, overrides_with = "no_mirror")]
    mirror: bool,

    /// Do not mirror, even for a camera.
    #[arg(long)]
    no_mirror: bool,

    /// Playback rate for images, folders and the synthetic pattern.
    #[arg(long, value_name = "FPS", default_value_t = 30.0)]
    fps: f32,

    /// Run without a window: render every source frame in order and write it to --output.
    #[arg(long, requires = "output")]
    headless: bool,

    /// Headless: frames to write (default: one pass through an image, folder or video).
    #[arg(long, value_name = "N", requires = "headless")]
    frames: Option<u64>,

    /// Headless: a folder for frame_00000.png…, or a video file (.mp4, .mkv, .mov, .webm).
    #[arg(long, value_name = "PATH", requires = "headless")]
    output: Option<PathBuf>,

    /// Window: quit by itself after this many app frames (for unattended runs).
    #[arg(long, value_name = "N", conflicts_with = "headless")]
    quit_after_frames: Option<u32>,

    /// Window: save a screenshot of the window to this PNG just before quitting (needs
    /// --quit-after-frames).
    #[arg(long, value_name = "PNG", requires = "quit_after_frames")]
    screenshot: Option<PathBuf>,
}

impl Cli {
    fn mirror(&self) -> Option<bool> {
        match (self.mirror, self.no_mirror) {
            (_, true) => Some(false),
            (true, false) => Some(true),
            _ => None,
        }
    }

    fn options(&self) -> SourceOptions {
        SourceOptions {
            camera_mode: self.camera_mode,
            fps: Some(self.fps),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list_cameras {
        return list_cameras();
    }
    if cli.headless {
        return headless(&cli);
    }
    windowed(&cli)
}

#[cfg(not(target_arch = "wasm32"))]
fn list_cameras() -> ExitCode {
    match bevy_backdrop::capture::camera::list_cameras() {
        Ok(cameras) if cameras.is_empty() => {
            println!("no cameras found");
            ExitCode::SUCCESS
        }
        Ok(cameras) => {
            for camera in cameras {
                println!("camera:{}  {}", camera.index, camera.name);
                match camera.modes {
                    Ok(modes) => {
                        for mode in modes {
                            println!("    --camera-mode {mode}");
                        }
                    }
                    Err(e) => println!("    (modes unavailable: {e})"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("backdrop: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn list_cameras() -> ExitCode {
    ExitCode::FAILURE
}

fn headless(cli: &Cli) -> ExitCode {
    let source = cli.source.clone().unwrap_or(SourceSpec::Camera { index: 0 });
    let config = BatchConfig {
        mirror: cli.mirror().unwrap_or(source.is_camera()),
        source,
        options: cli.options(),
        frames: cli.frames,
        output: BatchOutput::from_path(cli.output.as_deref().expect("clap requires --output")),
        progress: true,
        log: true,
    };
    match run_batch(config) {
        Ok(summary) => {
            println!("backdrop: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("backdrop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn windowed(cli: &Cli) -> ExitCode {
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "backdrop".into(),
            resolution: WindowResolution::new(1280, 720),
            ..default()
        }),
        ..default()
    }))
    .insert_resource(CaptureSettings {
        source: cli.source.clone().unwrap_or(SourceSpec::Camera { index: 0 }),
        options: cli.options(),
        mirror: cli.mirror(),
        ..default()
    })
    .add_plugins(BackdropPlugins)
    .add_systems(Update, playground_keys);
    if let Some(frames) = cli.quit_after_frames {
        app.insert_resource(QuitAfter {
            frames,
            screenshot: cli.screenshot.clone(),
            saved: Arc::new(AtomicBool::new(cli.screenshot.is_none())),
            requested: false,
        })
        .add_systems(Update, quit_after_frames);
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(_) => ExitCode::FAILURE,
    }
}

fn playground_keys(
    keys: Res<ButtonInput<KeyCode>>,
    live: Option<Res<LiveCapture>>,
    mut status: ResMut<CaptureStatus>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
    if keys.just_pressed(KeyCode::KeyM)
        && let Some(live) = live
    {
        status.mirror = !status.mirror;
        live.set_mirror(status.mirror);
    }
}

#[derive(Resource)]
struct QuitAfter {
    frames: u32,
    screenshot: Option<PathBuf>,
    saved: Arc<AtomicBool>,
    requested: bool,
}

fn quit_after_frames(
    mut quit: ResMut<QuitAfter>,
    mut frame: Local<u32>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    *frame += 1;
    if *frame < quit.frames {
        return;
    }
    if let Some(path) = quit.screenshot.clone()
        && !quit.requested
    {
        quit.requested = true;
        let saved = Arc::clone(&quit.saved);
        let mut save = save_to_disk(path);
        commands
            .spawn(Screenshot::primary_window())
            .observe(move |captured: On<bevy::render::view::screenshot::ScreenshotCaptured>| {
                save(captured);
                saved.store(true, Ordering::Relaxed);
            });
    }
    if quit.saved.load(Ordering::Relaxed) {
        exit.write(AppExit::Success);
    }
}
