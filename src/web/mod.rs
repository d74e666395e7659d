//! The page bridge (the `web` feature, wasm32): what the playground's page and the app say to
//! each other.
//!
//! - The page → the app: functions the page's controls call (`backdrop_use_camera`,
//!   `backdrop_open_file`, `backdrop_set_mirror`), queued and applied by a system once per frame.
//! - The app → the page: `window.backdropState`, an object rewritten a few times a second with
//!   what the overlay shows (backend, adapter, fps, frame time, per-stage and per-pass timings,
//!   source, model, problems) — the page's status line reads it, and so do the browser tests.
//!
//! `web/index.html` is the page; `web/main.rs` the app.

use std::cell::RefCell;

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore, FrameCount, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use wasm_bindgen::prelude::*;

use crate::capture::browser::BrowserVideo;
use crate::capture::still::StillSource;
use crate::capture::{
    CAPTURE_FPS, CaptureStatus, FrameSource, LiveCapture, SourceFactory, SourceSpec, SwitchSource,
};
use crate::effects::GPU_SPANS;
use crate::effects::gpu_time::gpu_ms_path;
use crate::inference::{INFERENCE_MS, InferenceStatus, MASK_AGE, PREPROCESS_MS};
use crate::overlay::{OverlayPanels, PresetTextField};
use crate::preset::{OpenPresetText, PresetCatalog, PresetText};

/// The rendering backend this build was made for.
pub const BACKEND: &str = if cfg!(feature = "web-webgpu") {
    "WebGPU"
} else {
    "WebGL2"
};

/// How often `window.backdropState` is rewritten.
const PUBLISH_EVERY_SECONDS: f32 = 0.25;

/// What the page asked for, in order.
enum PageRequest {
    Camera(u32),
    File { name: String, bytes: Vec<u8> },
    Mirror(bool),
    PresetText { name: String, text: String },
    Editor(bool),
}

thread_local! {
    static REQUESTS: RefCell<Vec<PageRequest>> = const { RefCell::new(Vec::new()) };
}

fn request(r: PageRequest) {
    REQUESTS.with(|q| q.borrow_mut().push(r));
}

/// Play the `index`-th camera the browser lists.
#[wasm_bindgen]
pub fn backdrop_use_camera(index: u32) {
    request(PageRequest::Camera(index));
}

/// Play a file the user picked or dropped: an image (PNG, JPEG) or a video the browser plays.
#[wasm_bindgen]
pub fn backdrop_open_file(name: String, bytes: Vec<u8>) {
    request(PageRequest::File { name, bytes });
}

/// Mirror the picture left-right (or not).
#[wasm_bindgen]
pub fn backdrop_set_mirror(on: bool) {
    request(PageRequest::Mirror(on));
}

/// Put a preset's RON text into the text editor, as if typed (the page's Open, and its stored
/// last edit at start): applied when it parses, its `line:column` problem shown when not.
#[wasm_bindgen]
pub fn backdrop_open_preset(name: String, text: String) {
    request(PageRequest::PresetText { name, text });
}

/// Show or hide the preset text editor.
#[wasm_bindgen]
pub fn backdrop_show_editor(on: bool) {
    request(PageRequest::Editor(on));
}

/// The inference worker's last run: `{ input, dims, output, ms }` (the model's input tensor as
/// the app made it, its output as onnxruntime-web gave it), or `null` when none ran (no run yet,
/// or the model runs on tract). The browser tests run the same input natively.
#[wasm_bindgen]
pub fn backdrop_last_inference() -> JsValue {
    crate::inference::web_worker::last_inference()
}

/// A value of the page's address (`?name=value`), URL-decoded.
fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| js_sys::decode_uri_component(&value.replace('+', " ")).ok())
        .map(String::from)
}

/// What the page's address asks for at start, the playground's flags by the same names:
/// `?source=sample|camera|camera:N`, `?background=none|blur|color:RRGGBB`, `?model=ID|none`,
/// `?engine=auto|ort|tract|gpu` (the inference backend: `ort` is onnxruntime-web in a worker,
/// `gpu` the model as compute passes on WebGPU),
/// `?overlay=off`, and `?editor=1` (the preset text editor open). A value that does not parse is
/// named in the log and left out.
#[derive(Debug, Default)]
pub struct PageOptions {
    pub source: Option<SourceSpec>,
    pub background: Option<crate::effects::Background>,
    pub model: Option<String>,
    pub engine: Option<crate::inference::BackendChoice>,
    pub overlay: bool,
    pub editor: bool,
}

