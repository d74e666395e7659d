//! Presets: one look for the whole pipeline in a `*.preset.ron` file, loaded as a Bevy asset and
//! hot-reloaded when the file changes.
//!
//! Precedence: the app's starting settings (the playground's command line) hold until a preset
//! is applied; applying one (choosing it, or an edit of the active file on disk) replaces every
//! setting it holds; editor changes then change the live settings and mark the preset modified.
//! A file that fails to load leaves the live settings alone, and its error (file, line, column,
//! message) stays in [`PresetState`] until a good load of that file clears it.
//!
//! Preset files may sit anywhere on disk: each folder becomes an asset source (registered by
//! [`PresetCatalog::install`], which has to run before Bevy's `AssetPlugin` is added), so every
//! preset is watched like any other asset.

mod format;
#[cfg(feature = "native")]
pub mod save;
pub mod text;

pub use format::{EXTENSION, HexColor, Preset, PresetBackground, PresetSyntaxError, SAVED_HEADER};
pub use text::{OpenPresetText, PresetText};

use std::path::{Path, PathBuf};

use bevy::asset::io::{AssetSourceBuilder, Reader};
use bevy::asset::{AssetLoadError, AssetLoadFailedEvent, AssetLoader, AssetPath, LoadContext};
use bevy::prelude::*;

use crate::effects::{BackdropSettings, FrameChain};
use crate::inference::{InferenceSettings, SwitchBackend, SwitchModel, SwitchThreads};

/// The folder of the shipped presets: `assets/presets` under Bevy's asset base
/// (`BEVY_ASSET_ROOT`, the package folder under `cargo run`, or next to the executable).
pub fn shipped_presets_dir() -> PathBuf {
    #[cfg(not(target_arch = "wasm32"))]
    let base = bevy::asset::io::file::FileAssetReader::get_base_path();
    #[cfg(target_arch = "wasm32")]
    let base = PathBuf::new();
    base.join("assets/presets")
}

/// The shipped presets' names (the files in `assets/presets/`), for where the folder cannot be
/// listed (the browser).
pub const SHIPPED_PRESETS: &[&str] = &["default", "reference", "soft-focus", "studio"];

/// Why a preset file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("cannot read it: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Syntax(#[from] PresetSyntaxError),
}

impl Preset {
    /// Reads and parses a preset file. Errors name the file, and the line and column.
    #[cfg(feature = "native")]
    pub fn load_file(path: &Path) -> Result<Self, String> {
        let describe = |e: PresetError| describe_error(path, &e);
        let bytes = std::fs::read(path).map_err(|e| describe(e.into()))?;
        Self::parse(&bytes).map_err(|e| describe(e.into()))
    }
}

/// `path:line:column: message`, the form editors and terminals make clickable.
fn describe_error(path: &Path, error: &PresetError) -> String {
    match error {
        PresetError::Syntax(e) => {
            format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message)
        }
        PresetError::Read(e) => format!("{}: cannot read it: {e}", path.display()),
    }
}

/// Loads `*.preset.ron` files.
#[derive(Default, TypePath)]
pub struct PresetLoader;

impl AssetLoader for PresetLoader {
    type Asset = Preset;
    type Settings = ();
    type Error = PresetError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        _context: &mut LoadContext<'_>,
    ) -> Result<Preset, PresetError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        Ok(Preset::parse(&bytes)?)
    }

    fn extensions(&self) -> &[&str] {
        &[EXTENSION]
    }
}

/// The preset files an app offers, in the order keys cycle through them.
#[derive(Resource, Clone, Debug, Default)]
pub struct PresetCatalog {
    /// Absolute paths.
    pub files: Vec<PathBuf>,
    /// The preset to apply at start (`--preset`).
    pub start: Option<usize>,
    /// Folders registered as asset sources; a file's source is its folder's index here.
    folders: Vec<PathBuf>,
}

impl PresetCatalog {
    /// The presets shipped in `assets/presets/`, by name.
    #[cfg(feature = "native")]
    pub fn shipped() -> Self {
        let mut catalog = Self::default();
        for file in list_presets(&shipped_presets_dir()) {
            catalog.add(file);
        }
        catalog
    }

    /// The presets shipped in `assets/presets/`, by name: in the browser a page cannot list a
    /// folder, so the names come from [`SHIPPED_PRESETS`] (a native test checks it against the
    /// folder).
    #[cfg(not(feature = "native"))]
    pub fn shipped() -> Self {
        let mut catalog = Self::default();
        let folder = shipped_presets_dir();
        for name in SHIPPED_PRESETS {
            catalog.add(folder.join(format!("{name}.{EXTENSION}")));
        }
        catalog
    }

