//! The preset's RON text, editable in place: every edit that parses is the live preset from the
//! next frame on, one that does not shows `line:column: message` while the last good look runs
//! (`preset::text`). Natively, Save writes the text as typed to the active preset file, asking
//! first when that would lose something (the preset editor's rules); in the browser the page's
//! Download and Open buttons do the file work, and the page keeps the last edit.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::preset::{PresetAction, PresetCatalog, PresetState, PresetText, SaveQuestion};

/// Where the text field is on screen (logical pixels: x, y, width, height), for the page's
/// tests, which type into it.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct PresetTextField(pub Option<[f32; 4]>);

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
pub(super) fn preset_text_panel(
    mut contexts: EguiContexts,
    panels: Res<super::OverlayPanels>,
    text: Option<ResMut<PresetText>>,
    state: Option<ResMut<PresetState>>,
    catalog: Option<Res<PresetCatalog>>,
    question: Res<SaveQuestion>,
    mut actions: MessageWriter<PresetAction>,
    mut field: ResMut<PresetTextField>,
) -> Result {
    field.0 = None;
    let (Some(mut text), Some(mut state), Some(catalog)) = (text, state, catalog) else {
        return Ok(());
    };
    if !panels.preset_text {
        return Ok(());
    }
    let Ok(ctx) = contexts.ctx_mut() else {
        return Ok(());
    };
    let name = text.name(&catalog);
    egui::Window::new("Preset text")
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(8.0, 40.0))
        .default_width(380.0)
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(format!("{name}.{}", crate::preset::EXTENSION));
            let mut edited = text.text.clone();
            let response = ui.add(
                egui::TextEdit::multiline(&mut edited)
                    .code_editor()
                    .desired_rows(14)
                    .desired_width(f32::INFINITY),
            );
            let r = response.rect;
            field.0 = Some([r.min.x, r.min.y, r.width(), r.height()]);
            if response.changed() {
                text.edit(edited, &mut state);
            }
            match &text.problem {
                Some(problem) => {
                    ui.colored_label(
                        egui::Color32::from_rgb(255, 120, 90),
                        format!("⚠ {problem}"),
                    );
                    ui.label(
                        egui::RichText::new("the last good look keeps running")
                            .small()
                            .color(egui::Color32::GRAY),
                    );
                }
                None => {
                    ui.label(
                        egui::RichText::new("applied")
                            .small()
                            .color(egui::Color32::from_rgb(120, 200, 120)),
                    );
                }
            }
            save_row(ui, &state, &question, &mut actions);
        });
    Ok(())
}

#[cfg(feature = "native")]
fn save_row(
    ui: &mut egui::Ui,
    state: &PresetState,
    question: &SaveQuestion,
    actions: &mut MessageWriter<PresetAction>,
) {
    if ui
        .button("Save")
        .on_hover_text("Write this text to the preset file (a new file when none is chosen)")
        .clicked()
    {
        actions.write(PresetAction::SaveText { overwrite: false });
    }
    super::preset_panel::save_answers(
        ui,
        state,
        question,
        actions,
        PresetAction::SaveText { overwrite: true },
    );
}

#[cfg(not(feature = "native"))]
fn save_row(
    ui: &mut egui::Ui,
    _state: &PresetState,
    _question: &SaveQuestion,
    _actions: &mut MessageWriter<PresetAction>,
) {
    ui.label(
        egui::RichText::new(
            "Download / Open: the page's buttons. The last edit is kept in this browser.",
        )
        .small()
        .color(egui::Color32::GRAY),
    );
}
