//! The temporal stage on the CPU: the reference the GPU pass is tested against.

use super::TemporalSettings;
use crate::effects::reference::{Picture, Plane};

/// One update: the history after a new mask. `previous` is the history and the frame of the last
/// update (`None` after a reset).
pub fn reference_step(
    previous: Option<(&Plane, &Picture)>,
    frame: &Picture,
    refined: &Plane,
    settings: &TemporalSettings,
) -> Plane {
    let Some((history, last)) = previous else {
        return refined.clone();
    };
    let data = (0..refined.data.len())
        .map(|i| {
            let (now, before) = (frame.data[i], last.data[i]);
            let motion = (0..3)
                .map(|c| (now[c] - before[c]).abs())
                .fold(0.0f32, f32::max);
            let alpha = 1.0
                - settings.smoothing
                    * (1.0 - (motion * settings.motion_sensitivity).clamp(0.0, 1.0));
            history.data[i] + (refined.data[i] - history.data[i]) * alpha
        })
        .collect();
    Plane::new(refined.width, refined.height, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::temporal::*;

    fn still(w: u32, h: u32, v: f32) -> Picture {
        Picture {
            width: w,
            height: h,
            data: vec![[v; 3]; (w * h) as usize],
        }
    }

    #[test]
    fn off_is_the_new_mask_and_a_reset_too() {
        let frame = still(4, 1, 0.5);
        let history = Plane::new(4, 1, vec![0.0; 4]);
        let refined = Plane::new(4, 1, vec![1.0, 0.5, 0.25, 0.0]);
        let off = reference_step(
            Some((&history, &frame)),
            &frame,
            &refined,
            &TemporalSettings::OFF,
        );
        assert_eq!(off, refined);
        assert_eq!(
            reference_step(None, &frame, &refined, &TemporalSettings::default()),
            refined
        );
    }

    #[test]
    fn still_pixels_average_and_moving_pixels_follow() {
        let before = still(2, 1, 0.5);
        let mut now = before.clone();
        now.data[1] = [0.9, 0.5, 0.5]; // pixel 1 changed a lot
        let history = Plane::new(2, 1, vec![0.0, 0.0]);
        let refined = Plane::new(2, 1, vec![1.0, 1.0]);
        let out = reference_step(
            Some((&history, &before)),
            &now,
            &refined,
            &TemporalSettings::default(),
        );
        assert!(
            (out.data[0] - 0.15).abs() < 1e-6,
            "still: 15% of the new mask, {}",
            out.data[0]
        );
        assert_eq!(out.data[1], 1.0, "moving: all of it");
    }
}
