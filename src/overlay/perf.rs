//! The performance panel: frame rate and a frame-time plot, capture rate and latency, model
//! timings, GPU time per chain pass, and the adapter. Everything comes from Bevy `Diagnostics`
//! (and the adapter info); the panel only reads.

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use bevy_egui::{EguiContexts, egui};
use egui_plot::{Line, Plot, PlotPoints};

use super::OverlayPanels;
use crate::capture::{CAPTURE_FPS, CAPTURE_TO_DISPLAY_MS};
use crate::inference::{INFERENCE_MS, InferenceSettings, InferenceStatus, MASK_AGE, PREPROCESS_MS};

const WARNING: egui::Color32 = egui::Color32::from_rgb(255, 170, 90);

/// Whether an adapter renders in software (llvmpipe, lavapipe, SwiftShader, WARP): its "GPU"
/// figures are CPU time, and a live chain will be slow.
pub fn is_software_renderer(info: &bevy::render::render_resource::WgpuAdapterInfo) -> bool {
    let name = info.name.to_lowercase();
    // Bevy does not re-export wgpu's `DeviceType`; its variant name is stable.
    format!("{:?}", info.device_type) == "Cpu"
        || ["llvmpipe", "lavapipe", "swiftshader", "warp"]
            .iter()
            .any(|soft| name.contains(soft))
}

fn smoothed(store: &DiagnosticsStore, path: &DiagnosticPath) -> Option<f64> {
    store.get(path).and_then(|d| d.smoothed())
}

fn ms(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |v| format!("{v:.1} ms"))
}

/// The GPU ms of a chain stage (its passes' timestamps, `ChainGpuTimesPlugin`) and its
/// encoding ms on the CPU (`RenderDiagnosticsPlugin`'s span).
pub fn pass_times(store: &DiagnosticsStore, span: &str) -> (Option<f64>, Option<f64>) {
    (
        smoothed(store, &crate::effects::gpu_time::gpu_ms_path(span)),
        smoothed(
            store,
            &DiagnosticPath::new(format!("render/{span}/elapsed_cpu")),
        ),
    )
}

