//! What the effects chain costs on the GPU, pass by pass: renders frames headless at 640×360 and
//! 1280×720, with each refine method and the blur radius at 18 and 120 px, and prints a Markdown
//! table of the medians of each pass's GPU time (timestamps on the passes, `ChainGpuTimesPlugin`) and the chain's total (a pass the settings do not run shows "–"). The mask is a fixed soft ellipse at the landscape model's 256×144, given afresh every
//! frame (lockstep), so every pass — temporal included — runs every frame and no model's time is in
//! the figures. The last column sums what else Bevy timed on the chain camera (its empty main
//! pass; a final blit, were the camera to write through Bevy's output).
//!
//! With `--gpu-backend MODEL` (`landscape`, `general`) the mask comes from that model on the gpu
//! backend instead, in the same render graph (a new frame, so a new network pass, every frame):
//! its "gpu network" column and the total are then the whole pipeline on the GPU, network and
//! chain, per frame.
//!
//! ```text
//! cargo run --release --example chain_bench -- [--gpu-backend MODEL] [FRAMES] [RADIUS …]
//! ```
//! FRAMES defaults to 60 (after 10 warm-up frames), the radii to 18 and 120.
//!
//! Where the adapter has no timestamp queries (WebGL2, some drivers) the GPU column says so.

use std::sync::Arc;

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore};
use bevy::prelude::*;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy_backdrop::capture::{Frame, FramePlugin, IncomingFrame};
use bevy_backdrop::effects::{
    BackdropSettings, BlurSettings, EffectsPlugin, FrameChain, GPU_SPANS, RefineMethod,
    ShaderChoice,
    gpu_time::{ChainGpuTimesPlugin, gpu_ms_path},
};
use bevy_backdrop::inference::models::{InputRange, Layout, ModelInput};
use bevy_backdrop::inference::{
    BackendChoice, CustomModel, InferenceMode, InferencePlugin, InferenceSettings, ModelError,
    ModelInfo, ModelSourcePlugin, OutputKind, SegmentationBackend,
};

const WARM_UP: usize = 10;
const MASK: (u32, u32) = (256, 144);

/// A soft ellipse: the same person every frame.
struct Ellipse;

impl SegmentationBackend for Ellipse {
    fn backend_name(&self) -> &'static str {
        "fixed ellipse"
    }

    fn run(&mut self, _input: &[f32]) -> Result<Vec<f32>, ModelError> {
        let (w, h) = (MASK.0 as f32, MASK.1 as f32);
        Ok((0..MASK.1)
            .flat_map(|y| (0..MASK.0).map(move |x| (x as f32 + 0.5, y as f32 + 0.5)))
            .map(|(x, y)| {
                let (dx, dy) = ((x - w / 2.0) / (0.22 * w), (y - h * 0.6) / (0.45 * h));
                (1.5 - (dx * dx + dy * dy).sqrt() * 1.5).clamp(0.0, 1.0)
            })
            .collect())
    }
}

fn model() -> InferenceSettings {
    InferenceSettings {
        mode: InferenceMode::Lockstep,
        custom: Some(CustomModel {
            info: ModelInfo {
                id: "ellipse".into(),
                name: "fixed ellipse".into(),
                file: "none".into(),
                input: ModelInput {
                    width: MASK.0,
                    height: MASK.1,
                    layout: Layout::Nhwc,
                    range: InputRange::ZeroToOne,
                },
                output: OutputKind::Probability,
                licence: "none".into(),
                sha256: None,
            },
            make: Arc::new(|| Box::new(Ellipse)),
        }),
        ..default()
    }
}

