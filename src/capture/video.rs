//! Video files, decoded by an `ffmpeg` child process into raw RGBA frames on a pipe.
//!
//! Why a child process and not a crate: the Rust bindings (`ffmpeg-next`, `video-rs`) compile
//! against one exact libav* version through bindgen and break with the system's FFmpeg; a pure-Rust
//! decoder covers a fraction of the codecs people have. The `ffmpeg` program reads every format the
//! distribution's FFmpeg does, costs nothing to build, and its failure modes (missing, bad file)
//! become clear messages here.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::frame::{CaptureError, Frame, FrameSource, validate_frame_size};

/// What `ffprobe` says about a file's first video stream.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    /// Frames in the file when the container records it.
    pub frames: Option<u64>,
}

fn tool_error(path: &Path, tool: &str, e: std::io::Error) -> CaptureError {
    let message = if e.kind() == std::io::ErrorKind::NotFound {
        format!("`{tool}` is not installed (Debian/Ubuntu: apt-get install ffmpeg)")
    } else {
        format!("cannot start `{tool}`: {e}")
    };
    CaptureError::Video {
        path: path.to_owned(),
        message,
    }
}

/// Reads size, rate and frame count of the first video stream.
pub fn probe(path: &Path) -> Result<VideoInfo, CaptureError> {
    if !path.exists() {
        return Err(CaptureError::Missing {
            path: path.to_owned(),
        });
    }
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,avg_frame_rate,r_frame_rate,nb_frames")
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .map_err(|e| tool_error(path, "ffprobe", e))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "N/A")
    };
    let (Some(width), Some(height)) = (
        field("width").and_then(|v| v.parse().ok()),
        field("height").and_then(|v| v.parse().ok()),
    ) else {
        let why = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(CaptureError::Undecodable {
            path: path.to_owned(),
            message: if why.is_empty() {
                "no video stream".into()
            } else {
                why
            },
        });
    };
    let fps = field("avg_frame_rate")
        .and_then(parse_rate)
        .or_else(|| field("r_frame_rate").and_then(parse_rate))
        .unwrap_or(30.0);
    let frames = field("nb_frames").and_then(|v| v.parse().ok());
    Ok(VideoInfo {
        width,
        height,
        fps,
        frames,
    })
}

fn parse_rate(text: &str) -> Option<f32> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    let (num, den): (f32, f32) = (num.parse().ok()?, den.parse().ok()?);
    (num > 0.0 && den > 0.0).then_some(num / den)
}

/// A decoding `ffmpeg` and the last lines it wrote to stderr (for error messages).
struct Decoder {
    child: Child,
    stdout: ChildStdout,
    stderr_tail: Arc<Mutex<Vec<String>>>,
}