impl PageOptions {
    pub fn from_address() -> Self {
        let source = query("source").and_then(|value| match value.as_str() {
            "sample" => Some(SourceSpec::Sample),
            "camera" => Some(SourceSpec::Camera { index: 0 }),
            other => {
                let camera = other
                    .strip_prefix("camera:")
                    .and_then(|n| n.parse().ok())
                    .map(|index| SourceSpec::Camera { index });
                if camera.is_none() {
                    warn!("?source={other}: not sample, camera or camera:N; ignored");
                }
                camera
            }
        });
        let background = query("background").and_then(|value| {
            value
                .parse()
                .map_err(|e| warn!("?background={value}: {e}; ignored"))
                .ok()
        });
        Self {
            source,
            background,
            model: query("model"),
            engine: query("engine").and_then(|value| {
                value
                    .parse()
                    .map_err(|e| warn!("?engine={value}: {e}; ignored"))
                    .ok()
            }),
            overlay: query("overlay").is_none_or(|v| v != "off"),
            editor: query("editor").is_some_and(|v| v == "1" || v == "on"),
        }
    }
}

/// Whether a picked file is a video (by its name; anything else is read as an image).
fn is_video(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".mp4", ".m4v", ".webm", ".mov", ".ogv", ".mkv"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// A source for a file's bytes.
fn file_source(name: String, bytes: Vec<u8>) -> SourceSpec {
    let bytes = std::sync::Arc::new(bytes);
    let label = name.clone();
    SourceSpec::Custom(SourceFactory::new(
        label,
        move || -> Result<Box<dyn FrameSource>, crate::capture::CaptureError> {
            if is_video(&name) {
                Ok(Box::new(BrowserVideo::file(&name, &bytes)?))
            } else {
                Ok(Box::new(StillSource::from_bytes(&name, &bytes, 30.0)?))
            }
        },
    ))
}

/// The page bridge: the page's requests in, `window.backdropState` out.
pub struct WebPagePlugin;

impl Plugin for WebPagePlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<FrameTimeDiagnosticsPlugin>() {
            app.add_plugins(FrameTimeDiagnosticsPlugin::default());
        }
        app.add_systems(PreUpdate, (apply_requests, name_the_adapter))
            .add_systems(Last, publish_state);
    }
}

fn apply_requests(
    mut switch: MessageWriter<SwitchSource>,
    live: Option<Res<LiveCapture>>,
    mut status: Option<ResMut<CaptureStatus>>,
    mut open_text: MessageWriter<OpenPresetText>,
    mut panels: Option<ResMut<OverlayPanels>>,
) {
    let requests = REQUESTS.with(|q| std::mem::take(&mut *q.borrow_mut()));
    for r in requests {
        match r {
            PageRequest::Camera(index) => {
                switch.write(SwitchSource(SourceSpec::Camera { index }));
            }
            PageRequest::File { name, bytes } => {
                switch.write(SwitchSource(file_source(name, bytes)));
            }
            PageRequest::Mirror(on) => {
                if let Some(live) = &live {
                    live.set_mirror(on);
                }
                if let Some(status) = status.as_mut() {
                    status.mirror = on;
                }
            }
            PageRequest::PresetText { name, text } => {
                open_text.write(OpenPresetText { name, text });
            }
            PageRequest::Editor(on) => {
                if let Some(panels) = panels.as_mut() {
                    panels.preset_text = on;
                }
            }
        }
    }
}

/// WebGPU hides the adapter's description (wgpu's name for it comes out empty); the page's loader
/// has the vendor and architecture it does give (`window.backdropPage.adapter`, "google
/// swiftshader"): the overlay and the state show that, and it tells a software renderer.
fn name_the_adapter(adapter: Option<ResMut<RenderAdapterInfo>>) {
    let Some(mut adapter) = adapter else {
        return;
    };
    if !adapter.name.is_empty() {
        return;
    }
    let from_page = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"backdropPage".into()).ok())
        .and_then(|page| js_sys::Reflect::get(&page, &"adapter".into()).ok())
        .and_then(|name| name.as_string())
        .filter(|name| !name.is_empty());
    adapter.name = from_page.unwrap_or_else(|| "browser WebGPU adapter (name hidden)".into());
}

/// Whether the WebGL2 window's texture keeps the values the display pass writes as they are,
/// though its format says sRGB: `window.backdropPresent.direct`, which `web/present.js` sets while
/// it has given the window's texture a plain format (and presents it with a copy). False where
/// the page did not install it (WebGPU, `?present=wgpu`) or it recognised nothing.
pub fn window_stores_encoded() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"backdropPresent".into()).ok())
        .filter(JsValue::is_object)
        .and_then(|present| js_sys::Reflect::get(&present, &"direct".into()).ok())
        .and_then(|direct| direct.as_bool())
        .unwrap_or(false)
}

