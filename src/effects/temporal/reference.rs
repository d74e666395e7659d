//! The temporal stage on the CPU: the reference the GPU pass is tested against.

use super::TemporalSettings;
use crate::effects::reference::Rgba;

/// One update: the next history after a new mask. `guide` is this update's (colour, decoded mask)
/// at model resolution, `previous` the history (`None` after a reset); the result holds this
/// update's colour and the smoothed mask, as the `Rgba16Float` texture stores them.
pub fn reference_step(previous: Option<&Rgba>, guide: &Rgba, settings: &TemporalSettings) -> Rgba {
    let Some(history) = previous else {
        return guide.clone().stored();
    };
    let data = guide
        .data
        .iter()
        .zip(&history.data)
        .map(|(now, then)| {
            let motion = (0..3)
                .map(|c| (now[c] - then[c]).abs())
                .fold(0.0f32, f32::max);
            let alpha = 1.0
                - settings.smoothing
                    * (1.0 - (motion * settings.motion_sensitivity).clamp(0.0, 1.0));
            [now[0], now[1], now[2], then[3] + (now[3] - then[3]) * alpha]
        })
        .collect();
    Rgba::new(guide.width, guide.height, data).stored()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::temporal::*;

    /// A guide of one grey `colour` everywhere, with these mask values.
    fn guide(colour: f32, mask: &[f32]) -> Rgba {
        Rgba::new(
            mask.len() as u32,
            1,
            mask.iter().map(|&m| [colour, colour, colour, m]).collect(),
        )
    }

    #[test]
    fn off_is_the_new_mask_and_a_reset_too() {
        let history = guide(0.5, &[0.0; 4]);
        let now = guide(0.5, &[1.0, 0.5, 0.25, 0.0]);
        let off = reference_step(Some(&history), &now, &TemporalSettings::OFF);
        assert_eq!(off, now);
        assert_eq!(
            reference_step(None, &now, &TemporalSettings::default()),
            now
        );
    }

    #[test]
    fn still_pixels_average_and_moving_pixels_follow() {
        let before = guide(0.5, &[0.0, 0.0]);
        let mut now = guide(0.5, &[1.0, 1.0]);
        now.data[1][0] = 0.9; // pixel 1 changed a lot
        let out = reference_step(Some(&before), &now, &TemporalSettings::default());
        assert!(
            (out.data[0][3] - 0.15).abs() < 1e-3,
            "still: 15% of the new mask, {}",
            out.data[0][3]
        );
        assert_eq!(out.data[1][3], 1.0, "moving: all of it");
        // The next update compares with this update's colour.
        assert_eq!(out.data[1][0], crate::effects::reference::f16(0.9));
    }
}