    /// Adds a preset file (anywhere on disk) and applies it at start. Fails when its folder does
    /// not exist; the file itself may appear later.
    #[cfg(feature = "native")]
    pub fn with_start(mut self, path: &Path) -> Result<Self, String> {
        let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let folder = absolute.parent().unwrap_or(Path::new("/"));
        if !folder.is_dir() {
            return Err(format!(
                "{}: the folder {} does not exist",
                path.display(),
                folder.display()
            ));
        }
        let index = match self.files.iter().position(|f| same_file(f, &absolute)) {
            Some(index) => index,
            None => {
                // The user's own preset comes first.
                self.files.insert(0, absolute.clone());
                self.add_folder(folder);
                0
            }
        };
        self.start = Some(index);
        Ok(self)
    }

    fn add(&mut self, file: PathBuf) -> usize {
        if let Some(folder) = file.parent() {
            self.add_folder(folder);
        }
        self.files.push(file);
        self.files.len() - 1
    }

    fn add_folder(&mut self, folder: &Path) -> usize {
        match self.folders.iter().position(|f| f == folder) {
            Some(index) => index,
            None => {
                self.folders.push(folder.to_owned());
                self.folders.len() - 1
            }
        }
    }

    /// Registers one asset source per folder and inserts the catalog. Call before Bevy's
    /// `AssetPlugin` (`DefaultPlugins`) is added: sources are fixed when it builds.
    pub fn install(self, app: &mut App) -> &mut App {
        use bevy::asset::AssetApp;
        for (index, folder) in self.folders.iter().enumerate() {
            app.register_asset_source(
                source_name(index),
                AssetSourceBuilder::platform_default(&folder.to_string_lossy(), None),
            );
        }
        app.insert_resource(self)
    }

    /// A file's name without `.preset.ron`.
    pub fn name(&self, index: usize) -> String {
        preset_name(&self.files[index])
    }

    /// The asset path of a file in a registered folder.
    fn asset_path(&self, file: &Path) -> Option<AssetPath<'static>> {
        let folder = file.parent()?;
        let index = self.folders.iter().position(|f| f == folder)?;
        let name = file.file_name()?.to_string_lossy().into_owned();
        Some(AssetPath::from(name).with_source(source_name(index)))
    }
}

fn source_name(index: usize) -> String {
    format!("backdrop-presets-{index}")
}

#[cfg(feature = "native")]
fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The absolute folder of a preset file: where its relative background paths start.
pub fn folder_of(path: &Path) -> Option<PathBuf> {
    std::path::absolute(path.parent()?).ok()
}

/// `studio` for `…/studio.preset.ron`.
pub fn preset_name(path: &Path) -> String {
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    file_name
        .strip_suffix(&format!(".{EXTENSION}"))
        .unwrap_or(&file_name)
        .to_owned()
}

/// The `*.preset.ron` files in a folder, by name.
#[cfg(feature = "native")]
pub fn list_presets(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&format!(".{EXTENSION}")))
        })
        .collect();
    files.sort();
    files
}

/// The live preset: which file it came from, its values with the editor's changes, and every
/// file's newest load error.
#[derive(Resource, Debug)]
pub struct PresetState {
    handles: Vec<Handle<Preset>>,
    /// Index into the catalog; `None` while the starting settings hold.
    pub active: Option<usize>,
    /// The values in force (the active preset, or the starting settings, plus editor changes).
    pub live: Preset,
    /// The editor changed `live` since the preset was applied.
    pub modified: bool,
    /// Per catalog file: the newest load error, until a good load clears it.
    pub errors: Vec<Option<String>>,
    /// The active file's text when `live` came from it, to notice edits made since.
    seen_text: Option<String>,
    /// Apply `live` at the next update.
    dirty: bool,
    /// The newest problem with saving, shown until the next save.
    pub save_problem: Option<String>,
}

impl PresetState {
    /// Marks `live` as changed by the editor; it is applied at the next update.
    pub fn edit(&mut self) {
        self.modified = true;
        self.dirty = true;
    }

    /// The text of the active file when `live` came from it.
    pub fn seen_text(&self) -> Option<&str> {
        self.seen_text.as_deref()
    }

    /// A state with no catalog behind it, holding `live`.
    #[cfg(test)]
    pub(crate) fn for_tests(live: Preset) -> Self {
        Self {
            handles: Vec::new(),
            active: None,
            live,
            modified: false,
            errors: Vec::new(),
            seen_text: None,
            dirty: false,
            save_problem: None,
        }
    }
}

