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
use bevy_backdrop::effects::split::SplitView;
use bevy_backdrop::effects::{
    BackdropSettings, Background, BlurSettings, ChainView, CompositeSettings, FrameChain,
    LightWrapSettings, RefineMethod, TemporalSettings, WrapMode,
};
use bevy_backdrop::inference::{
    BackendChoice, InferenceMode, InferencePlugin, InferenceSettings, ModelSourcePlugin,
    ModelTable, ModelTableHandle, SwitchBackend, SwitchModel,
};
use bevy_backdrop::memory::FrameReporter;
use bevy_backdrop::overlay::OverlayPanels;
use bevy_backdrop::preset::{
    Preset, PresetAction, PresetCatalog, preset_name, shipped_presets_dir,
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

    /// Segmentation model id from models/models.ron (general, landscape), or none.
    #[arg(long, value_name = "ID", default_value = "landscape")]
    model: String,

    /// Inference backend: auto (ONNX Runtime when its library loads, else tract), ort, tract, or
    /// gpu (the model as compute passes in the render graph, on the frame's texture).
    #[arg(long, value_name = "BACKEND", default_value = "auto")]
    backend: BackendChoice,

    /// Intra-op threads for ONNX Runtime, in [1, 64].
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = |text: &str| InferenceSettings::THREADS.parse(text))]
    threads: u32,

    /// Folder with models.ron and the model files [default: `models` beside `assets`: under
    /// BEVY_ASSET_ROOT, or next to the executable].
    #[arg(long, value_name = "DIR")]
    models_dir: Option<PathBuf>,

    /// What replaces the background: none, blur, color:RRGGBB, image:PATH or video:PATH.
    #[arg(long, value_name = "BG", default_value = "blur")]
    background: Background,

    /// Background blur radius in frame pixels (the Gaussian's 3σ extent), in [0, 200].
    #[arg(long, value_name = "PX", default_value_t = BlurSettings::REFERENCE.radius,
          value_parser = |text: &str| BlurSettings::RADIUS.parse(text))]
    blur_radius: f32,

    /// How the model's mask is upsampled to the frame, following its edges: guided (a fast guided
    /// filter fitted on the model grid) or bilateral (the reference demo's joint bilateral,
    /// evaluated per frame pixel).
    #[arg(long, value_name = "METHOD", value_enum, default_value_t = RefineMethod::default())]
    refine: RefineMethod,

    /// Temporal smoothing of the mask where the picture is still, in [0, 1): 0 is off.
    #[arg(long, value_name = "F", default_value_t = TemporalSettings::default().smoothing,
          value_parser = |text: &str| TemporalSettings::SMOOTHING.parse(text))]
    temporal: f32,

    /// Light wrap strength in [0, 1] (0: off) for replaced backgrounds.
    #[arg(long, value_name = "F", default_value_t = LightWrapSettings::default().strength,
          value_parser = |text: &str| LightWrapSettings::STRENGTH.parse(text))]
    light_wrap: f32,

    /// Light wrap blend.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = WrapMode::Screen)]
    wrap_mode: WrapMode,

    /// What to show: final, or a stage's output: decoded (model mask), refined (upsampled mask),
    /// blurred (background).
    #[arg(long, value_name = "VIEW", default_value = "final")]
    view: ChainView,

    /// A preset file (*.preset.ron, anywhere on disk) that replaces every setting it holds,
    /// watched for edits. Without it the flags above hold until a preset is chosen (P).
    #[arg(long, value_name = "PATH")]
    preset: Option<PathBuf>,

    /// A/B split view: the picture through the settings in force (A, left) and through this
    /// preset's (B, right), with a draggable divider. V toggles it; without this flag V shows
    /// the shipped reference preset as B.
    #[arg(long, value_name = "PRESET")]
    split: Option<PathBuf>,

    /// Print the settings the other flags make as a preset (RON, on stdout) and exit: a start for
    /// a preset file of your own.
    #[arg(long, conflicts_with_all = ["preset", "headless", "list_cameras"])]
    print_preset: bool,

    /// Run without a window: render every source frame in order and write it to --output.
    #[arg(long, requires = "output")]
    headless: bool,

    /// Headless: frames to write (default: one pass through an image, folder or video).
    #[arg(long, value_name = "N", requires = "headless")]
    frames: Option<u64>,

    /// Headless: a folder for frame_00000.png…, or a video file (.mp4, .mkv, .mov, .webm).
    #[arg(long, value_name = "PATH", requires = "headless")]
    output: Option<PathBuf>,

    /// Headless: also write mask_00000.png…, the raw model mask upsampled to frame size.
    #[arg(long, requires = "headless")]
    write_mask: bool,

    /// Print a line every N frames (headless: frames written; window: app frames) with the frame
    /// count, the frame rate since the last line and the process's resident memory, for soak runs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    report_every: Option<u64>,

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

    /// Segmentation settings, or `None` for `--model none`.
    fn inference(&self) -> Option<InferenceSettings> {
        (self.model != "none").then(|| InferenceSettings {
            model: self.model.clone(),
            backend: self.backend,
            threads: self.threads as usize,
            mode: InferenceMode::Live,
            custom: None,
        })
    }

    fn effects(&self) -> BackdropSettings {
        BackdropSettings {
            refine: self.refine,
            blur: BlurSettings {
                radius: self.blur_radius,
            },
            composite: CompositeSettings {
                background: self.background.clone(),
                light_wrap: LightWrapSettings {
                    strength: self.light_wrap,
                    mode: self.wrap_mode,
                },
                ..default()
            },
            temporal: TemporalSettings {
                smoothing: self.temporal,
                ..default()
            },
            view: self.view,
            ..default()
        }
    }

    /// The split view: B from `--split` (or the shipped reference preset), on when `--split` is
    /// given. `None` when the headless mode needs none.
    fn split_view(&self, headless: bool) -> Result<Option<SplitView>, String> {
        if headless && self.split.is_none() {
            return Ok(None);
        }
        let path = self
            .split
            .clone()
            .unwrap_or_else(|| shipped_presets_dir().join("reference.preset.ron"));
        let preset = Preset::load_file(&path).map_err(|e| format!("--split {e}"))?;
        let folder = bevy_backdrop::preset::folder_of(&path);
        let a = self
            .preset
            .as_deref()
            .map_or("command line".to_owned(), preset_name);
        Ok(Some(SplitView {
            enabled: self.split.is_some(),
            b: preset.effects(&self.effects(), folder.as_deref()),
            labels: [a, preset_name(&path)],
            ..default()
        }))
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
    if cli.print_preset {
        return print_preset(&cli);
    }
    if cli.headless {
        return headless(&cli);
    }
    windowed(&cli)
}