impl Decoder {
    fn spawn(path: &Path) -> Result<Self, CaptureError> {
        let mut child = Command::new("ffmpeg")
            // Rotation metadata is ignored so frames keep the size ffprobe reported.
            .args(["-v", "error", "-nostdin", "-noautorotate", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgba", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| tool_error(path, "ffmpeg", e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let tail = Arc::clone(&stderr_tail);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut tail = tail.lock().unwrap();
                tail.push(line);
                if tail.len() > 5 {
                    tail.remove(0);
                }
            }
        });
        Ok(Self {
            child,
            stdout,
            stderr_tail,
        })
    }

    /// Fills `buf` with the next frame; `Ok(false)` at a clean end of stream.
    fn read_frame(&mut self, buf: &mut [u8]) -> std::io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.stdout.read(&mut buf[filled..])? {
                0 if filled == 0 => return Ok(false),
                0 => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "stream ended inside a frame",
                    ));
                }
                n => filled += n,
            }
        }
        Ok(true)
    }

    fn stderr_tail(&self) -> String {
        // Give the stderr reader a moment to collect ffmpeg's last words.
        std::thread::sleep(Duration::from_millis(50));
        self.stderr_tail.lock().unwrap().join("; ")
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A video file, looped. Frame ids keep counting across loops.
pub struct VideoSource {
    path: PathBuf,
    info: VideoInfo,
    decoder: Decoder,
    next_id: u64,
    frames_this_pass: u64,
}

impl VideoSource {
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let info = probe(path)?;
        validate_frame_size(
            &format!("video {}", path.display()),
            info.width,
            info.height,
        )?;
        Ok(Self {
            decoder: Decoder::spawn(path)?,
            path: path.to_owned(),
            info,
            next_id: 0,
            frames_this_pass: 0,
        })
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    fn error(&self, message: String) -> CaptureError {
        CaptureError::Video {
            path: self.path.clone(),
            message,
        }
    }
}

impl FrameSource for VideoSource {
    fn name(&self) -> String {
        format!("video {}", self.path.display())
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let mut rgba = vec![0u8; self.info.width as usize * self.info.height as usize * 4];
        // At most one restart: a file that yields nothing after a fresh start is broken.
        for _ in 0..2 {
            match self.decoder.read_frame(&mut rgba) {
                Ok(true) => {
                    let frame = Frame::new(self.next_id, self.info.width, self.info.height, rgba);
                    self.next_id += 1;
                    self.frames_this_pass += 1;
                    return Ok(frame);
                }
                Ok(false) if self.frames_this_pass > 0 => {
                    // End of the file: loop.
                    self.frames_this_pass = 0;
                    self.decoder = Decoder::spawn(&self.path)?;
                }
                Ok(false) => {
                    let why = self.decoder.stderr_tail();
                    return Err(self.error(if why.is_empty() {
                        "no frames could be decoded".into()
                    } else {
                        why
                    }));
                }
                Err(e) => {
                    let why = self.decoder.stderr_tail();
                    return Err(self.error(format!("{e} {why}").trim().to_owned()));
                }
            }
        }
        Err(self.error("no frames could be decoded".into()))
    }

    fn frames_per_pass(&self) -> Option<u64> {
        self.info.frames
    }

    fn frame_interval(&self) -> Option<Duration> {
        Some(Duration::from_secs_f32(1.0 / self.info.fps))
    }
}

/// Writes RGBA frames into a video file through an `ffmpeg` child process (H.264 in the
/// container the file name asks for).
pub struct VideoWriter {
    path: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    width: u32,
    height: u32,
}

impl VideoWriter {
    pub fn create(path: &Path, width: u32, height: u32, fps: f32) -> Result<Self, CaptureError> {
        let mut child = Command::new("ffmpeg")
            .args([
                "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s",
            ])
            .arg(format!("{width}x{height}"))
            .arg("-r")
            .arg(format!("{fps}"))
            .args(["-i", "-", "-an", "-c:v", "libx264", "-preset", "veryfast"])
            // yuv420p needs even sides: pad odd frames by one pixel instead of failing.
            .args([
                "-vf",
                "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| tool_error(path, "ffmpeg", e))?;
        let stdin = child.stdin.take();
        Ok(Self {
            path: path.to_owned(),
            child,
            stdin,
            width,
            height,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    pub fn write(&mut self, rgba: &[u8]) -> Result<(), CaptureError> {
        assert_eq!(rgba.len(), self.width as usize * self.height as usize * 4);
        let stdin = self.stdin.as_mut().expect("not finished");
        stdin.write_all(rgba).map_err(|e| CaptureError::Video {
            path: self.path.clone(),
            message: format!("ffmpeg stopped taking frames: {e}"),
        })
    }

    /// Closes the stream and waits for ffmpeg to finish the file.
    pub fn finish(mut self) -> Result<(), CaptureError> {
        drop(self.stdin.take());
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = self.child.wait().map_err(|e| CaptureError::Video {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(CaptureError::Video {
                path: self.path.clone(),
                message: format!("ffmpeg failed ({status}): {}", stderr.trim()),
            })
        }
    }
}