/// Ask the preset plugin to do something.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum PresetAction {
    /// Make this catalog file the active preset (applied once loaded).
    Select(usize),
    /// The next (+1) or previous (−1) file in the catalog.
    Cycle(i32),
    /// Drop the editor's changes and reload the active file from disk.
    Revert,
    /// Write `live` to the active file. Unless `overwrite`, only when that loses nothing the user
    /// wrote; otherwise the state's `confirm` asks.
    Save { overwrite: bool },
    /// Write `live` to a new file beside the active one (or in the shipped folder).
    SaveAsNew,
    /// Write the text editor's text, as typed, to the active file (a new file when none is
    /// active); the same questions as `Save` first.
    SaveText { overwrite: bool },
}

/// What the editor should ask the user before saving.
#[derive(Resource, Debug, Default)]
pub struct SaveQuestion(pub Option<String>);

pub struct PresetPlugin;

impl Plugin for PresetPlugin {
    fn build(&self, app: &mut App) {
        app.init_asset::<Preset>()
            .init_asset_loader::<PresetLoader>()
            .add_message::<PresetAction>()
            // Also when inference is off: applying a preset may still ask for a model.
            .add_message::<SwitchModel>()
            .add_message::<SwitchBackend>()
            .add_message::<SwitchThreads>()
            .init_resource::<SaveQuestion>()
            .init_resource::<PresetText>()
            .add_message::<OpenPresetText>()
            .add_systems(Startup, load_catalog)
            .add_systems(
                Update,
                (
                    follow_preset_assets,
                    handle_actions,
                    text::open_texts,
                    apply_live,
                    text::follow_live,
                )
                    .chain(),
            );
    }
}

fn load_catalog(
    mut commands: Commands,
    catalog: Option<Res<PresetCatalog>>,
    server: Res<AssetServer>,
    chain: Option<Res<FrameChain>>,
    settings: Query<&BackdropSettings>,
    inference: Option<Res<InferenceSettings>>,
) {
    let catalog = match catalog {
        Some(catalog) => catalog.clone(),
        None => {
            info!("presets: no PresetCatalog installed; the preset keys and editor have no files");
            commands.insert_resource(PresetCatalog::default());
            PresetCatalog::default()
        }
    };
    // One handle and one error slot per catalog file, index for index.
    let mut errors = vec![None; catalog.files.len()];
    let handles = catalog
        .files
        .iter()
        .zip(&mut errors)
        .map(|(file, error)| match catalog.asset_path(file) {
            Some(path) => server.load::<Preset>(path),
            None => {
                *error = Some(format!(
                    "{}: its folder is not an asset source (PresetCatalog::install runs before DefaultPlugins)",
                    file.display()
                ));
                Handle::default()
            }
        })
        .collect::<Vec<_>>();
    let current = chain
        .and_then(|chain| settings.get(chain.camera).ok().cloned())
        .unwrap_or_default();
    commands.insert_resource(PresetState {
        errors,
        handles,
        active: catalog.start,
        live: from_settings(&current, inference.as_deref()),
        modified: false,
        seen_text: None,
        dirty: false,
        save_problem: None,
    });
}

/// A preset holding the given live settings (the starting settings, before any preset).
pub fn from_settings(settings: &BackdropSettings, inference: Option<&InferenceSettings>) -> Preset {
    use crate::effects::Background;
    let defaults = Preset::default();
    let (model, backend, threads) = inference.map_or(
        (defaults.model.clone(), defaults.backend, defaults.threads),
        |i| (i.model.clone(), i.backend, i.threads as u32),
    );
    Preset {
        model,
        backend,
        threads,
        background: match &settings.composite.background {
            Background::None => PresetBackground::None,
            Background::Blur => PresetBackground::Blur,
            Background::Color(c) => PresetBackground::Color(HexColor(*c)),
            Background::Image(p) => PresetBackground::Image(p.clone()),
            Background::Video(p) => PresetBackground::Video(p.clone()),
        },
        blur_radius: settings.blur.radius,
        refine: settings.refine,
        bilateral: settings.bilateral,
        guided: settings.guided,
        temporal: settings.temporal,
        coverage: settings.composite.coverage,
        light_wrap: settings.composite.light_wrap,
    }
}

