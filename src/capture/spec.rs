//! `--source` strings and how they become a [`FrameSource`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::frame::{CaptureError, FrameSource};
use super::{still, synthetic};

/// Which source to open. Parsed from the `--source` argument:
///
/// | text | source |
/// |---|---|
/// | `camera`, `camera:N` | camera N (0 when omitted) |
/// | `synthetic`, `synthetic:WxH` | the deterministic test pattern (640×480 when omitted) |
/// | `image:PATH`, `folder:PATH`, `video:PATH` | that kind of file, explicitly |
/// | `PATH` | a folder → image sequence; a video extension → video; anything else → still image |
/// | `sample` | the bundled sample portrait |
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    Camera {
        index: u32,
    },
    Synthetic {
        width: u32,
        height: u32,
    },
    Image(PathBuf),
    Sequence(PathBuf),
    Video(PathBuf),
    /// The sample portrait compiled into the library: the fallback that cannot fail.
    Sample,
    /// A source of your own (any [`FrameSource`]), opened on the capture thread.
    Custom(SourceFactory),
}

type OpenFn = dyn Fn() -> Result<Box<dyn FrameSource>, CaptureError> + Send + Sync;

/// Opens a [`FrameSource`] of your own; compared and shown by its name.
#[derive(Clone)]
pub struct SourceFactory {
    name: String,
    open: std::sync::Arc<OpenFn>,
}

impl SourceFactory {
    pub fn new(
        name: impl Into<String>,
        open: impl Fn() -> Result<Box<dyn FrameSource>, CaptureError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            open: std::sync::Arc::new(open),
        }
    }
}

impl fmt::Debug for SourceFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceFactory({:?})", self.name)
    }
}

impl PartialEq for SourceFactory {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for SourceFactory {}

/// File extensions treated as video when a bare path is given.
pub const VIDEO_EXTENSIONS: &[&str] = &["mp4", "m4v", "mov", "mkv", "webm", "avi", "y4m", "gif"];

impl SourceSpec {
    /// True for live devices (mirroring defaults on for these).
    pub fn is_camera(&self) -> bool {
        matches!(self, SourceSpec::Camera { .. })
    }

    fn from_path(path: &str) -> SourceSpec {
        let path = PathBuf::from(path);
        #[cfg(feature = "native")]
        if path.is_dir() {
            return SourceSpec::Sequence(path);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if VIDEO_EXTENSIONS.contains(&ext.as_str()) {
            SourceSpec::Video(path)
        } else {
            SourceSpec::Image(path)
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Camera { index } => write!(f, "camera {index}"),
            SourceSpec::Synthetic { width, height } => write!(f, "synthetic {width}×{height}"),
            SourceSpec::Image(p) => write!(f, "image {}", p.display()),
            SourceSpec::Sequence(p) => write!(f, "image folder {}", p.display()),
            SourceSpec::Video(p) => write!(f, "video {}", p.display()),
            SourceSpec::Sample => write!(f, "sample portrait"),
            SourceSpec::Custom(factory) => write!(f, "{}", factory.name),
        }
    }
}

impl FromStr for SourceSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty source".into());
        }
        let (kind, rest) = match text.split_once(':') {
            // A Windows drive letter ("C:\...") is a path, not a kind.
            Some((kind, rest)) if kind.len() > 1 => (kind, Some(rest)),
            _ => (text, None),
        };
        match (kind, rest) {
            ("camera", None) => Ok(SourceSpec::Camera { index: 0 }),
            ("camera", Some(n)) => n
                .parse()
                .map(|index| SourceSpec::Camera { index })
                .map_err(|_| format!("camera index must be a number, got {n:?}")),
            ("synthetic", None) => Ok(SourceSpec::Synthetic {
                width: 640,
                height: 480,
            }),
            ("synthetic", Some(size)) => {
                let (width, height) = parse_size(size)?;
                Ok(SourceSpec::Synthetic { width, height })
            }
            ("sample", None) => Ok(SourceSpec::Sample),
            ("image", Some(p)) => Ok(SourceSpec::Image(p.into())),
            ("folder", Some(p)) => Ok(SourceSpec::Sequence(p.into())),
            ("video", Some(p)) => Ok(SourceSpec::Video(p.into())),
            _ => Ok(SourceSpec::from_path(text)),
        }
    }
}

/// Parses `WxH` (also `W×H`).
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("size must look like 640x480, got {text:?}"))?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| format!("bad width in {text:?}"))?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| format!("bad height in {text:?}"))?;
    Ok((w, h))
}

/// Pixel format a camera is asked to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CameraPixelFormat {
    Mjpeg,
    Yuyv,
}

/// A camera mode from `--camera-mode WxH@FPS[:mjpeg|yuyv]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CameraMode {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub format: Option<CameraPixelFormat>,
}

