//! A deterministic moving test pattern that carries its frame id in its pixels.
//!
//! Frame `k` depends on `k` and the size only, so two runs give the same bytes, and
//! [`read_frame_id`] recovers `k` from a rendered output: a read-back that returns the previous
//! frame shows up as a wrong id.

use std::time::Duration;

use super::frame::{CaptureError, Frame, FrameSource, validate_frame_size};

/// Bits of the frame id stamped into the top-left corner.
pub const ID_BITS: u32 = 24;
/// Cells in the stamp: a white start cell, the id bits (most significant first), a black end cell.
const STAMP_CELLS: u32 = ID_BITS + 2;

/// Side of one stamp cell for a frame of this width: as large as 8 px, as small as 1 px.
fn cell_size(width: u32) -> u32 {
    (width / STAMP_CELLS).clamp(1, 8)
}

/// True when the frame is large enough to carry the id stamp.
pub fn can_stamp(width: u32, height: u32) -> bool {
    width >= STAMP_CELLS && height >= cell_size(width)
}

pub struct SyntheticSource {
    width: u32,
    height: u32,
    next_id: u64,
    interval: Duration,
}

impl SyntheticSource {
    pub fn new(width: u32, height: u32, fps: f32) -> Result<Self, CaptureError> {
        validate_frame_size("synthetic", width, height)?;
        Ok(Self {
            width,
            height,
            next_id: 0,
            interval: Duration::from_secs_f32(1.0 / fps.max(0.1)),
        })
    }
}

/// Renders frame `id` of the pattern: diagonal colour bands that slide with time, a bright disc
/// that circles the centre (something that moves against the background, like a person), and
/// the id stamp.
pub fn render_pattern(id: u64, width: u32, height: u32) -> Vec<u8> {
    let mut rgba = vec![0u8; width as usize * height as usize * 4];
    let t = id as f32;
    let (w, h) = (width as f32, height as f32);
    let radius = 0.18 * w.min(h);
    let angle = t * 0.12;
    let cx = w * 0.5 + 0.25 * w * angle.cos();
    let cy = h * 0.5 + 0.25 * h * angle.sin();
    for y in 0..height {
        for x in 0..width {
            let i = (y as usize * width as usize + x as usize) * 4;
            let band = ((x + y) as f32 + 4.0 * t) / 24.0;
            let mut px = [
                (96.0 + 80.0 * (band).sin()) as u8,
                (96.0 + 80.0 * (band + 2.1).sin()) as u8,
                (96.0 + 80.0 * (band + 4.2).sin()) as u8,
                255,
            ];
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy < radius * radius {
                px = [240, 200, 170, 255];
            }
            rgba[i..i + 4].copy_from_slice(&px);
        }
    }
    if can_stamp(width, height) {
        stamp_id(&mut rgba, width, id);
    }
    rgba
}

fn stamp_id(rgba: &mut [u8], width: u32, id: u64) {
    let cell = cell_size(width);
    for index in 0..STAMP_CELLS {
        let on = match index {
            0 => true,
            i if i == STAMP_CELLS - 1 => false,
            i => (id >> (ID_BITS - i)) & 1 == 1,
        };
        let value = if on { 255 } else { 0 };
        for y in 0..cell {
            for x in index * cell..(index + 1) * cell {
                let i = (y as usize * width as usize + x as usize) * 4;
                rgba[i..i + 3].fill(value);
                rgba[i + 3] = 255;
            }
        }
    }
}

/// Reads the id stamped by [`render_pattern`] from RGBA8 pixels of the same size. `None` when the
/// frame is too small for a stamp or the start/end cells are not where they should be.
pub fn read_frame_id(rgba: &[u8], width: u32, height: u32) -> Option<u64> {
    if !can_stamp(width, height) || rgba.len() < width as usize * height as usize * 4 {
        return None;
    }
    let cell = cell_size(width);
    let luma_at = |index: u32| {
        let (x, y) = (index * cell + cell / 2, cell / 2);
        let i = (y as usize * width as usize + x as usize) * 4;
        (rgba[i] as u32 + rgba[i + 1] as u32 + rgba[i + 2] as u32) / 3
    };
    if luma_at(0) < 128 || luma_at(STAMP_CELLS - 1) >= 128 {
        return None;
    }
    let mut id = 0u64;
    for index in 1..=ID_BITS {
        id = (id << 1) | u64::from(luma_at(index) >= 128);
    }
    Some(id)
}