/// Takes good loads (clearing the file's error, applying it when it is the active preset) and
/// failed ones (keeping the live settings, recording the error).
fn follow_preset_assets(
    mut events: MessageReader<AssetEvent<Preset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<Preset>>,
    catalog: Res<PresetCatalog>,
    presets: Res<Assets<Preset>>,
    state: Option<ResMut<PresetState>>,
) {
    let Some(mut state) = state else {
        return;
    };
    for event in events.read() {
        let (AssetEvent::LoadedWithDependencies { id } | AssetEvent::Modified { id }) = event
        else {
            continue;
        };
        let Some(index) = state.handles.iter().position(|h| h.id() == *id) else {
            continue;
        };
        if state.errors[index].take().is_some() {
            info!("preset {}: loads again", catalog.files[index].display());
        }
        if state.active == Some(index)
            && let Some(preset) = presets.get(*id)
        {
            // The echo of our own save (or a touch that changed nothing) must not undo editor
            // changes made since: only new text on disk replaces the live values.
            let text = file_text(&catalog.files[index]);
            if text.is_some() && text == state.seen_text {
                continue;
            }
            take_preset(&mut state, preset.clone(), text);
        }
    }
    for failure in failures.read() {
        let Some(index) = state.handles.iter().position(|h| h.id() == failure.id) else {
            continue;
        };
        let file = &catalog.files[index];
        let message = match &failure.error {
            AssetLoadError::AssetLoaderError(e) => match e.error().downcast_ref::<PresetError>() {
                Some(e) => describe_error(file, e),
                None => format!("{}: {}", file.display(), e.error()),
            },
            other => format!("{}: {other}", file.display()),
        };
        let keeps = if state.active == Some(index) {
            " — keeping the last good settings"
        } else {
            ""
        };
        error!("preset {message}{keeps}");
        state.errors[index] = Some(message);
    }
}

/// A preset file's text now, to notice edits made since it was applied (native: the browser's
/// presets have no file to edit behind the app's back).
fn file_text(path: &Path) -> Option<String> {
    #[cfg(feature = "native")]
    {
        std::fs::read_to_string(path).ok()
    }
    #[cfg(not(feature = "native"))]
    {
        let _ = path;
        None
    }
}

/// Makes a preset the live values; `text` is its file's text now. The text only counts as seen
/// when it holds this preset (not a broken or newer edit, which a save must ask before losing).
fn take_preset(state: &mut PresetState, preset: Preset, text: Option<String>) {
    state.seen_text = text.filter(|t| Preset::parse(t.as_bytes()).as_ref() == Ok(&preset));
    state.live = preset;
    state.modified = false;
    state.dirty = true;
}

#[cfg_attr(
    not(feature = "native"),
    expect(unused_mut, reason = "only saving changes the catalog")
)]
fn handle_actions(
    mut actions: MessageReader<PresetAction>,
    mut catalog: ResMut<PresetCatalog>,
    presets: Res<Assets<Preset>>,
    server: Res<AssetServer>,
    state: Option<ResMut<PresetState>>,
    mut question: ResMut<SaveQuestion>,
    text: Res<PresetText>,
) {
    let Some(mut state) = state else {
        return;
    };
    for action in actions.read() {
        match action {
            PresetAction::Select(index) => select(&mut state, &catalog, &presets, *index),
            PresetAction::Cycle(step) => {
                let count = catalog.files.len() as i32;
                if count == 0 {
                    continue;
                }
                let next = match state.active {
                    Some(i) => (i as i32 + step).rem_euclid(count),
                    None if *step >= 0 => 0,
                    None => count - 1,
                };
                select(&mut state, &catalog, &presets, next as usize);
            }
            PresetAction::Revert => {
                let Some(index) = state.active else { continue };
                if let Some(preset) = presets.get(&state.handles[index]) {
                    let text = file_text(&catalog.files[index]);
                    take_preset(&mut state, preset.clone(), text);
                }
                server.reload(
                    state.handles[index]
                        .path()
                        .cloned()
                        .expect("loaded by path"),
                );
            }
            #[cfg(feature = "native")]
            PresetAction::Save { overwrite } => {
                let Some(index) = state.active else {
                    save_as_new(&mut state, &mut catalog, &server);
                    continue;
                };
                let file = catalog.files[index].clone();
                if !overwrite
                    && let save::SaveCheck::Ask(why) = save::check_save(&file, state.seen_text())
                {
                    question.0 = Some(why);
                    continue;
                }
                question.0 = None;
                write_active(&mut state, &file);
            }
            #[cfg(feature = "native")]
            PresetAction::SaveAsNew => {
                question.0 = None;
                save_as_new(&mut state, &mut catalog, &server);
            }
            #[cfg(feature = "native")]
            PresetAction::SaveText { overwrite } => {
                if let Some(problem) = &text.problem {
                    state.save_problem = Some(format!("the text is not a preset yet ({problem})"));
                    continue;
                }
                let Some(index) = state.active else {
                    save_as_new(&mut state, &mut catalog, &server);
                    continue;
                };
                let file = catalog.files[index].clone();
                if !overwrite
                    && let save::SaveCheck::Ask(why) =
                        save::check_save_text(&file, state.seen_text())
                {
                    question.0 = Some(why);
                    continue;
                }
                question.0 = None;
                let written = save::write_text(&file, &text.text).map(|()| text.text.clone());
                record_save(&mut state, &file, written);
            }
            #[cfg(not(feature = "native"))]
            PresetAction::Save { .. } | PresetAction::SaveAsNew | PresetAction::SaveText { .. } => {
                let _ = &text;
                question.0 = None;
                state.save_problem =
                    Some("presets are saved to disk by the native app only".into());
            }
        }
    }
}

