//! Cameras through nokhwa (V4L2 on Linux, AVFoundation on macOS, Media Foundation on Windows).

use std::fmt;
use std::time::Duration;

use nokhwa::pixel_format::RgbAFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use super::frame::{CaptureError, Frame, FrameSource, validate_frame_size};
use super::spec::{CameraMode, CameraPixelFormat};

/// A camera and the modes it offers.
#[derive(Clone, Debug)]
pub struct CameraListing {
    pub index: u32,
    pub name: String,
    pub modes: Result<Vec<CameraMode>, String>,
}

fn camera_error(index: u32, e: impl fmt::Display) -> CaptureError {
    CaptureError::Camera {
        index,
        message: e.to_string(),
    }
}

/// Every camera the platform reports, with its modes (opening each briefly to ask).
pub fn list_cameras() -> Result<Vec<CameraListing>, CaptureError> {
    let cameras = nokhwa::query(ApiBackend::Auto).map_err(|e| CaptureError::NoCamera {
        index: 0,
        detail: format!(" (cannot list cameras: {e})"),
    })?;
    Ok(cameras
        .into_iter()
        .enumerate()
        .map(|(n, info)| {
            let index = match info.index() {
                CameraIndex::Index(i) => *i,
                CameraIndex::String(_) => n as u32,
            };
            let modes = nokhwa::Camera::new(
                info.index().clone(),
                RequestedFormat::new::<RgbAFormat>(RequestedFormatType::None),
            )
            .and_then(|mut camera| camera.compatible_camera_formats())
            .map(|formats| formats.into_iter().filter_map(mode_of).collect())
            .map_err(|e| e.to_string());
            CameraListing {
                index,
                name: info.human_name(),
                modes,
            }
        })
        .collect())
}

fn mode_of(format: CameraFormat) -> Option<CameraMode> {
    let pixel = match format.format() {
        FrameFormat::MJPEG => CameraPixelFormat::Mjpeg,
        FrameFormat::YUYV => CameraPixelFormat::Yuyv,
        _ => return None,
    };
    Some(CameraMode {
        width: format.width(),
        height: format.height(),
        fps: format.frame_rate(),
        format: Some(pixel),
    })
}

pub struct CameraSource {
    index: u32,
    camera: nokhwa::Camera,
    next_id: u64,
}

impl CameraSource {
    pub fn open(index: u32, mode: Option<CameraMode>) -> Result<Self, CaptureError> {
        let cameras = nokhwa::query(ApiBackend::Auto).map_err(|e| CaptureError::NoCamera {
            index,
            detail: format!(" (cannot list cameras: {e})"),
        })?;
        if cameras.is_empty() {
            return Err(CaptureError::NoCamera {
                index,
                detail: String::new(),
            });
        }
        if cameras.len() <= index as usize {
            return Err(camera_error(
                index,
                format!(
                    "no such camera ({} found; `backdrop --list-cameras` lists them)",
                    cameras.len()
                ),
            ));
        }
        // Without a mode: the closest to 720p at 30 fps, what a video call uses.
        let wanted = mode.unwrap_or(CameraMode {
            width: 1280,
            height: 720,
            fps: 30,
            format: None,
        });
        let fourcc = match wanted.format {
            Some(CameraPixelFormat::Yuyv) => FrameFormat::YUYV,
            _ => FrameFormat::MJPEG,
        };
        let target = CameraFormat::new(
            Resolution::new(wanted.width, wanted.height),
            fourcc,
            wanted.fps,
        );
        let request = match (mode, wanted.format) {
            (Some(_), Some(_)) => RequestedFormatType::Exact(target),
            _ => RequestedFormatType::Closest(target),
        };
        let mut camera = nokhwa::Camera::new(
            CameraIndex::Index(index),
            RequestedFormat::new::<RgbAFormat>(request),
        )
        .map_err(|e| camera_error(index, e))?;
        camera.open_stream().map_err(|e| camera_error(index, e))?;
        Ok(Self {
            index,
            camera,
            next_id: 0,
        })
    }
}

impl FrameSource for CameraSource {
    fn name(&self) -> String {
        format!("camera {} ({})", self.index, self.camera.camera_format())
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let buffer = self
            .camera
            .frame()
            .map_err(|e| camera_error(self.index, e))?;
        let image = buffer
            .decode_image::<RgbAFormat>()
            .map_err(|e| camera_error(self.index, e))?;
        let (width, height) = (image.width(), image.height());
        validate_frame_size(&self.name(), width, height)?;
        let frame = Frame::new(self.next_id, width, height, image.into_raw());
        self.next_id += 1;
        Ok(frame)
    }

    fn frame_interval(&self) -> Option<Duration> {
        None
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        let _ = self.camera.stop_stream();
    }
}