fn print_preset(cli: &Cli) -> ExitCode {
    let preset = bevy_backdrop::preset::from_settings(&cli.effects(), cli.inference().as_ref());
    let text = preset.to_ron();
    // Every flag's value is range-checked as it is parsed; this guards the writing itself: never
    // print a file that will not load.
    if let Err(e) = Preset::parse(text.as_bytes()) {
        eprintln!(
            "backdrop: --print-preset: these flags make no valid preset: {}",
            e.message
        );
        return ExitCode::from(2);
    }
    print!("{text}");
    ExitCode::SUCCESS
}

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

fn headless(cli: &Cli) -> ExitCode {
    // As in the window: camera 0, or the sample portrait when there is none.
    let source = cli.source.clone().unwrap_or_else(|| {
        let camera = SourceSpec::Camera { index: 0 };
        match bevy_backdrop::capture::open_source(&camera, &cli.options()) {
            Ok(_) => camera,
            Err(why) => {
                eprintln!("backdrop: {why} — using the {} instead", SourceSpec::Sample);
                SourceSpec::Sample
            }
        }
    });
    let config = BatchConfig {
        mirror: cli.mirror().unwrap_or(source.is_camera()),
        source,
        options: cli.options(),
        frames: cli.frames,
        output: BatchOutput::from_path(cli.output.as_deref().expect("clap requires --output")),
        progress: true,
        log: true,
        inference: cli.inference(),
        models_dir: cli.models_dir.clone(),
        write_mask: cli.write_mask,
        effects: cli.effects(),
        preset: cli.preset.clone(),
        report_every: cli.report_every,
        split: match cli.split_view(true) {
            Ok(split) => split,
            Err(why) => {
                eprintln!("backdrop: {why}");
                return ExitCode::FAILURE;
            }
        },
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
    let mut catalog = PresetCatalog::shipped();
    if let Some(path) = &cli.preset {
        catalog = match catalog.with_start(path) {
            Ok(catalog) => catalog,
            Err(why) => {
                eprintln!("backdrop: --preset {why}");
                return ExitCode::from(2);
            }
        };
    }
    let mut app = App::new();
    // Preset folders and the models folder become asset sources, which must exist before the
    // AssetPlugin builds.
    catalog.install(&mut app);
    app.add_plugins(ModelSourcePlugin {
        folder: cli.models_dir.clone(),
    });
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "backdrop".into(),
            resolution: WindowResolution::new(1280, 720),
            ..default()
        }),
        ..default()
    }))
    .insert_resource(CaptureSettings {
        source: cli
            .source
            .clone()
            .unwrap_or(SourceSpec::Camera { index: 0 }),
        options: cli.options(),
        mirror: cli.mirror(),
        ..default()
    })
    .add_systems(
        Update,
        (playground_keys, panel_keys).run_if(keyboard_is_free),
    );
    match cli.inference() {
        Some(settings) => {
            app.insert_resource(settings).add_plugins(BackdropPlugins);
        }
        None => {
            app.add_plugins(BackdropPlugins.build().disable::<InferencePlugin>());
        }
    }
    let camera = app.world().resource::<FrameChain>().camera;
    app.world_mut().entity_mut(camera).insert(cli.effects());
    match cli.split_view(false) {
        Ok(Some(split)) => {
            app.insert_resource(split);
        }
        Ok(None) => {}
        // The window keeps running without B; the reason is in the log.
        Err(why) => error!("split view: {why}"),
    }
    if let Some(every) = cli.report_every {
        app.insert_resource(Report(FrameReporter::new(every)))
            .add_systems(Last, report_frames);
    }
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