fn set(object: &js_sys::Object, key: &str, value: impl Into<JsValue>) {
    let _ = js_sys::Reflect::set(object, &key.into(), &value.into());
}

fn number(value: Option<f64>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_f64)
}

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn publish_state(
    time: Res<Time<Real>>,
    mut since: Local<f32>,
    frames: Res<FrameCount>,
    store: Res<DiagnosticsStore>,
    adapter: Option<Res<RenderAdapterInfo>>,
    capture: Option<Res<CaptureStatus>>,
    inference: Option<Res<InferenceStatus>>,
    current: Res<crate::capture::CurrentFrame>,
    preset: PresetView,
) {
    *since += time.delta_secs();
    if *since < PUBLISH_EVERY_SECONDS && frames.0 > 1 {
        return;
    }
    *since = 0.0;
    let Some(window) = web_sys::window() else {
        return;
    };
    let smoothed = |path: &DiagnosticPath| store.get(path).and_then(|d| d.smoothed());
    let state = js_sys::Object::new();
    set(&state, "backend", BACKEND);
    set(
        &state,
        "adapter",
        adapter.as_ref().map_or(String::new(), |a| a.name.clone()),
    );
    set(&state, "frames", frames.0);
    set(
        &state,
        "fps",
        number(smoothed(&FrameTimeDiagnosticsPlugin::FPS)),
    );
    set(
        &state,
        "frameMs",
        number(smoothed(&FrameTimeDiagnosticsPlugin::FRAME_TIME)),
    );
    set(&state, "captureFps", number(smoothed(&CAPTURE_FPS)));
    set(&state, "preprocessMs", number(smoothed(&PREPROCESS_MS)));
    set(&state, "inferenceMs", number(smoothed(&INFERENCE_MS)));
    set(&state, "maskAge", number(smoothed(&MASK_AGE)));
    set(&state, "framesUploaded", current.uploaded as f64);
    if let Some(frame) = &current.frame {
        set(&state, "frameWidth", frame.width);
        set(&state, "frameHeight", frame.height);
    }
    // GPU ms per stage where the device has timestamp queries (WebGPU; WebGL2 has none: null).
    let gpu = js_sys::Object::new();
    for (name, span) in GPU_SPANS {
        set(&gpu, name, number(smoothed(&gpu_ms_path(span))));
    }
    set(&state, "gpuMs", gpu);
    let problems = js_sys::Array::new();
    if let Some(capture) = &capture {
        set(&state, "source", capture.active_source.clone());
        set(&state, "onFallback", capture.on_fallback);
        set(&state, "mirror", capture.mirror);
        for p in &capture.problems {
            problems.push(&p.into());
        }
    }
    if let Some(inference) = &inference {
        set(&state, "model", inference.model.clone().unwrap_or_default());
        set(&state, "inferenceBackend", inference.backend.clone());
        set(
            &state,
            "loading",
            inference
                .loading
                .clone()
                .map_or(JsValue::NULL, JsValue::from),
        );
        for p in &inference.problems {
            problems.push(&p.into());
        }
    }
    set(&state, "problems", problems);
    // The preset text editor: what it holds, its problem, how many edits it applied (the page
    // stores the text on each), and where its field is (the tests type into it).
    if let (Some(text), Some(catalog)) = (&preset.text, &preset.catalog) {
        let editor = js_sys::Object::new();
        set(&editor, "name", text.name(catalog));
        set(&editor, "text", text.text.clone());
        set(
            &editor,
            "problem",
            text.problem.clone().map_or(JsValue::NULL, JsValue::from),
        );
        set(&editor, "appliedEdits", text.applied_edits as f64);
        let field = match preset.field.as_ref().and_then(|f| f.0) {
            Some(rect) => {
                let array = js_sys::Array::new();
                for v in rect {
                    array.push(&JsValue::from_f64(f64::from(v)));
                }
                array.into()
            }
            None => JsValue::NULL,
        };
        set(&editor, "field", field);
        set(&state, "presetText", editor);
    }
    let _ = js_sys::Reflect::set(&window, &"backdropState".into(), &state);
}

/// What `publish_state` reads of the preset text editor.
#[derive(bevy::ecs::system::SystemParam)]
struct PresetView<'w> {
    text: Option<Res<'w, PresetText>>,
    catalog: Option<Res<'w, PresetCatalog>>,
    field: Option<Res<'w, PresetTextField>>,
}
