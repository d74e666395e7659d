//! The preset editor: a control for every preset field (changes apply live and mark the preset
//! modified), the preset list, Save / Save as new / Revert, and a question before a save would
//! lose something the user wrote. It only edits [`PresetState::live`] and sends
//! [`PresetAction`]s; the preset plugin does the rest.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::effects::{
    BlurSettings, CompositeSettings, GuidedSettings, JointBilateralSettings, LightWrapSettings,
    RefineMethod, TemporalSettings, WrapMode,
};
use crate::inference::{BackendChoice, InferenceSettings, ModelTable, ModelTableHandle};
use crate::limits::Limit;
use crate::preset::{
    HexColor, Preset, PresetAction, PresetBackground, PresetCatalog, PresetState, SaveQuestion,
};

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
pub(super) fn preset_editor(
    mut contexts: EguiContexts,
    panels: Res<super::OverlayPanels>,
    state: Option<ResMut<PresetState>>,
    catalog: Option<Res<PresetCatalog>>,
    question: Res<SaveQuestion>,
    inference: Option<Res<InferenceSettings>>,
    table: Option<Res<ModelTableHandle>>,
    tables: Option<Res<Assets<ModelTable>>>,
    mut actions: MessageWriter<PresetAction>,
) -> Result {
    let (Some(mut state), Some(catalog)) = (state, catalog) else {
        return Ok(());
    };
    if !panels.preset_editor {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    let model_ids = match (&table, &tables) {
        (Some(table), Some(tables)) => table.ids(tables),
        _ => Vec::new(),
    };
    egui::Window::new("Preset")
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, 8.0))
        .default_open(false)
        .resizable(false)
        .show(ctx, |ui| {
            preset_menu(ui, &state, &catalog, &mut actions);
            ui.separator();
            let mut edited = state.live.clone();
            fields(ui, &mut edited, inference.is_some(), &model_ids);
            if edited != state.live {
                state.live = edited;
                state.edit();
            }
            ui.separator();
            ui.horizontal(|ui| {
                let save = ui.add_enabled(state.active.is_some(), egui::Button::new("Save"));
                if save
                    .on_hover_text("Write these values to the preset file")
                    .clicked()
                {
                    actions.write(PresetAction::Save { overwrite: false });
                }
                if ui
                    .button("Save as new")
                    .on_hover_text("Write these values to a new file beside the preset")
                    .clicked()
                {
                    actions.write(PresetAction::SaveAsNew);
                }
                let revert = ui.add_enabled(state.active.is_some(), egui::Button::new("Revert"));
                if revert
                    .on_hover_text("Reload the preset from disk")
                    .clicked()
                {
                    actions.write(PresetAction::Revert);
                }
            });
            save_answers(
                ui,
                &state,
                &question,
                &mut actions,
                PresetAction::Save { overwrite: true },
            );
        });
    Ok(())
}

/// The question a save asks (Overwrite, which sends `overwrite`, or Save as new), and the newest
/// problem with saving.
pub(super) fn save_answers(
    ui: &mut egui::Ui,
    state: &PresetState,
    question: &SaveQuestion,
    actions: &mut MessageWriter<PresetAction>,
    overwrite: PresetAction,
) {
    if let Some(why) = &question.0 {
        ui.colored_label(egui::Color32::from_rgb(255, 200, 90), why);
        ui.horizontal(|ui| {
            if ui.button("Overwrite").clicked() {
                actions.write(overwrite);
            }
            if ui.button("Save as new").clicked() {
                actions.write(PresetAction::SaveAsNew);
            }
        });
    }
    if let Some(problem) = &state.save_problem {
        ui.colored_label(
            egui::Color32::from_rgb(255, 170, 90),
            format!("⚠ {problem}"),
        );
    }
}

fn preset_menu(
    ui: &mut egui::Ui,
    state: &PresetState,
    catalog: &PresetCatalog,
    actions: &mut MessageWriter<PresetAction>,
) {
    let current = state
        .active
        .map_or("(starting settings)".to_owned(), |i| catalog.name(i));
    let modified = if state.modified { " (modified)" } else { "" };
    egui::ComboBox::from_label("preset")
        .selected_text(format!("{current}{modified}"))
        .show_ui(ui, |ui| {
            for index in 0..catalog.files.len() {
                let selected = state.active == Some(index);
                if ui.selectable_label(selected, catalog.name(index)).clicked() && !selected {
                    actions.write(PresetAction::Select(index));
                }
            }
        });
    if let Some(index) = state.active {
        ui.label(
            egui::RichText::new(catalog.files[index].display().to_string())
                .small()
                .color(egui::Color32::GRAY),
        );
    }
}

fn slider(ui: &mut egui::Ui, value: &mut f32, limit: Limit<f32>, label: &str) {
    ui.add(egui::Slider::new(value, limit.min..=limit.editor_max()).text(label));
}