/// Median GPU ms of each pass (in chain order) over the frames after the warm-up, or `None`
/// where the pass did not run (or the adapter has no timestamp queries); and the sum of the
/// medians of every other pass Bevy timed on the chain camera (its own main pass, a final blit).
fn measure(
    settings: BackdropSettings,
    size: (u32, u32),
    frames: usize,
    gpu_model: Option<&str>,
) -> (Vec<Option<f64>>, Option<f64>) {
    let portrait = image::load_from_memory(bevy_backdrop::capture::still::SAMPLE_PORTRAIT_JPEG)
        .expect("the sample decodes");
    let picture = portrait
        .resize_to_fill(size.0, size.1, image::imageops::FilterType::Triangle)
        .into_rgba8()
        .into_raw();
    let mut app = App::new();
    // The `models` asset source exists before the AssetPlugin builds.
    app.add_plugins(ModelSourcePlugin::default())
        .add_plugins(bevy_backdrop::headless_default_plugins(false))
        .add_plugins((FramePlugin, RenderDiagnosticsPlugin, ChainGpuTimesPlugin))
        .insert_resource(match gpu_model {
            Some(id) => InferenceSettings {
                model: id.to_owned(),
                backend: BackendChoice::Gpu,
                mode: InferenceMode::Lockstep,
                ..default()
            },
            None => model(),
        })
        .add_plugins((InferencePlugin, EffectsPlugin));
    while app.plugins_state() == bevy::app::PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    let camera = app.world().resource::<FrameChain>().camera;
    app.world_mut().entity_mut(camera).insert(settings);
    let paths: Vec<DiagnosticPath> = GPU_SPANS
        .iter()
        .map(|(_, span)| gpu_ms_path(span))
        .collect();
    // Bevy's own spans around the stages time the same passes again: not "other" passes.
    let stages: Vec<String> = GPU_SPANS
        .iter()
        .map(|(_, span)| format!("render/{span}/elapsed_gpu"))
        .collect();
    let mut samples = vec![Vec::new(); paths.len()];
    // The timings come back a frame or more after their render: keep each measurement once.
    let mut last_seen = vec![None; paths.len()];
    let mut others: std::collections::BTreeMap<
        String,
        (Vec<f64>, Option<bevy::platform::time::Instant>),
    > = default();
    // The gpu backend's model loads as an asset: frames start once its masks do.
    if gpu_model.is_some() {
        let started = std::time::Instant::now();
        let mut k = 0u64;
        while app
            .world()
            .resource::<bevy_backdrop::inference::CurrentMask>()
            .mask
            .is_none()
        {
            assert!(
                started.elapsed().as_secs() < 120,
                "no mask from the gpu backend: {:?}",
                app.world()
                    .resource::<bevy_backdrop::inference::InferenceStatus>()
            );
            app.world_mut().resource_mut::<IncomingFrame>().0 =
                Some(Frame::new(k, size.0, size.1, picture.clone()));
            app.update();
            k += 1;
        }
    }
    for k in 0..WARM_UP + frames {
        let frame = Frame::new(k as u64, size.0, size.1, picture.clone());
        app.world_mut().resource_mut::<IncomingFrame>().0 = Some(frame);
        app.update();
        if k < WARM_UP {
            continue;
        }
        let store = app.world().resource::<DiagnosticsStore>();
        for ((path, samples), seen) in paths.iter().zip(&mut samples).zip(&mut last_seen) {
            if let Some(m) = store.get(path).and_then(|d| d.measurement())
                && *seen != Some(m.time)
            {
                *seen = Some(m.time);
                samples.push(m.value);
            }
        }
        for diagnostic in store.iter() {
            let path = diagnostic.path().as_str();
            if !path.ends_with("/elapsed_gpu") || stages.iter().any(|p| p == path) {
                continue;
            }
            if let Some(m) = diagnostic.measurement() {
                let (samples, seen) = others.entry(path.to_owned()).or_default();
                if *seen != Some(m.time) {
                    *seen = Some(m.time);
                    samples.push(m.value);
                }
            }
        }
    }
    let others = others
        .into_values()
        .filter_map(|(samples, _)| median(samples))
        .reduce(|a, b| a + b);
    (samples.into_iter().map(median).collect(), others)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let gpu_model = if args.peek().map(String::as_str) == Some("--gpu-backend") {
        args.next();
        Some(
            args.next()
                .expect("--gpu-backend takes a model id (landscape, general)"),
        )
    } else {
        None
    };
    let frames: usize = args
        .next()
        .map_or(60, |n| n.parse().expect("FRAMES is a number"));
    let mut radii: Vec<f32> = args
        .map(|r| r.parse().expect("RADIUS is a number"))
        .collect();
    if radii.is_empty() {
        radii = vec![18.0, 120.0];
    }
    let cell = |ms: Option<f64>| ms.map_or("–".to_owned(), |ms| format!("{ms:.2}"));
    let names: Vec<&str> = GPU_SPANS.iter().map(|(name, _)| *name).collect();
    match &gpu_model {
        Some(id) => println!(
            "GPU ms per pass, median of {frames} frames (the gpu backend, {id}, a network pass and a new mask every frame)\n"
        ),
        None => println!(
            "GPU ms per pass, median of {frames} frames (lockstep, a new mask every frame)\n"
        ),
    }
    println!(
        "| frame | refine | blur radius | {} | chain total | Bevy's passes |",
        names.join(" | ")
    );
    println!("|---|---|---|{}---|---|", "---|".repeat(names.len()));
    let mut timed_any = false;
    for size in [(640, 360), (1280, 720)] {
        for &refine in <RefineMethod as ShaderChoice>::ALL {
            for &radius in &radii {
                let settings = BackdropSettings {
                    refine,
                    blur: BlurSettings { radius },
                    ..default()
                };
                let (passes, others) = measure(settings, size, frames, gpu_model.as_deref());
                timed_any |= passes.iter().any(Option::is_some);
                let total = passes.iter().flatten().sum::<f64>();
                let cells: Vec<String> = passes.into_iter().map(cell).collect();
                println!(
                    "| {}×{} | {} | {radius} | {} | {total:.2} | {} |",
                    size.0,
                    size.1,
                    refine.name(),
                    cells.join(" | "),
                    cell(others),
                );
            }
        }
    }
    if !timed_any {
        println!("\nThis adapter has no timestamp queries: no GPU time was measured.");
    }
}