/// Typing into the overlay (a path, a number) is not a command.
fn keyboard_is_free(egui: Option<Res<bevy_egui::input::EguiWantsInput>>) -> bool {
    !egui.is_some_and(|e| e.wants_any_keyboard_input())
}

/// Panel switches; the key map is `bevy_backdrop::overlay::KEY_MAP`.
fn panel_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut panels: ResMut<OverlayPanels>,
    mut split: ResMut<SplitView>,
) {
    if keys.just_pressed(KeyCode::KeyV) {
        split.enabled = !split.enabled;
    }
    type Toggle = fn(&mut OverlayPanels) -> &mut bool;
    let toggles: [(KeyCode, Toggle); 5] = [
        (KeyCode::KeyO, |p| &mut p.performance),
        (KeyCode::KeyC, |p| &mut p.comparison),
        (KeyCode::KeyE, |p| &mut p.preset_editor),
        (KeyCode::KeyT, |p| &mut p.preset_text),
        (KeyCode::KeyH, |p| &mut p.keys),
    ];
    for (key, panel) in toggles {
        if keys.just_pressed(key) {
            let shown = panel(&mut panels);
            *shown = !*shown;
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn playground_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut presets: MessageWriter<PresetAction>,
    live: Option<Res<LiveCapture>>,
    mut status: ResMut<CaptureStatus>,
    inference: Option<Res<InferenceSettings>>,
    table: Option<Res<ModelTableHandle>>,
    tables: Option<Res<Assets<ModelTable>>>,
    mut switch_model: MessageWriter<SwitchModel>,
    mut switch_backend: MessageWriter<SwitchBackend>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.just_pressed(KeyCode::KeyP) {
        let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
        presets.write(PresetAction::Cycle(if shift { -1 } else { 1 }));
    }
    if let Some(inference) = inference {
        if keys.just_pressed(KeyCode::KeyN) {
            let ids = match (&table, &tables) {
                (Some(table), Some(tables)) => table.ids(tables),
                _ => Vec::new(),
            };
            let next = ids
                .iter()
                .position(|id| *id == inference.model)
                .map_or(0, |i| (i + 1) % ids.len().max(1));
            if let Some(id) = ids.get(next) {
                switch_model.write(SwitchModel(id.clone()));
            }
        }
        if keys.just_pressed(KeyCode::KeyB) {
            let next = inference.backend.next();
            switch_backend.write(SwitchBackend(next));
        }
    }
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
struct Report(FrameReporter);

fn report_frames(mut report: ResMut<Report>, mut frames: Local<u64>) {
    *frames += 1;
    if let Some(line) = report.0.frame(*frames) {
        println!("{line}");
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
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<bevy::render::view::screenshot::ScreenshotCaptured>| {
                save(captured);
                saved.store(true, Ordering::Relaxed);
            },
        );
    }
    if quit.saved.load(Ordering::Relaxed) {
        exit.write(AppExit::Success);
    }
}
