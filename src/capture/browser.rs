//! The browser's camera and video files (the `web` feature, wasm32). Frames reach the app in one
//! of two ways:
//! - the page's frame reader (`web/frames.js`, `window.backdropFrames`), where the browser has it:
//!   a camera's frames through `MediaStreamTrackProcessor`, an MP4 file's through WebCodecs
//!   (software decoding), each copied into memory as RGBA without the GPU;
//! - otherwise a `<video>` element playing the camera's `MediaStream` (from `getUserMedia`) or the
//!   file's object URL, each new video frame drawn into an `OffscreenCanvas` and read back with
//!   `getImageData`. Chromium uploads every such frame to its GPU process and reads it back, and the
//!   page's thread waits for that: with a software GPU (SwiftShader) 28 ms of GPU-process work
//!   and 22 ms of waiting per 960×540 frame, against none and ~1 ms through the reader.
//! One copy into the frame's bytes either way, no per-pixel loop in JavaScript. web-sys rather
//! than nokhwa's browser backend: nokhwa's is a thin wrapper over the same calls that hides the
//! permission error's kind and the device list's order, and files need the element anyway.
//!
//! Opening is asynchronous (permission prompt, device start): the source says "nothing yet"
//! ([`FrameSource::poll_frame`]) until the video plays, and a clear error (denied, no camera,
//! the camera stopped, a file the browser cannot play) when it fails; the capture then plays its
//! fallback and shows the reason.

use std::cell::RefCell;
use std::rc::Rc;

use bevy::log::info;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    HtmlVideoElement, MediaDeviceKind, MediaStream, MediaStreamConstraints, MediaStreamTrack,
    OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};

use super::frame::{CaptureError, Frame, FrameSource};

/// Where a browser video's frames come from.
#[derive(Clone, Debug)]
enum Origin {
    /// The `index`-th camera of `enumerateDevices` (in the browser's order).
    Camera(u32),
    /// A video file the page handed over.
    File(String),
}

/// How opening is going (written by the async open, read by `poll_frame`).
enum Opening {
    Pending,
    Playing,
    Failed(CaptureError),
}

/// A camera's or a video file's frames as a [`FrameSource`].
pub struct BrowserVideo {
    origin: Origin,
    /// Holds the camera's stream (played only when there is no page reader) or plays the file
    /// (only when the page reader cannot).
    video: HtmlVideoElement,
    state: Rc<RefCell<Opening>>,
    /// The page's frame reader, once the open found one usable.
    reader: Rc<RefCell<Option<PageReader>>>,
    canvas: Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)>,
    /// The video time of the last frame read (a new time is a new frame).
    last_time: f64,
    next_id: u64,
    /// The object URL of a file the element plays, revoked when the source goes (none while the
    /// frame reader decodes the file: then only the reader holds its bytes).
    url: Rc<RefCell<Option<String>>>,
}

/// What a JS exception or rejection says (an `Error`'s message, a string, or its debug form).
pub(crate) fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// A frame reader of `web/frames.js`: `take()` → the newest due frame not taken yet
/// (`{ data, width, height, timestamp }`, RGBA; a camera's frames are due when they arrive, a
/// file's at their presentation time) or null, `error` → why it stopped or null, `close()`.
struct PageReader(JsValue);

impl PageReader {
    /// The page's `window.backdropFrames` (absent when the page does not load frames.js).
    fn page() -> Option<JsValue> {
        let window = web_sys::window()?;
        js_sys::Reflect::get(&window, &"backdropFrames".into())
            .ok()
            .filter(|v| v.is_object())
    }

    fn call(target: &JsValue, method: &str, argument: &JsValue) -> Result<JsValue, JsValue> {
        let function: js_sys::Function =
            js_sys::Reflect::get(target, &method.into())?.dyn_into()?;
        function.call1(target, argument)
    }

    /// A reader of the camera's track, when the browser can read tracks without the element.
    fn camera(stream: &MediaStream) -> Option<Self> {
        let track = stream.get_video_tracks().get(0);
        let reader = Self::call(&Self::page()?, "camera", &track).ok()?;
        (!reader.is_null() && !reader.is_undefined()).then_some(Self(reader))
    }

