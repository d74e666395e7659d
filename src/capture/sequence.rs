//! A folder of images played in name order, looped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::frame::{CaptureError, Frame, FrameSource};
use super::still::decode_image_file;

pub use super::frame::IMAGE_EXTENSIONS;

pub struct SequenceSource {
    folder: PathBuf,
    files: Vec<PathBuf>,
    next_id: u64,
    interval: Duration,
}

impl SequenceSource {
    pub fn open(folder: &Path, fps: f32) -> Result<Self, CaptureError> {
        let entries = std::fs::read_dir(folder).map_err(|e| CaptureError::from_io(folder, &e))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.is_file()
                    && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                    })
            })
            .collect();
        if files.is_empty() {
            return Err(CaptureError::EmptyFolder {
                path: folder.to_owned(),
            });
        }
        // Name order, as a file manager sorts zero-padded frame numbers.
        files.sort();
        Ok(Self {
            folder: folder.to_owned(),
            files,
            next_id: 0,
            interval: Duration::from_secs_f32(1.0 / fps.max(0.1)),
        })
    }

    /// The files in play order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl FrameSource for SequenceSource {
    fn name(&self) -> String {
        format!("image folder {}", self.folder.display())
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let path = &self.files[(self.next_id % self.files.len() as u64) as usize];
        // Decoded on demand: a long sequence never sits in memory whole.
        let (width, height, rgba) = decode_image_file(path)?;
        let frame = Frame::new(self.next_id, width, height, rgba);
        self.next_id += 1;
        Ok(frame)
    }

    fn frames_per_pass(&self) -> Option<u64> {
        Some(self.files.len() as u64)
    }

    fn frame_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }
}