fn select(
    state: &mut PresetState,
    catalog: &PresetCatalog,
    presets: &Assets<Preset>,
    index: usize,
) {
    if index >= catalog.files.len() {
        return;
    }
    state.active = Some(index);
    match presets.get(&state.handles[index]) {
        Some(preset) => {
            let text = file_text(&catalog.files[index]);
            take_preset(state, preset.clone(), text);
        }
        // Not loaded (yet, or it failed): applied when it loads; its error is on screen.
        None => info!(
            "preset {}: applied once it loads",
            catalog.files[index].display()
        ),
    }
}

#[cfg(feature = "native")]
fn write_active(state: &mut PresetState, file: &Path) {
    let written = save::write_preset(file, &state.live);
    record_save(state, file, written);
}

/// What a save did: the text now on disk is what `live` came from, or the problem to show.
#[cfg(feature = "native")]
fn record_save(state: &mut PresetState, file: &Path, written: std::io::Result<String>) {
    match written {
        Ok(text) => {
            info!("preset saved to {}", file.display());
            state.seen_text = Some(text);
            state.modified = false;
            state.save_problem = None;
        }
        Err(e) => {
            let problem = format!("{}: cannot save: {e}", file.display());
            error!("preset {problem}");
            state.save_problem = Some(problem);
        }
    }
}

#[cfg(feature = "native")]
fn save_as_new(state: &mut PresetState, catalog: &mut PresetCatalog, server: &AssetServer) {
    let beside = match state.active {
        Some(index) => catalog.files[index].clone(),
        None => shipped_presets_dir().join(format!("custom.{EXTENSION}")),
    };
    let file = save::unused_name(&beside);
    let Some(path) = catalog.asset_path(&file) else {
        state.save_problem = Some(format!(
            "{}: not in a preset folder this app watches",
            file.display()
        ));
        return;
    };
    write_active(state, &file);
    if state.save_problem.is_none() {
        catalog.files.push(file);
        state.handles.push(server.load::<Preset>(path));
        state.errors.push(None);
        state.active = Some(catalog.files.len() - 1);
    }
}

/// Writes `live` into the chain's settings and asks inference for a change of model, backend or
/// threads.
#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn apply_live(
    state: Option<ResMut<PresetState>>,
    catalog: Res<PresetCatalog>,
    chain: Option<Res<FrameChain>>,
    mut chains: Query<&mut BackdropSettings>,
    inference: Option<Res<InferenceSettings>>,
    mut switch_model: MessageWriter<SwitchModel>,
    mut switch_backend: MessageWriter<SwitchBackend>,
    mut switch_threads: MessageWriter<SwitchThreads>,
) {
    let Some(mut state) = state else {
        return;
    };
    if !state.dirty {
        return;
    }
    state.dirty = false;
    let live = &state.live;
    let folder = state
        .active
        .and_then(|i| catalog.files.get(i))
        .and_then(|f| f.parent());
    if let Some(chain) = chain
        && let Ok(mut settings) = chains.get_mut(chain.camera)
    {
        let wanted = live.effects(&settings, folder);
        if *settings != wanted {
            *settings = wanted;
        }
    }
    if let Some(inference) = inference
        && inference.custom.is_none()
    {
        if inference.model != live.model {
            switch_model.write(SwitchModel(live.model.clone()));
        }
        if inference.backend != live.backend {
            switch_backend.write(SwitchBackend(live.backend));
        }
        if inference.threads != live.threads as usize {
            switch_threads.write(SwitchThreads(live.threads as usize));
        }
    }
}