    /// A reader of the video file, or why it cannot be (not MP4, a codec not decodable, no
    /// WebCodecs; the element plays it then).
    async fn file(bytes: &js_sys::Uint8Array) -> Result<Self, String> {
        let page = Self::page().ok_or("the page has no frame reader")?;
        let promise: js_sys::Promise = Self::call(&page, "file", bytes)
            .and_then(|p| p.dyn_into().map_err(JsValue::from))
            .map_err(|e| js_message(&e))?;
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map(Self)
            .map_err(|e| js_message(&e))
    }

    fn error(&self) -> Option<String> {
        js_sys::Reflect::get(&self.0, &"error".into())
            .ok()
            .and_then(|e| e.as_string())
    }

    /// The newest due frame not taken yet: width, height, RGBA bytes.
    fn take(&self) -> Option<(u32, u32, Vec<u8>)> {
        let frame = Self::call(&self.0, "take", &JsValue::UNDEFINED).ok()?;
        if !frame.is_object() {
            return None;
        }
        let field = |name: &str| js_sys::Reflect::get(&frame, &name.into()).ok();
        let width = field("width")?.as_f64()? as u32;
        let height = field("height")?.as_f64()? as u32;
        let data: js_sys::Uint8Array = field("data")?.dyn_into().ok()?;
        Some((width, height, data.to_vec()))
    }
}

impl Drop for PageReader {
    fn drop(&mut self) {
        let _ = Self::call(&self.0, "close", &JsValue::UNDEFINED);
    }
}

fn new_video() -> Result<HtmlVideoElement, CaptureError> {
    let unsupported = |what: &str| CaptureError::Unsupported {
        what: what.to_owned(),
    };
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| unsupported("a page document"))?;
    let video: HtmlVideoElement = document
        .create_element("video")
        .map_err(|_| unsupported("a video element"))?
        .dyn_into()
        .map_err(|_| unsupported("a video element"))?;
    video.set_muted(true);
    video.set_autoplay(true);
    // iOS plays inline only with this attribute.
    let _ = video.set_attribute("playsinline", "");
    Ok(video)
}

impl BrowserVideo {
    /// The `index`-th camera (the browser asks the user for permission the first time).
    pub fn camera(index: u32) -> Result<Self, CaptureError> {
        let video = new_video()?;
        let state = Rc::new(RefCell::new(Opening::Pending));
        let reader = Rc::new(RefCell::new(None));
        let (into, element, reader_into) = (Rc::clone(&state), video.clone(), Rc::clone(&reader));
        wasm_bindgen_futures::spawn_local(async move {
            let opened = open_camera(index, &element, &reader_into).await;
            *into.borrow_mut() = match opened {
                Ok(()) => Opening::Playing,
                Err(error) => Opening::Failed(error),
            };
        });
        Ok(Self::new(
            Origin::Camera(index),
            video,
            state,
            reader,
            Rc::default(),
        ))
    }

