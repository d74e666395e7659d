//! The preset as RON text, edited live: the text editor shows the live preset's text (its file's
//! own text, comments and all, while that is what runs), and every edit that parses becomes the
//! live preset at the next update — the same parser and range rules as a preset file. An edit
//! that does not parse leaves the last good look running and says `line:column: message`.
//!
//! The text editor panel (`overlay`), the page's Open and its stored last edit (web), and tests
//! all go through [`PresetText::edit`] or [`OpenPresetText`].

use bevy::prelude::*;

use super::{Preset, PresetCatalog, PresetState};

/// What the text editor shows.
#[derive(Resource, Debug, Default)]
pub struct PresetText {
    /// The text as the user has it (it may not parse).
    pub text: String,
    /// Why `text` is not a preset (`line:column: message`); `None` when it is the live preset.
    pub problem: Option<String>,
    /// The live preset the text stands for, to notice changes made elsewhere (another preset, a
    /// file edited on disk, the field editor).
    shows: Option<Preset>,
    /// The name of the file opened into the editor, until another preset is chosen.
    opened: Option<String>,
    /// The catalog entry the text came from.
    active: Option<usize>,
    /// Edits applied from the text since the app started (the page stores the text on each).
    pub applied_edits: u64,
}

impl PresetText {
    /// An edit of the text: a preset that parses becomes the live one (applied at the next
    /// update); one that does not is kept as typed, with its problem, and changes nothing live.
    pub fn edit(&mut self, text: String, state: &mut PresetState) {
        self.text = text;
        match Preset::parse(self.text.as_bytes()) {
            Ok(preset) => {
                self.problem = None;
                self.applied_edits += 1;
                if preset != state.live {
                    state.live = preset.clone();
                    state.edit();
                }
                self.shows = Some(preset);
            }
            Err(e) => self.problem = Some(format!("{}:{}: {}", e.line, e.column, e.message)),
        }
    }

    /// The name to save or download the text under: the opened file's, the active preset's, or
    /// `custom`.
    pub fn name(&self, catalog: &PresetCatalog) -> String {
        self.opened
            .clone()
            .or_else(|| self.active.map(|i| catalog.name(i)))
            .unwrap_or_else(|| "custom".into())
    }
}

/// Put this text into the editor as if typed, under this name (a file the user opened, or the
/// page's stored last edit). `name` may end in `.preset.ron`.
#[derive(Message, Clone, Debug)]
pub struct OpenPresetText {
    pub name: String,
    pub text: String,
}

/// Opened texts into the editor.
pub(super) fn open_texts(
    mut opened: MessageReader<OpenPresetText>,
    text: Option<ResMut<PresetText>>,
    state: Option<ResMut<PresetState>>,
) {
    let (Some(mut text), Some(mut state)) = (text, state) else {
        return;
    };
    for open in opened.read() {
        let name = open.name.rsplit(['/', '\\']).next().unwrap_or(&open.name);
        let name = name
            .strip_suffix(&format!(".{}", super::EXTENSION))
            .or_else(|| name.strip_suffix(".ron"))
            .unwrap_or(name);
        text.opened = Some(name.to_owned());
        text.edit(open.text.clone(), &mut state);
        match &text.problem {
            Some(problem) => warn!("preset {}: {problem}", open.name),
            None => info!("preset {}: opened in the text editor", open.name),
        }
    }
}

/// Keeps the text on the live preset when that changes elsewhere. Text that does not parse is
/// the user's unfinished edit: it stays until they finish it or choose another preset.
pub(super) fn follow_live(text: Option<ResMut<PresetText>>, state: Option<Res<PresetState>>) {
    let (Some(mut text), Some(state)) = (text, state) else {
        return;
    };
    let switched = text.active != state.active;
    if !switched && (text.shows.as_ref() == Some(&state.live) || text.problem.is_some()) {
        return;
    }
    if switched {
        text.opened = None;
    }
    text.active = state.active;
    // The file's own text while it holds exactly the live values (its comments stay in view).
    text.text = match state.seen_text() {
        Some(seen) if Preset::parse(seen.as_bytes()).as_ref() == Ok(&state.live) => seen.to_owned(),
        _ => state.live.to_ron(),
    };
    text.problem = None;
    text.shows = Some(state.live.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PresetState {
        PresetState::for_tests(Preset::default())
    }

    #[test]
    fn an_edit_that_parses_becomes_live_and_one_that_does_not_changes_nothing() {
        let mut state = state();
        let mut text = PresetText::default();
        text.edit("(blur_radius: 40.0)".into(), &mut state);
        assert_eq!(text.problem, None);
        assert_eq!(state.live.blur_radius, 40.0);
        assert!(state.modified);

        text.edit("(blur_radius: 40.0, colour: 3)".into(), &mut state);
        let problem = text.problem.clone().expect("an unknown field is a problem");
        assert!(problem.starts_with("1:"), "{problem}");
        assert!(problem.contains("colour"), "{problem}");
        assert_eq!(state.live.blur_radius, 40.0, "the last good look stays");
        assert_eq!(
            text.text, "(blur_radius: 40.0, colour: 3)",
            "the text stays as typed"
        );

        // The same range rules as a file.
        text.edit("(\n  blur_radius: -4.0,\n)".into(), &mut state);
        assert!(
            text.problem.as_deref().unwrap().starts_with("2:"),
            "{:?}",
            text.problem
        );
        assert_eq!(state.live.blur_radius, 40.0);
    }

    #[test]
    fn the_text_follows_changes_made_elsewhere_but_not_over_an_unfinished_edit() {
        let mut app = App::new();
        app.insert_resource(state())
            .init_resource::<PresetText>()
            .add_systems(Update, follow_live);
        app.update();
        let shown = app.world().resource::<PresetText>().text.clone();
        assert_eq!(Preset::parse(shown.as_bytes()), Ok(Preset::default()));

        // The field editor changes the live values: the text follows.
        app.world_mut()
            .resource_mut::<PresetState>()
            .live
            .blur_radius = 7.0;
        app.update();
        let shown = app.world().resource::<PresetText>().text.clone();
        assert_eq!(Preset::parse(shown.as_bytes()).unwrap().blur_radius, 7.0);

        // An unfinished edit is not thrown away by a change elsewhere.
        app.world_mut()
            .resource_scope(|world, mut text: Mut<PresetText>| {
                let mut state = world.resource_mut::<PresetState>();
                text.edit("(blur_radius: 9".into(), &mut state);
            });
        app.world_mut()
            .resource_mut::<PresetState>()
            .live
            .blur_radius = 8.0;
        app.update();
        assert_eq!(app.world().resource::<PresetText>().text, "(blur_radius: 9");
    }
}