impl FrameSource for SyntheticSource {
    fn name(&self) -> String {
        format!("synthetic {}×{}", self.width, self.height)
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let id = self.next_id;
        self.next_id += 1;
        Ok(Frame::new(
            id,
            self.width,
            self.height,
            render_pattern(id, self.width, self.height),
        ))
    }

    fn frame_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_id_same_bytes_and_the_id_reads_back() {
        for (w, h) in [(640, 480), (641, 479), (27, 5), (64, 48)] {
            let mut a = SyntheticSource::new(w, h, 30.0).unwrap();
            let mut b = SyntheticSource::new(w, h, 30.0).unwrap();
            for k in 0..5 {
                let (fa, fb) = (a.next_frame().unwrap(), b.next_frame().unwrap());
                assert_eq!(fa.id, k);
                assert_eq!(
                    fa.rgba, fb.rgba,
                    "frame {k} differs between runs at {w}×{h}"
                );
                assert_eq!(read_frame_id(&fa.rgba, w, h), Some(k), "{w}×{h}");
            }
        }
    }

    /// The disc's pixels (its colour is the only one above 230 in red): count and centroid.
    fn disc(rgba: &[u8], width: u32) -> (usize, f32, f32) {
        let (mut n, mut sx, mut sy) = (0, 0.0, 0.0);
        for (i, px) in rgba.chunks_exact(4).enumerate() {
            if px[..3] == [240, 200, 170] {
                n += 1;
                sx += (i as u32 % width) as f32;
                sy += (i as u32 / width) as f32;
            }
        }
        (n, sx / n.max(1) as f32, sy / n.max(1) as f32)
    }

    /// What the pattern promises: a disc of radius 0.18·min(w, h) that moves between frames, over
    /// bands that change under a still point — something for the mask and the temporal stage
    /// to follow.
    #[test]
    fn a_disc_moves_over_sliding_bands() {
        let (w, h) = (320, 240);
        let mut source = SyntheticSource::new(w, h, 30.0).unwrap();
        let frames: Vec<Frame> = (0..3).map(|_| source.next_frame().unwrap()).collect();
        let area = std::f32::consts::PI * (0.18 * h as f32).powi(2);
        let discs: Vec<_> = frames.iter().map(|f| disc(&f.rgba, w)).collect();
        for (n, _, _) in &discs {
            let ratio = *n as f32 / area;
            assert!(
                (0.9..1.1).contains(&ratio),
                "disc of {n} px, expected ≈{area}"
            );
        }
        for pair in discs.windows(2) {
            let moved = (pair[1].1 - pair[0].1).hypot(pair[1].2 - pair[0].2);
            assert!(moved > 1.0, "the disc moved {moved} px between frames");
        }
        // A background point far from the disc's path changes colour from frame to frame.
        let corner = ((h - 2) * w + (w - 2)) as usize * 4;
        assert_ne!(
            frames[0].rgba[corner..corner + 3],
            frames[1].rgba[corner..corner + 3]
        );
    }

    #[test]
    fn consecutive_frames_differ_and_large_ids_survive() {
        assert_ne!(render_pattern(3, 64, 48), render_pattern(4, 64, 48));
        let id = (1 << ID_BITS) - 2;
        assert_eq!(
            read_frame_id(&render_pattern(id, 300, 20), 300, 20),
            Some(id)
        );
    }

    #[test]
    fn a_zero_size_is_refused() {
        assert!(matches!(
            SyntheticSource::new(0, 480, 30.0),
            Err(CaptureError::BadFrameSize { .. })
        ));
    }

    #[test]
    fn too_small_frames_have_no_stamp() {
        assert_eq!(read_frame_id(&render_pattern(1, 20, 4), 20, 4), None);
    }
}
