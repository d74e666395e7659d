//! The headless mode end to end on the GPU: pass-through exactness and frame order.

use bevy_backdrop::batch::BatchOutput;
use bevy_backdrop::capture::SourceSpec;
use bevy_backdrop::capture::synthetic::{read_frame_id, render_pattern};

use crate::common::{max_channel_difference, noise_image, read_png, render_frames};

fn still_image_passes_through(width: u32, height: u32) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.png");
    let source = noise_image(width, height, width ^ height);
    source.save(&input).unwrap();
    let out = dir.path().join("out");
    let summary = render_frames(SourceSpec::Image(input), Some(2), &out);
    assert_eq!(
        (summary.frames, summary.width, summary.height),
        (2, width, height)
    );
    for k in 0..2 {
        let rendered = read_png(&BatchOutput::frame_path(&out, k));
        assert_eq!(
            rendered.dimensions(),
            (width, height),
            "output has the source's size"
        );
        let diff = max_channel_difference(&source, &rendered);
        assert!(
            diff <= 1,
            "frame {k} at {width}×{height}: max channel difference {diff} > 1/255"
        );
    }
}

#[test]
fn still_image_passes_through_640x480() {
    still_image_passes_through(640, 480);
}

#[test]
fn still_image_passes_through_odd_641x479() {
    still_image_passes_through(641, 479);
}

#[test]
fn a_one_pixel_frame_passes_through() {
    still_image_passes_through(1, 1);
}

/// PNG k must show source frame k: a read-back that lags by a frame shows the previous id.
#[test]
fn headless_png_k_shows_synthetic_frame_k() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (320, 180);
    let frames = 8;
    render_frames(
        SourceSpec::Synthetic {
            width: w,
            height: h,
        },
        Some(frames),
        dir.path(),
    );
    for k in 0..frames {
        let rendered = read_png(&BatchOutput::frame_path(dir.path(), k));
        assert_eq!(
            read_frame_id(rendered.as_raw(), w, h),
            Some(k),
            "PNG {k} carries another frame's id"
        );
        let expected = image::RgbaImage::from_raw(w, h, render_pattern(k, w, h)).unwrap();
        let diff = max_channel_difference(&expected, &rendered);
        assert!(diff <= 1, "PNG {k}: max channel difference {diff}");
    }
    assert!(
        !BatchOutput::frame_path(dir.path(), frames).exists(),
        "wrote more frames than asked"
    );
}

/// Sizes change mid-stream in a folder of mixed images; each output keeps its frame's size.
#[test]
fn a_folder_of_mixed_sizes_keeps_each_size() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("seq");
    std::fs::create_dir(&folder).unwrap();
    let sizes = [(64, 48), (33, 65), (64, 48)];
    for (i, (w, h)) in sizes.iter().enumerate() {
        noise_image(*w, *h, i as u32)
            .save(folder.join(format!("img_{i}.png")))
            .unwrap();
    }
    let out = dir.path().join("out");
    let summary = render_frames(SourceSpec::Sequence(folder.clone()), None, &out);
    assert_eq!(summary.frames, 3, "one pass through the folder by default");
    for (k, (w, h)) in sizes.iter().enumerate() {
        let rendered = read_png(&BatchOutput::frame_path(&out, k as u64));
        let source = read_png(&folder.join(format!("img_{k}.png")));
        assert_eq!(rendered.dimensions(), (*w, *h));
        assert!(max_channel_difference(&source, &rendered) <= 1, "frame {k}");
    }
}