impl FromStr for CameraMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (mode, format) = match text.split_once(':') {
            Some((mode, "mjpeg")) => (mode, Some(CameraPixelFormat::Mjpeg)),
            Some((mode, "yuyv")) => (mode, Some(CameraPixelFormat::Yuyv)),
            Some((_, other)) => {
                return Err(format!("pixel format must be mjpeg or yuyv, got {other:?}"));
            }
            None => (text, None),
        };
        let (size, fps) = mode
            .split_once('@')
            .ok_or_else(|| format!("camera mode must look like 1280x720@30, got {text:?}"))?;
        let (width, height) = parse_size(size)?;
        let fps = fps
            .parse()
            .map_err(|_| format!("frame rate must be a whole number, got {fps:?}"))?;
        Ok(Self {
            width,
            height,
            fps,
            format,
        })
    }
}

impl fmt::Display for CameraMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}@{}", self.width, self.height, self.fps)?;
        match self.format {
            Some(CameraPixelFormat::Mjpeg) => write!(f, ":mjpeg"),
            Some(CameraPixelFormat::Yuyv) => write!(f, ":yuyv"),
            None => Ok(()),
        }
    }
}

/// Options that apply to opening a source.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    /// Camera mode requested with `--camera-mode`.
    pub camera_mode: Option<CameraMode>,
    /// Playback rate for stills, folders and the synthetic pattern (frames per second).
    pub fps: Option<f32>,
}

/// Opens the source a spec names. Runs where the frames will be pulled (see [`FrameSource`]).
pub fn open_source(
    spec: &SourceSpec,
    options: &SourceOptions,
) -> Result<Box<dyn FrameSource>, CaptureError> {
    let fps = options.fps.unwrap_or(30.0);
    Ok(match spec {
        SourceSpec::Camera { index } => open_camera(*index, options)?,
        SourceSpec::Synthetic { width, height } => {
            Box::new(synthetic::SyntheticSource::new(*width, *height, fps)?)
        }
        SourceSpec::Image(path) => Box::new(still::StillSource::open(path, fps)?),
        SourceSpec::Sample => Box::new(still::StillSource::sample(fps)),
        SourceSpec::Sequence(path) => open_sequence(path, fps)?,
        SourceSpec::Video(path) => open_video(path)?,
        SourceSpec::Custom(factory) => (factory.open)()?,
    })
}

#[cfg(feature = "native")]
fn open_camera(index: u32, options: &SourceOptions) -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(Box::new(super::camera::CameraSource::open(
        index,
        options.camera_mode,
    )?))
}

#[cfg(all(feature = "web", target_arch = "wasm32"))]
fn open_camera(index: u32, _: &SourceOptions) -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(Box::new(super::browser::BrowserVideo::camera(index)?))
}

#[cfg(not(any(feature = "native", all(feature = "web", target_arch = "wasm32"))))]
fn open_camera(_: u32, _: &SourceOptions) -> Result<Box<dyn FrameSource>, CaptureError> {
    Err(CaptureError::Unsupported {
        what: "a native camera".into(),
    })
}

#[cfg(feature = "native")]
fn open_sequence(path: &Path, fps: f32) -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(Box::new(super::sequence::SequenceSource::open(path, fps)?))
}

#[cfg(not(feature = "native"))]
fn open_sequence(path: &Path, _: f32) -> Result<Box<dyn FrameSource>, CaptureError> {
    Err(CaptureError::Unsupported {
        what: format!("a folder of images ({})", path.display()),
    })
}

#[cfg(feature = "native")]
fn open_video(path: &Path) -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(Box::new(super::video::VideoSource::open(path)?))
}

#[cfg(not(feature = "native"))]
fn open_video(path: &Path) -> Result<Box<dyn FrameSource>, CaptureError> {
    Err(CaptureError::Unsupported {
        what: format!("video file {}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!("camera".parse(), Ok(SourceSpec::Camera { index: 0 }));
        assert_eq!("camera:2".parse(), Ok(SourceSpec::Camera { index: 2 }));
        assert_eq!(
            "synthetic:320x200".parse(),
            Ok(SourceSpec::Synthetic {
                width: 320,
                height: 200
            })
        );
        assert_eq!("sample".parse(), Ok(SourceSpec::Sample));
        assert_eq!(
            "clip.MP4".parse(),
            Ok(SourceSpec::Video(PathBuf::from("clip.MP4")))
        );
        assert_eq!(
            "photo.jpg".parse(),
            Ok(SourceSpec::Image(PathBuf::from("photo.jpg")))
        );
        assert_eq!(
            "video:odd.bin".parse(),
            Ok(SourceSpec::Video(PathBuf::from("odd.bin")))
        );
        assert!("camera:x".parse::<SourceSpec>().is_err());
        assert!("synthetic:12".parse::<SourceSpec>().is_err());
        assert!("".parse::<SourceSpec>().is_err());
    }

    #[test]
    fn camera_modes_parse_and_print_back() {
        for text in ["1280x720@30", "640x480@15:yuyv", "1920x1080@60:mjpeg"] {
            assert_eq!(text.parse::<CameraMode>().unwrap().to_string(), text);
        }
        assert!("1280x720".parse::<CameraMode>().is_err());
        assert!("1280x720@30:h264".parse::<CameraMode>().is_err());
    }

    #[test]
    fn a_directory_is_a_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let spec: SourceSpec = dir.path().to_str().unwrap().parse().unwrap();
        assert_eq!(spec, SourceSpec::Sequence(dir.path().to_owned()));
    }
}