pub(super) fn performance_panel(
    mut contexts: EguiContexts,
    panels: Res<OverlayPanels>,
    store: Res<DiagnosticsStore>,
    adapter: Option<Res<RenderAdapterInfo>>,
    inference: Option<Res<InferenceSettings>>,
    status: Option<Res<InferenceStatus>>,
) -> Result {
    if !panels.performance {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    egui::Window::new("Performance")
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(8.0, -8.0))
        .resizable(false)
        .collapsible(true)
        .show(ctx, |ui| {
            let fps = smoothed(&store, &FrameTimeDiagnosticsPlugin::FPS);
            let frame_ms = smoothed(&store, &FrameTimeDiagnosticsPlugin::FRAME_TIME);
            ui.label(
                egui::RichText::new(format!(
                    "{} fps · {}",
                    fps.map_or("n/a".into(), |f| format!("{f:.1}")),
                    ms(frame_ms)
                ))
                .strong(),
            );
            if let Some(history) = store.get(&FrameTimeDiagnosticsPlugin::FRAME_TIME) {
                let points: PlotPoints = history
                    .values()
                    .enumerate()
                    .map(|(i, v)| [i as f64, *v])
                    .collect();
                Plot::new("frame time")
                    .height(70.0)
                    .width(260.0)
                    .include_y(0.0)
                    .show_axes([false, true])
                    .allow_drag(false)
                    .allow_zoom(false)
                    .allow_scroll(false)
                    .show(ui, |plot| plot.line(Line::new("frame ms", points)));
            }
            egui::Grid::new("performance figures")
                .num_columns(2)
                .show(ui, |ui| {
                    let row = |ui: &mut egui::Ui, name: &str, value: String| {
                        ui.label(name);
                        ui.label(value);
                        ui.end_row();
                    };
                    row(
                        ui,
                        "capture",
                        smoothed(&store, &CAPTURE_FPS)
                            .map_or("n/a".into(), |f| format!("{f:.1} fps")),
                    );
                    row(
                        ui,
                        "capture to display",
                        ms(smoothed(&store, &CAPTURE_TO_DISPLAY_MS)),
                    );
                    row(
                        ui,
                        "resident memory",
                        store
                            .get(&crate::memory::RESIDENT_MB)
                            .and_then(|d| d.value())
                            .map_or("n/a".into(), |mb| format!("{mb:.0} MB")),
                    );
                    if let (Some(inference), Some(status)) = (&inference, &status) {
                        let model = status.model.as_deref().unwrap_or("loading");
                        row(ui, "model", model.to_owned());
                        // Threads are ONNX Runtime's (natively): the gpu backend has none.
                        let backend = match inference.backend {
                            crate::inference::BackendChoice::Gpu => inference.backend.to_string(),
                            _ => format!("{} · {} thread(s)", inference.backend, inference.threads),
                        };
                        row(ui, "backend", backend);
                        row(ui, "pre-processing", ms(smoothed(&store, &PREPROCESS_MS)));
                        row(ui, "inference", ms(smoothed(&store, &INFERENCE_MS)));
                        row(
                            ui,
                            "mask age",
                            store
                                .get(&MASK_AGE)
                                .and_then(|d| d.value())
                                .map_or("n/a".into(), |a| format!("{a:.0}")),
                        );
                    } else {
                        row(ui, "model", "none".into());
                    }
                });
            ui.separator();
            ui.label("GPU per pass");
            // A pass whose last time is well behind the newest pass's does not run now (the other
            // refine method, no blur): "–", not its last figure.
            let last_time = |span: &str| {
                store
                    .get(&DiagnosticPath::new(format!("render/{span}/elapsed_cpu")))
                    .and_then(|d| d.measurement())
                    .map(|m| m.time)
            };
            let newest = crate::effects::GPU_SPANS
                .iter()
                .filter_map(|(_, span)| last_time(span))
                .max();
            egui::Grid::new("gpu passes").num_columns(3).show(ui, |ui| {
                for (name, span) in crate::effects::GPU_SPANS {
                    let running = match (last_time(span), newest) {
                        (Some(time), Some(newest)) => {
                            newest.duration_since(time) < std::time::Duration::from_millis(500)
                        }
                        _ => false,
                    };
                    let (gpu, cpu) = if running {
                        pass_times(&store, span)
                    } else {
                        (None, None)
                    };
                    ui.label(name);
                    ui.label(match gpu {
                        Some(v) => format!("{v:.2} ms"),
                        None if running => "n/a".into(),
                        None => "–".into(),
                    });
                    ui.label(
                        egui::RichText::new(
                            cpu.map_or(String::new(), |v| format!("cpu {v:.2} ms")),
                        )
                        .small()
                        .color(egui::Color32::GRAY),
                    );
                    ui.end_row();
                }
            });
            if let Some(adapter) = &adapter {
                ui.separator();
                let info = &adapter.0;
                ui.label(format!("{} ({:?})", info.name, info.backend));
                if is_software_renderer(info) {
                    ui.colored_label(
                        WARNING,
                        "⚠ software renderer: the GPU is emulated on the CPU, expect low fps",
                    );
                }
            }
        });
    Ok(())
}

/// Every key the playground uses.
pub const KEY_MAP: &[(&str, &str)] = &[
    ("M", "mirror on / off"),
    ("N", "next model"),
    ("B", "next backend: auto, tract, ort"),
    ("P / Shift+P", "next / previous preset"),
    ("E", "preset editor on / off"),
    ("T", "preset text (RON) on / off"),
    ("O", "performance overlay on / off"),
    ("C", "model comparison on / off"),
    ("V", "A/B split view on / off"),
    ("H", "this key map"),
    ("Esc", "quit"),
];

