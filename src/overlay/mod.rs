//! On-screen panels (bevy_egui): the status line — which source plays, the model, the preset,
//! and every problem met, so a user sees why the picture is not what they asked for — and the
//! preset editor.

mod perf;
mod preset_panel;
mod preset_text;

pub use perf::{KEY_MAP, is_software_renderer, pass_times};
pub use preset_text::PresetTextField;

/// Which panels show. The playground binds each to a key (see [`KEY_MAP`]).
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverlayPanels {
    /// The status line (source, model, preset, problems) in the top-left corner.
    pub status: bool,
    pub performance: bool,
    pub comparison: bool,
    pub preset_editor: bool,
    /// The preset's RON text, editable (T).
    pub preset_text: bool,
    pub keys: bool,
}

impl Default for OverlayPanels {
    fn default() -> Self {
        Self {
            status: true,
            performance: true,
            comparison: true,
            preset_editor: true,
            preset_text: false,
            keys: false,
        }
    }
}

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass, egui};

use crate::capture::{CaptureStatus, CurrentFrame};
use crate::inference::{INFERENCE_MS, InferenceStatus, MASK_AGE};
use bevy::diagnostic::DiagnosticsStore;

pub struct OverlayPlugin;

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<EguiPlugin>() {
            app.add_plugins(EguiPlugin::default());
        }
        // The overlay belongs to the window camera (`PrimaryEguiContext` there), never to a chain
        // camera that renders frames.
        app.insert_resource(EguiGlobalSettings {
            auto_create_primary_context: false,
            ..default()
        })
        .init_resource::<OverlayPanels>()
        .init_resource::<preset_text::PresetTextField>()
        .add_systems(
            EguiPrimaryContextPass,
            (
                status_line,
                split_labels,
                perf::performance_panel,
                perf::comparison_panel,
                preset_panel::preset_editor,
                preset_text::preset_text_panel,
                perf::key_map,
            )
                .chain(),
        );
        // The figures the panels read. The comparer only runs where the panel can show it.
        // It runs models on a thread of its own: native only (the browser has no threads).
        #[cfg(feature = "native")]
        if app.is_plugin_added::<crate::inference::InferencePlugin>()
            && !app.is_plugin_added::<crate::inference::compare::ComparerPlugin>()
        {
            app.add_plugins(crate::inference::compare::ComparerPlugin);
        }
        app.add_message::<crate::inference::compare::BenchmarkAll>();
        if !app.is_plugin_added::<bevy::diagnostic::FrameTimeDiagnosticsPlugin>() {
            app.add_plugins(bevy::diagnostic::FrameTimeDiagnosticsPlugin::default());
        }
        if !app.is_plugin_added::<crate::memory::MemoryDiagnosticsPlugin>() {
            app.add_plugins(crate::memory::MemoryDiagnosticsPlugin);
        }
        if !app.is_plugin_added::<bevy::render::diagnostic::RenderDiagnosticsPlugin>() {
            app.add_plugins(bevy::render::diagnostic::RenderDiagnosticsPlugin);
        }
        if !app.is_plugin_added::<crate::effects::gpu_time::ChainGpuTimesPlugin>() {
            app.add_plugins(crate::effects::gpu_time::ChainGpuTimesPlugin);
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn status_line(
    mut contexts: EguiContexts,
    panels: Res<OverlayPanels>,
    status: Option<Res<CaptureStatus>>,
    current: Res<CurrentFrame>,
    inference: Option<Res<InferenceStatus>>,
    background: Option<Res<crate::effects::background::BackgroundPicture>>,
    diagnostics: Res<DiagnosticsStore>,
    presets: Option<Res<crate::preset::PresetState>>,
    catalog: Option<Res<crate::preset::PresetCatalog>>,
) -> Result {
    if !panels.status {
        return Ok(());
    }
    // No window camera (a headless app): nothing to draw on.
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    egui::Area::new(egui::Id::new("backdrop status"))
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(8.0, 8.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style())
                .fill(egui::Color32::from_black_alpha(170))
                .show(ui, |ui| {
                    let source = status
                        .as_ref()
                        .map_or("headless", |s| s.active_source.as_str());
                    let size = current
                        .frame
                        .as_ref()
                        .map_or("no frame yet".to_owned(), |f| {
                            format!("{}×{}", f.width, f.height)
                        });
                    let mirror = status.as_ref().is_some_and(|s| s.mirror);
                    ui.label(
                        egui::RichText::new(format!(
                            "{source} · {size}{}",
                            if mirror { " · mirrored" } else { "" }
                        ))
                        .color(egui::Color32::WHITE),
                    );
                    if let Some(inference) = &inference {
                        let model = inference.model.as_deref().unwrap_or("no model");
                        let ms = diagnostics
                            .get(&INFERENCE_MS)
                            .and_then(|d| d.smoothed())
                            .map_or(String::new(), |ms| format!(" · {ms:.1} ms"));
                        let age = diagnostics
                            .get(&MASK_AGE)
                            .and_then(|d| d.value())
                            .map_or(String::new(), |a| format!(" · mask age {a:.0}"));
                        ui.label(
                            egui::RichText::new(format!("{model}{ms}{age}"))
                                .color(egui::Color32::WHITE),
                        );
                        ui.label(
                            egui::RichText::new(&inference.backend)
                                .small()
                                .color(egui::Color32::LIGHT_GRAY),
                        );
                        if let Some(loading) = &inference.loading {
                            ui.label(format!("loading {loading}…"));
                        }
                    }
                    if let (Some(presets), Some(catalog)) = (&presets, &catalog) {
                        let name = presets
                            .active
                            .map_or("starting settings".to_owned(), |i| catalog.name(i));
                        let modified = if presets.modified { " (modified)" } else { "" };
                        ui.label(
                            egui::RichText::new(format!("preset {name}{modified}"))
                                .color(egui::Color32::WHITE),
                        );
                    }
                    let preset_problems = presets
                        .iter()
                        .flat_map(|p| p.errors.iter().flatten().chain(&p.save_problem));
                    let inference_problems = inference.iter().flat_map(|s| &s.problems);
                    let background_problems = background.iter().flat_map(|b| &b.problems);
                    for problem in status
                        .iter()
                        .flat_map(|s| &s.problems)
                        .chain(inference_problems)
                        .chain(background_problems)
                        .chain(preset_problems)
                    {
                        ui.label(
                            egui::RichText::new(format!("⚠ {problem}"))
                                .color(egui::Color32::from_rgb(255, 170, 90)),
                        );
                    }
                    ui.label(
                        egui::RichText::new(
                            "H keys · M mirror · N model · B backend · P preset · Esc quit",
                        )
                        .small()
                        .color(egui::Color32::GRAY),
                    );
                });
        });
    Ok(())
}

