//! A still image played as a stream of identical frames.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bevy::platform::time::Instant;

use super::frame::{CaptureError, Frame, FrameSource};

/// The bundled sample portrait (see `assets/samples/PROVENANCE.md`). Compiled in, so the fallback
/// source can never be missing, on any platform.
pub const SAMPLE_PORTRAIT_JPEG: &[u8] = include_bytes!("../../assets/samples/astronaut.jpg");

/// Decodes an image file into tightly packed RGBA8, with a message naming the file on failure.
pub fn decode_image_file(path: &Path) -> Result<(u32, u32, Vec<u8>), CaptureError> {
    let bytes = super::frame::read_file(path)?;
    decode_image_bytes(&bytes).map_err(|message| CaptureError::Undecodable {
        path: path.to_owned(),
        message,
    })
}

/// Decodes image bytes (format guessed from the content) into RGBA8.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let decoded = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let rgba = decoded.into_rgba8();
    Ok((rgba.width(), rgba.height(), rgba.into_raw()))
}

pub struct StillSource {
    name: String,
    frame: Frame,
    next_id: u64,
    interval: Duration,
}

impl StillSource {
    pub fn open(path: &Path, fps: f32) -> Result<Self, CaptureError> {
        let (width, height, rgba) = decode_image_file(path)?;
        Ok(Self::from_pixels(
            format!("image {}", path.display()),
            width,
            height,
            rgba,
            fps,
        ))
    }

    /// An image file's bytes (a file the browser's page handed over), named `image NAME`.
    pub fn from_bytes(name: &str, bytes: &[u8], fps: f32) -> Result<Self, CaptureError> {
        let (width, height, rgba) =
            decode_image_bytes(bytes).map_err(|message| CaptureError::Undecodable {
                path: name.into(),
                message,
            })?;
        Ok(Self::from_pixels(
            format!("image {name}"),
            width,
            height,
            rgba,
            fps,
        ))
    }

    pub fn sample(fps: f32) -> Self {
        let (width, height, rgba) =
            decode_image_bytes(SAMPLE_PORTRAIT_JPEG).expect("the bundled sample portrait decodes");
        Self::from_pixels("sample portrait".into(), width, height, rgba, fps)
    }

    fn from_pixels(name: String, width: u32, height: u32, rgba: Vec<u8>, fps: f32) -> Self {
        Self {
            name,
            frame: Frame::new(0, width, height, rgba),
            next_id: 0,
            interval: Duration::from_secs_f32(1.0 / fps.max(0.1)),
        }
    }
}

impl FrameSource for StillSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let frame = Frame {
            id: self.next_id,
            captured_at: Instant::now(),
            rgba: Arc::clone(&self.frame.rgba),
            ..self.frame.clone()
        };
        self.next_id += 1;
        Ok(frame)
    }

    fn frames_per_pass(&self) -> Option<u64> {
        Some(1)
    }

    fn frame_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }
}