fn fields(ui: &mut egui::Ui, preset: &mut Preset, inference: bool, model_ids: &[String]) {
    ui.add_enabled_ui(inference, |ui| {
        egui::ComboBox::from_label("model")
            .selected_text(&preset.model)
            .show_ui(ui, |ui| {
                for id in model_ids {
                    ui.selectable_value(&mut preset.model, id.clone(), id);
                }
            });
        egui::ComboBox::from_label("backend")
            .selected_text(preset.backend.to_string())
            .show_ui(ui, |ui| {
                for choice in BackendChoice::ALL {
                    ui.selectable_value(&mut preset.backend, choice, choice.to_string());
                }
            });
        let threads = InferenceSettings::THREADS;
        ui.add(
            egui::DragValue::new(&mut preset.threads)
                .range(threads.min..=threads.max)
                .prefix("threads "),
        );
    });
    background(ui, &mut preset.background);
    slider(
        ui,
        &mut preset.blur_radius,
        BlurSettings::RADIUS,
        "blur radius (px)",
    );
    egui::ComboBox::from_label("refine")
        .selected_text(preset.refine.name())
        .show_ui(ui, |ui| {
            for &method in <RefineMethod as crate::effects::ShaderChoice>::ALL {
                ui.selectable_value(&mut preset.refine, method, method.name());
            }
        });
    let radius = GuidedSettings::RADIUS;
    ui.add(
        egui::DragValue::new(&mut preset.guided.radius)
            .range(radius.min..=radius.max)
            .prefix("guided radius "),
    );
    slider(
        ui,
        &mut preset.guided.epsilon,
        GuidedSettings::EPSILON,
        "guided ε",
    );
    slider(
        ui,
        &mut preset.bilateral.sigma_space,
        JointBilateralSettings::SIGMA_SPACE,
        "bilateral σ space",
    );
    slider(
        ui,
        &mut preset.bilateral.sigma_color,
        JointBilateralSettings::SIGMA_COLOR,
        "bilateral σ colour",
    );
    slider(
        ui,
        &mut preset.temporal.smoothing,
        TemporalSettings::SMOOTHING,
        "temporal smoothing",
    );
    slider(
        ui,
        &mut preset.temporal.motion_sensitivity,
        TemporalSettings::MOTION_SENSITIVITY,
        "motion sensitivity",
    );
    let (mut low, mut high) = preset.coverage;
    slider(ui, &mut low, CompositeSettings::COVERAGE, "coverage low");
    slider(ui, &mut high, CompositeSettings::COVERAGE, "coverage high");
    // Keep 0 ≤ low < high < 1 whichever end moved.
    let step = 0.01;
    if low >= high {
        if low != preset.coverage.0 {
            high = (low + step).min(CompositeSettings::COVERAGE.editor_max());
            low = low.min(high - step);
        } else {
            low = (high - step).max(0.0);
            high = high.max(low + step);
        }
    }
    preset.coverage = (low, high);
    slider(
        ui,
        &mut preset.light_wrap.strength,
        LightWrapSettings::STRENGTH,
        "light wrap",
    );
    egui::ComboBox::from_label("wrap blend")
        .selected_text(preset.light_wrap.mode.name())
        .show_ui(ui, |ui| {
            for &mode in <WrapMode as crate::effects::ShaderChoice>::ALL {
                ui.selectable_value(&mut preset.light_wrap.mode, mode, mode.name());
            }
        });
}

fn background(ui: &mut egui::Ui, background: &mut PresetBackground) {
    let kind = match background {
        PresetBackground::None => "none",
        PresetBackground::Blur => "blur",
        PresetBackground::Color(_) => "colour",
        PresetBackground::Image(_) => "image",
        PresetBackground::Video(_) => "video",
    };
    egui::ComboBox::from_label("background")
        .selected_text(kind)
        .show_ui(ui, |ui| {
            let path = match background {
                PresetBackground::Image(p) | PresetBackground::Video(p) => p.clone(),
                _ => Default::default(),
            };
            let choices = [
                ("none", PresetBackground::None),
                ("blur", PresetBackground::Blur),
                (
                    "colour",
                    PresetBackground::Color(HexColor(Srgba::rgb(0.2, 0.4, 0.8))),
                ),
                ("image", PresetBackground::Image(path.clone())),
                ("video", PresetBackground::Video(path)),
            ];
            for (name, choice) in choices {
                if ui.selectable_label(name == kind, name).clicked() && name != kind {
                    *background = choice;
                }
            }
        });
    match background {
        PresetBackground::Color(HexColor(colour)) => {
            let mut rgb = colour.to_u8_array_no_alpha();
            if ui.color_edit_button_srgb(&mut rgb).changed() {
                *colour = Srgba::rgb_u8(rgb[0], rgb[1], rgb[2]);
            }
        }
        PresetBackground::Image(path) | PresetBackground::Video(path) => {
            // Applied when the field is left or Enter is pressed, not at every keystroke (a
            // half-typed path would be tried as a file).
            let key = egui::Id::new("preset background path");
            let mut text = ui
                .data(|d| d.get_temp::<String>(key))
                .unwrap_or_else(|| path.display().to_string());
            let response = ui.add(egui::TextEdit::singleline(&mut text).hint_text("path"));
            if response.changed() {
                ui.data_mut(|d| d.insert_temp(key, text.clone()));
            }
            if response.lost_focus() {
                *path = text.into();
                ui.data_mut(|d| d.remove::<String>(key));
            }
        }
        _ => {}
    }
}