/// Names the halves of the split view beside the divider.
fn split_labels(
    mut contexts: EguiContexts,
    split: Option<Res<crate::effects::split::SplitView>>,
    current: Res<CurrentFrame>,
    window: Option<Single<&bevy::window::Window, With<bevy::window::PrimaryWindow>>>,
) -> Result {
    let (Some(split), Some(window), Some(frame)) = (split, window, &current.frame) else {
        return Ok(());
    };
    if !split.enabled {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    let rect = crate::display::frame_rect(&window, frame.width, frame.height);
    let x = rect.min.x + split.divider * rect.width();
    let y = rect.min.y + rect.height() * 0.5;
    for (i, (anchor, dx)) in [
        (egui::Align2::RIGHT_CENTER, -8.0),
        (egui::Align2::LEFT_CENTER, 8.0),
    ]
    .into_iter()
    .enumerate()
    {
        egui::Area::new(egui::Id::new(("split label", i)))
            .pivot(anchor)
            .fixed_pos(egui::pos2(x + dx, y))
            .interactable(false)
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style())
                    .fill(egui::Color32::from_black_alpha(170))
                    .show(ui, |ui| {
                        let side = if i == 0 { "A" } else { "B" };
                        ui.label(
                            egui::RichText::new(format!("{side} · {}", split.labels[i]))
                                .color(egui::Color32::WHITE),
                        );
                    });
            });
    }
    Ok(())
}