pub(super) fn key_map(mut contexts: EguiContexts, panels: Res<OverlayPanels>) -> Result {
    if !panels.keys {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    egui::Window::new("Keys")
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::Grid::new("key map").num_columns(2).show(ui, |ui| {
                for (key, what) in KEY_MAP {
                    ui.label(egui::RichText::new(*key).strong());
                    ui.label(*what);
                    ui.end_row();
                }
            });
            ui.label(
                egui::RichText::new("Keys do nothing while a text field has the keyboard.")
                    .small()
                    .color(egui::Color32::GRAY),
            );
        });
    Ok(())
}

/// The model comparison: p50 / p95 inference ms, the fps each candidate could sustain, and its
/// agreement with the reference, from the comparer ([`crate::inference::compare`]).
pub(super) fn comparison_panel(
    mut contexts: EguiContexts,
    panels: Res<OverlayPanels>,
    comparison: Option<Res<crate::inference::compare::ModelComparison>>,
    current: Option<Res<crate::inference::CurrentMask>>,
    mut benchmark: MessageWriter<crate::inference::compare::BenchmarkAll>,
) -> Result {
    let Some(comparison) = comparison else {
        return Ok(());
    };
    if !panels.comparison {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    let active = current
        .as_ref()
        .and_then(|c| c.mask.as_ref())
        .map(|m| (m.model_id.clone(), m.backend));
    egui::Window::new("Models")
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -8.0))
        .resizable(false)
        .default_open(true)
        .show(ctx, |ui| {
            let table = &comparison.table;
            egui::Grid::new("model comparison")
                .num_columns(6)
                .striped(true)
                .show(ui, |ui| {
                    for title in ["model", "backend", "p50 ms", "p95 ms", "fps", "IoU"] {
                        ui.label(egui::RichText::new(title).strong());
                    }
                    ui.end_row();
                    let figure = |v: Option<f64>, digits: usize| {
                        v.map_or("–".to_owned(), |v| format!("{v:.digits$}"))
                    };
                    for (candidate, stats) in &table.rows {
                        let is_active = active
                            .as_ref()
                            .is_some_and(|(m, b)| *m == candidate.model && *b == candidate.backend);
                        let name = if is_active {
                            egui::RichText::new(format!("▶ {}", candidate.model)).strong()
                        } else {
                            egui::RichText::new(&candidate.model)
                        };
                        ui.label(name);
                        ui.label(candidate.backend.to_string());
                        if let Some(problem) = &stats.problem {
                            ui.label("–");
                            ui.label("–");
                            ui.label("–");
                            ui.colored_label(WARNING, "n/a").on_hover_text(problem);
                        } else if stats.only_when_asked && stats.inference_ms.is_empty() {
                            ui.label("–");
                            ui.label("–");
                            ui.label("–");
                            ui.label("on request").on_hover_text(
                                crate::inference::compare::ONLY_WHEN_ASKED,
                            );
                        } else {
                            ui.label(figure(stats.p50(), 2));
                            ui.label(figure(stats.p95(), 2));
                            ui.label(figure(stats.sustainable_fps(), 0));
                            ui.label(figure(stats.agreement(), 3));
                        }
                        ui.end_row();
                    }
                });
            let reference = table
                .reference
                .as_ref()
                .map_or("no reference".to_owned(), |r| {
                    format!("IoU of mask > 0.5 vs {r}")
                });
            ui.label(
                egui::RichText::new(format!(
                    "{reference} · {} frames compared · measured in the app, between the active model's jobs (clean figures: examples/compare_models)",
                    table.rounds
                ))
                .small()
                .color(egui::Color32::GRAY),
            );
            let busy = comparison.burst > 0;
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(if busy {
                        "benchmarking…"
                    } else {
                        "Benchmark all now"
                    }),
                )
                .clicked()
            {
                benchmark.write(crate::inference::compare::BenchmarkAll(10));
            }
        });
    Ok(())
}