    /// A video file the page handed over (its bytes), looped.
    pub fn file(name: &str, bytes: &[u8]) -> Result<Self, CaptureError> {
        let video = new_video()?;
        let array = js_sys::Uint8Array::from(bytes);
        let state = Rc::new(RefCell::new(Opening::Pending));
        let reader = Rc::new(RefCell::new(None));
        let url = Rc::new(RefCell::new(None));
        let (into, element, file, url_into, reader_into) = (
            Rc::clone(&state),
            video.clone(),
            name.to_owned(),
            Rc::clone(&url),
            Rc::clone(&reader),
        );
        wasm_bindgen_futures::spawn_local(async move {
            match PageReader::file(&array).await {
                Ok(found) => {
                    *reader_into.borrow_mut() = Some(found);
                    *into.borrow_mut() = Opening::Playing;
                    return;
                }
                Err(why) => info!("{file}: {why}; playing it in a video element"),
            }
            // Only the element needs the file as a Blob behind a URL.
            let source = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&array))
                .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob));
            drop(array);
            let source = match source {
                Ok(source) => source,
                Err(e) => {
                    *into.borrow_mut() = Opening::Failed(CaptureError::Video {
                        path: file.into(),
                        message: format!("cannot hand it to the video element: {}", js_message(&e)),
                    });
                    return;
                }
            };
            *url_into.borrow_mut() = Some(source.clone());
            element.set_loop(true);
            element.set_src(&source);
            let played = match element.play() {
                Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
                Err(e) => Err(e),
            };
            *into.borrow_mut() = match played {
                Ok(_) => Opening::Playing,
                Err(e) => Opening::Failed(CaptureError::Video {
                    path: file.into(),
                    message: format!("the browser cannot play it: {}", js_message(&e)),
                }),
            };
        });
        Ok(Self::new(
            Origin::File(name.to_owned()),
            video,
            state,
            reader,
            url,
        ))
    }

    fn new(
        origin: Origin,
        video: HtmlVideoElement,
        state: Rc<RefCell<Opening>>,
        reader: Rc<RefCell<Option<PageReader>>>,
        url: Rc<RefCell<Option<String>>>,
    ) -> Self {
        Self {
            origin,
            video,
            state,
            reader,
            canvas: None,
            last_time: -1.0,
            next_id: 0,
            url,
        }
    }

    fn camera_error(&self, message: String) -> CaptureError {
        match &self.origin {
            Origin::Camera(index) => CaptureError::Camera {
                index: *index,
                message,
            },
            Origin::File(name) => CaptureError::Video {
                path: name.into(),
                message,
            },
        }
    }

    /// The camera stopped (unplugged, revoked, taken by another tab)?
    fn stopped(&self) -> bool {
        let Some(stream) = self
            .video
            .src_object()
            .and_then(|s| s.dyn_into::<MediaStream>().ok())
        else {
            return false;
        };
        let tracks = stream.get_video_tracks();
        tracks.length() == 0
            || tracks.iter().all(|t| {
                t.dyn_into::<MediaStreamTrack>()
                    .is_ok_and(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended)
            })
    }

    /// The element's current picture, read back.
    fn read(&mut self, width: u32, height: u32) -> Result<Frame, CaptureError> {
        let fresh = self
            .canvas
            .as_ref()
            .is_none_or(|(c, _)| c.width() != width || c.height() != height);
        if fresh {
            let canvas = OffscreenCanvas::new(width, height)
                .map_err(|e| self.camera_error(js_message(&e)))?;
            let options = js_sys::Object::new();
            // Read back every frame: the browser keeps the canvas in memory, not on the GPU.
            let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
            let context = canvas
                .get_context_with_context_options("2d", &options)
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<OffscreenCanvasRenderingContext2d>().ok())
                .ok_or_else(|| self.camera_error("no 2D canvas to read frames with".into()))?;
            self.canvas = Some((canvas, context));
        }
        let (_, context) = self.canvas.as_ref().expect("made above");
        context
            .draw_image_with_html_video_element(&self.video, 0.0, 0.0)
            .map_err(|e| self.camera_error(js_message(&e)))?;
        let pixels = context
            .get_image_data(0.0, 0.0, width as f64, height as f64)
            .map_err(|e| self.camera_error(js_message(&e)))?;
        let frame = Frame::new(self.next_id, width, height, pixels.data().0);
        self.next_id += 1;
        Ok(frame)
    }
}

impl Drop for BrowserVideo {
    fn drop(&mut self) {
        // Stop the camera (its light goes off) and free a file's URL.
        if let Some(stream) = self
            .video
            .src_object()
            .and_then(|s| s.dyn_into::<MediaStream>().ok())
        {
            for track in stream.get_tracks().iter() {
                if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                    track.stop();
                }
            }
        }
        self.video.set_src_object(None);
        if let Some(url) = self.url.borrow().as_ref() {
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }
}

impl FrameSource for BrowserVideo {
    fn name(&self) -> String {
        match &self.origin {
            Origin::Camera(index) => format!("camera {index}"),
            Origin::File(name) => format!("video {name}"),
        }
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        Err(CaptureError::Unsupported {
            what: "waiting for a browser video's frame (poll it)".into(),
        })
    }

