//! A captured frame and the trait every frame source implements.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bevy::platform::time::Instant;

/// Largest frame side accepted. wgpu's default `max_texture_dimension_2d` is 8192; a larger frame
/// could not become a texture, so it is rejected with a message instead of a GPU validation panic.
pub const MAX_FRAME_SIDE: u32 = 8192;

/// Refuses sizes no texture can have: zero, or larger than [`MAX_FRAME_SIDE`].
pub fn validate_frame_size(source: &str, width: u32, height: u32) -> Result<(), CaptureError> {
    let why = if width == 0 || height == 0 {
        "a frame needs at least one pixel".to_owned()
    } else if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        format!("the largest supported side is {MAX_FRAME_SIDE} px")
    } else {
        return Ok(());
    };
    Err(CaptureError::BadFrameSize {
        name: source.to_owned(),
        width,
        height,
        why,
    })
}

/// One frame from a source: tightly packed RGBA8, sRGB-encoded, top row first.
#[derive(Clone)]
pub struct Frame {
    /// Position of this frame in its source's stream, counting from 0. Looping sources keep
    /// counting, so an id is never reused within one stream.
    pub id: u64,
    /// When the source produced the frame (for capture-to-display latency).
    pub captured_at: Instant,
    pub width: u32,
    pub height: u32,
    /// `width * height * 4` bytes. Shared so the frame can go to the GPU upload and to inference
    /// without copying.
    pub rgba: Arc<Vec<u8>>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("id", &self.id)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Frame {
    pub fn new(id: u64, width: u32, height: u32, rgba: Vec<u8>) -> Self {
        Self {
            id,
            captured_at: Instant::now(),
            width,
            height,
            rgba: Arc::new(rgba),
        }
    }

    /// Checks what every consumer of a frame relies on; `source` names the source in the message.
    pub fn validate(&self, source: &str) -> Result<(), CaptureError> {
        validate_frame_size(source, self.width, self.height)?;
        let expected = self.width as usize * self.height as usize * 4;
        if self.rgba.len() != expected {
            return Err(CaptureError::BadFrameSize {
                name: source.to_owned(),
                width: self.width,
                height: self.height,
                why: format!("{} bytes of pixels, expected {expected}", self.rgba.len()),
            });
        }
        Ok(())
    }

    /// Mirrors the frame left-right (the self-view a camera user expects).
    pub fn mirror_horizontally(&mut self) {
        let row = self.width as usize * 4;
        let pixels = Arc::make_mut(&mut self.rgba);
        for line in pixels.chunks_exact_mut(row) {
            let (texels, _) = line.as_chunks_mut::<4>();
            texels.reverse();
        }
    }

    /// The frame as an `image` buffer (copies).
    pub fn to_rgba_image(&self) -> image::RgbaImage {
        image::RgbaImage::from_raw(self.width, self.height, self.rgba.as_ref().clone())
            .expect("a validated frame has width*height*4 bytes")
    }
}

/// Everything that can go wrong between a source and a frame. Each message names the source and
/// the problem, so it can be shown to the user as it is.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("camera {index}: no camera found{detail}")]
    NoCamera { index: u32, detail: String },
    #[error("camera {index}: {message}")]
    Camera { index: u32, message: String },
    #[error("{}: file not found", path.display())]
    Missing { path: PathBuf },
    #[error("{}: cannot read: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: cannot decode: {message}", path.display())]
    Undecodable { path: PathBuf, message: String },
    #[error("{}: folder has no images (looked for {})", path.display(), IMAGE_EXTENSIONS.join(", "))]
    EmptyFolder { path: PathBuf },
    #[error("{name}: bad frame size {width}×{height}: {why}")]
    BadFrameSize {
        name: String,
        width: u32,
        height: u32,
        why: String,
    },
    #[error("{}: video: {message}", path.display())]
    Video { path: PathBuf, message: String },
    #[error("{what} is not available on this platform")]
    Unsupported { what: String },
}

/// File extensions an image folder's frames have (case-insensitive).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Reads a whole file from disk (native), naming it in the error. The browser has no disk: there
/// the error says so (its files come from the page's picker, as bytes).
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CaptureError> {
    #[cfg(feature = "native")]
    {
        std::fs::read(path).map_err(|e| CaptureError::from_io(path, &e))
    }
    #[cfg(not(feature = "native"))]
    {
        Err(CaptureError::Unsupported {
            what: format!("reading {} from disk", path.display()),
        })
    }
}

impl CaptureError {
    /// A failed read of `path`: missing, or unreadable with the system's reason.
    pub fn from_io(path: &std::path::Path, error: &std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => CaptureError::Missing {
                path: path.to_owned(),
            },
            _ => CaptureError::Unreadable {
                path: path.to_owned(),
                message: error.to_string(),
            },
        }
    }
}

/// A stream of frames. Implementations block in [`FrameSource::next_frame`] until a frame exists;
/// the live playground calls it on a worker thread, the headless mode on its own loop.
///
/// Sources are created where they are used (a camera handle may not move between threads), so
/// the trait does not require `Send`.
pub trait FrameSource {
    /// What the user would call this source, used in messages: `image photo.jpg`, `camera 0`.
    fn name(&self) -> String;

    /// The next frame in order. Sources with a finite content loop forever; ids keep counting.
    fn next_frame(&mut self) -> Result<Frame, CaptureError>;

    /// The next frame if one is there now, without waiting: what a feed on the main thread asks
    /// (`None`: nothing new yet — a browser camera still opening, or no new video frame).
    fn poll_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        self.next_frame().map(Some)
    }

    /// Frames in one pass through the content (before a loop), if the content is finite.
    /// The headless mode writes this many frames when `--frames` is not given.
    fn frames_per_pass(&self) -> Option<u64> {
        None
    }

    /// How long to wait between frames when played live. `None`: the source paces itself
    /// (a camera blocks until the sensor delivers).
    fn frame_interval(&self) -> Option<Duration> {
        Some(Duration::from_secs_f64(1.0 / 30.0))
    }
}
