//! The chain's GPU ms from timestamps on its passes (`ChainGpuTimesPlugin`, the one way that also
//! works on WebGPU) agree with Bevy's spans, which time the same passes with timestamps written in
//! the encoder (lavapipe has both); and the timer's pool stays bounded.

use std::sync::Arc;

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore};
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy_backdrop::capture::{Frame, FramePlugin, IncomingFrame};
use bevy_backdrop::effects::gpu_time::{
    ChainGpuTimer, ChainGpuTimesPlugin, MAX_SLOTS, gpu_ms_path,
};
use bevy_backdrop::effects::{EffectsPlugin, GPU_SPANS, bilateral};
use bevy_backdrop::inference::models::{InputRange, Layout, ModelInput};
use bevy_backdrop::inference::{
    CustomModel, InferenceMode, InferencePlugin, InferenceSettings, ModelError, ModelInfo,
    OutputKind, SegmentationBackend,
};

use crate::common::{gpu_lock, make_ready};

const MASK: (u32, u32) = (256, 144);

/// A soft disc: the same mask every frame.
struct Disc;

impl SegmentationBackend for Disc {
    fn backend_name(&self) -> &'static str {
        "fixed disc"
    }

    fn run(&mut self, _input: &[f32]) -> Result<Vec<f32>, ModelError> {
        let (w, h) = (MASK.0 as f32, MASK.1 as f32);
        Ok((0..MASK.1)
            .flat_map(|y| (0..MASK.0).map(move |x| (x as f32 / w - 0.5, y as f32 / h - 0.5)))
            .map(|(u, v)| (1.5 - (u * u + v * v).sqrt() * 5.0).clamp(0.0, 1.0))
            .collect())
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

#[test]
fn pass_timestamps_agree_with_bevys_spans_and_the_pool_stays_bounded() {
    const FRAMES: u64 = 80;
    let _gpu = gpu_lock();
    let mut app = App::new();
    app.add_plugins(bevy_backdrop::headless_default_plugins(false))
        .add_plugins((FramePlugin, RenderDiagnosticsPlugin, ChainGpuTimesPlugin))
        .insert_resource(InferenceSettings {
            mode: InferenceMode::Lockstep,
            custom: Some(CustomModel {
                info: ModelInfo {
                    id: "disc".into(),
                    name: "fixed disc".into(),
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
                make: Arc::new(|| Box::new(Disc)),
            }),
            ..default()
        })
        .add_plugins((InferencePlugin, EffectsPlugin));
    make_ready(&mut app);

    let (width, height) = (640, 360);
    let pixels: Vec<u8> = (0..width * height * 4)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    // Every measurement once (they arrive a render or more after theirs): (ours, Bevy's) per span.
    let paths: Vec<(DiagnosticPath, DiagnosticPath)> = GPU_SPANS
        .iter()
        .map(|(_, span)| {
            (
                gpu_ms_path(span),
                DiagnosticPath::new(format!("render/{span}/elapsed_gpu")),
            )
        })
        .collect();
    let mut samples = vec![(Vec::new(), Vec::new()); paths.len()];
    let mut seen = vec![(None, None); paths.len()];
    for k in 0..FRAMES {
        let frame = Frame::new(k, width, height, pixels.clone());
        app.world_mut().resource_mut::<IncomingFrame>().0 = Some(frame);
        app.update();
        if k < 10 {
            continue;
        }
        let store = app.world().resource::<DiagnosticsStore>();
        for (((ours, bevys), (a, b)), (seen_a, seen_b)) in
            paths.iter().zip(&mut samples).zip(&mut seen)
        {
            for (path, out, seen) in [(ours, a, seen_a), (bevys, b, seen_b)] {
                if let Some(m) = store.get(path).and_then(|d| d.measurement())
                    && *seen != Some(m.time)
                {
                    *seen = Some(m.time);
                    out.push(m.value);
                }
            }
        }
    }

    let mut report = Vec::new();
    for ((name, span), (ours, bevys)) in GPU_SPANS.iter().zip(samples) {
        let line = format!(
            "{name}: {} of ours (median {:?} ms), {} of Bevy's (median {:?} ms)",
            ours.len(),
            median(ours.clone()),
            bevys.len(),
            median(bevys.clone())
        );
        println!("{line}");
        if *span == bilateral::SPAN || *span == bevy_backdrop::inference::gpu_network::render::SPAN
        {
            // The default refine is the guided filter: the bilateral never runs; the mask is the
            // app's own (a CPU backend): the gpu network never runs (tests/integration/
            // gpu_network.rs times it).
            assert!(
                ours.is_empty(),
                "a stage that did not run was timed: {line}"
            );
            continue;
        }
        assert!(ours.len() >= 30, "too few timings: {line}");
        assert!(
            bevys.len() >= 30,
            "Bevy timed too few (the check needs it): {line}"
        );
        let (ours, bevys) = (median(ours).unwrap(), median(bevys).unwrap());
        assert!(ours > 0.0, "a stage took no time: {line}");
        report.push((name, ours, bevys));
        // The same passes, timed at their edges instead of just outside them.
        assert!(
            (ours - bevys).abs() <= 0.25 * bevys + 0.3,
            "pass timestamps disagree with Bevy's spans: {line}"
        );
    }
    assert_eq!(
        report.len(),
        GPU_SPANS.len() - 2,
        "every stage that ran was compared"
    );

    let timer = app
        .sub_app(RenderApp)
        .world()
        .get_resource::<ChainGpuTimer>()
        .expect("lavapipe has timestamp queries: the timer exists");
    assert!(
        (1..=MAX_SLOTS).contains(&timer.slots_created()),
        "{} slots for {FRAMES} renders",
        timer.slots_created()
    );
}