    fn poll_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        {
            let mut state = self.state.borrow_mut();
            match &*state {
                Opening::Pending => return Ok(None),
                Opening::Failed(_) => {
                    // Handed over once: the capture drops this source and plays its fallback.
                    let Opening::Failed(error) = std::mem::replace(&mut *state, Opening::Pending)
                    else {
                        unreachable!("matched above")
                    };
                    return Err(error);
                }
                Opening::Playing => {}
            }
        }
        if self.stopped() {
            return Err(self.camera_error("the camera stopped".into()));
        }
        if let Some(reader) = self.reader.borrow().as_ref() {
            if let Some(message) = reader.error() {
                return Err(self.camera_error(message));
            }
            let Some((width, height, pixels)) = reader.take() else {
                return Ok(None);
            };
            let frame = Frame::new(self.next_id, width, height, pixels);
            self.next_id += 1;
            return Ok(Some(frame));
        }
        // HAVE_CURRENT_DATA: a picture to draw.
        if self.video.ready_state() < 2 {
            return Ok(None);
        }
        let time = self.video.current_time();
        let (width, height) = (self.video.video_width(), self.video.video_height());
        if time == self.last_time || width == 0 || height == 0 {
            return Ok(None);
        }
        self.last_time = time;
        self.read(width, height).map(Some)
    }

    fn frame_interval(&self) -> Option<std::time::Duration> {
        // Polled every app frame; a new video time is a new frame.
        None
    }
}

/// getUserMedia for the `index`-th camera: its stream held by `video`, read by the page's frame
/// reader (put in `reader`) where the browser has one, else played in `video`.
async fn open_camera(
    index: u32,
    video: &HtmlVideoElement,
    reader: &RefCell<Option<PageReader>>,
) -> Result<(), CaptureError> {
    let failed = |message: String| CaptureError::Camera { index, message };
    let devices = web_sys::window()
        .map(|w| w.navigator().media_devices())
        .transpose()
        .ok()
        .flatten()
        .ok_or_else(|| CaptureError::NoCamera {
            index,
            detail: ": this page has no camera access (it needs a secure context: https or \
                     localhost)"
                .into(),
        })?;
    let constraints = MediaStreamConstraints::new();
    let cameras = list_cameras(&devices).await;
    match cameras.get(index as usize) {
        // Before the first permission, ids are empty: ask for any camera (index 0 only).
        Some(id) if !id.is_empty() => {
            let video = js_sys::Object::new();
            let exact = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&exact, &"exact".into(), &id.into());
            let _ = js_sys::Reflect::set(&video, &"deviceId".into(), &exact);
            constraints.set_video(&video);
        }
        _ if index == 0 => constraints.set_video(&true.into()),
        _ => {
            return Err(CaptureError::NoCamera {
                index,
                detail: format!(" (the browser lists {})", cameras.len()),
            });
        }
    }
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| failed(js_message(&e)))?;
    let stream: MediaStream = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(
            |e| match e.dyn_ref::<web_sys::DomException>().map(|d| d.name()) {
                Some(name) if name == "NotAllowedError" => {
                    failed("permission denied (allow the camera for this page to use it)".into())
                }
                Some(name) if name == "NotFoundError" || name == "OverconstrainedError" => {
                    CaptureError::NoCamera {
                        index,
                        detail: String::new(),
                    }
                }
                Some(name) if name == "NotReadableError" => {
                    failed("in use by another program, or it failed to start".into())
                }
                _ => failed(js_message(&e)),
            },
        )?
        .unchecked_into();
    if let Some(found) = PageReader::camera(&stream) {
        // Held (its tracks' state says when the camera stops), not played: the reader has the
        // frames.
        video.set_autoplay(false);
        video.set_src_object(Some(&stream));
        *reader.borrow_mut() = Some(found);
        return Ok(());
    }
    video.set_src_object(Some(&stream));
    if let Ok(promise) = video.play() {
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| failed(format!("cannot play its stream: {}", js_message(&e))))?;
    }
    Ok(())
}

/// The browser's cameras' device ids, in its order (empty ids before the first permission).
async fn list_cameras(devices: &web_sys::MediaDevices) -> Vec<String> {
    let Ok(promise) = devices.enumerate_devices() else {
        return Vec::new();
    };
    let Ok(list) = wasm_bindgen_futures::JsFuture::from(promise).await else {
        return Vec::new();
    };
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|d| d.dyn_into::<web_sys::MediaDeviceInfo>().ok())
        .filter(|d| d.kind() == MediaDeviceKind::Videoinput)
        .map(|d| d.device_id())
        .collect()
}
