//! Frame sources on fixtures the tests make themselves: counts, sizes, order, looping.

use std::process::Command;

use bevy_backdrop::batch::{BatchConfig, BatchOutput, run_batch};
use bevy_backdrop::capture::frame::FrameSource;
use bevy_backdrop::capture::sequence::SequenceSource;
use bevy_backdrop::capture::synthetic::render_pattern;
use bevy_backdrop::capture::video::{VideoSource, VideoWriter, probe};
use bevy_backdrop::capture::{SourceOptions, SourceSpec};

use crate::common::{gpu_lock, noise_image, read_png};

#[test]
fn a_folder_plays_in_name_order_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    // Written out of order, with a file that is not an image.
    for (name, seed) in [("b_002.png", 2), ("a_001.jpg", 1), ("c_003.PNG", 3)] {
        let path = dir.path().join(name);
        let picture = image::DynamicImage::ImageRgba8(noise_image(40, 30, seed));
        if name.ends_with("jpg") {
            picture
                .into_rgb8()
                .save_with_format(path, image::ImageFormat::Jpeg)
                .unwrap();
        } else {
            picture
                .save_with_format(path, image::ImageFormat::Png)
                .unwrap();
        }
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();

    let mut source = SequenceSource::open(dir.path(), 30.0).unwrap();
    assert_eq!(source.frames_per_pass(), Some(3));
    let names: Vec<_> = source
        .files()
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["a_001.jpg", "b_002.png", "c_003.PNG"]);
    let frames: Vec<_> = (0..5).map(|_| source.next_frame().unwrap()).collect();
    for (k, frame) in frames.iter().enumerate() {
        assert_eq!(frame.id, k as u64);
        assert_eq!((frame.width, frame.height), (40, 30));
    }
    assert_eq!(
        frames[3].rgba, frames[0].rgba,
        "loops back to the first image"
    );
    assert_eq!(
        frames[1].rgba.as_ref(),
        noise_image(40, 30, 2).as_raw(),
        "png decodes exactly"
    );
    assert_ne!(frames[0].rgba, frames[1].rgba);
}

/// Makes a video of the synthetic pattern with the project's own writer.
fn make_video(path: &std::path::Path, width: u32, height: u32, frames: u64) {
    let mut writer = VideoWriter::create(path, width, height, 25.0).unwrap();
    for k in 0..frames {
        writer.write(&render_pattern(k, width, height)).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn a_video_yields_its_frames_in_order_then_loops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    make_video(&path, 64, 48, 10);

    let info = probe(&path).unwrap();
    assert_eq!((info.width, info.height, info.frames), (64, 48, Some(10)));
    assert!((info.fps - 25.0).abs() < 0.01, "fps {}", info.fps);

    let mut source = VideoSource::open(&path).unwrap();
    assert_eq!(source.frames_per_pass(), Some(10));
    let frames: Vec<_> = (0..13).map(|_| source.next_frame().unwrap()).collect();
    for (k, frame) in frames.iter().enumerate() {
        assert_eq!((frame.id, frame.width, frame.height), (k as u64, 64, 48));
    }
    // H.264 is lossy, but deterministic: the second pass decodes to the same bytes.
    for k in 0..3 {
        assert_eq!(frames[10 + k].rgba, frames[k].rgba, "loop frame {k}");
    }
    // And it resembles what was written (mean error, not exactness).
    let written = render_pattern(4, 64, 48);
    let mean_error = frames[4]
        .rgba
        .iter()
        .zip(&written)
        .map(|(a, b)| a.abs_diff(*b) as f64)
        .sum::<f64>()
        / written.len() as f64;
    assert!(
        mean_error < 12.0,
        "decoded frame 4 is far from the written one: {mean_error}"
    );
}

#[test]
fn odd_sized_video_is_written_padded_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.mkv");
    make_video(&path, 33, 17, 3);
    let info = probe(&path).unwrap();
    assert_eq!(
        (info.width, info.height),
        (34, 18),
        "yuv420p needs even sides: padded by one"
    );
}

#[test]
fn headless_writes_a_video_and_reads_a_video() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mp4");
    make_video(&input, 96, 64, 6);

    let output = dir.path().join("out.mp4");
    let summary = {
        let _gpu = gpu_lock();
        run_batch(BatchConfig {
            source: SourceSpec::Video(input.clone()),
            options: SourceOptions::default(),
            mirror: false,
            frames: None,
            output: BatchOutput::from_path(&output),
            progress: false,
            log: false,
            inference: None,
            write_mask: false,
            effects: Default::default(),
            models_dir: None,
            preset: None,
            report_every: None,
            split: None,
        })
        .unwrap()
    };
    assert_eq!((summary.frames, summary.width, summary.height), (6, 96, 64));
    let info = probe(&output).unwrap();
    assert_eq!((info.width, info.height, info.frames), (96, 64, Some(6)));

    // The same video as PNGs: one pass, in order.
    let frames_dir = dir.path().join("frames");
    crate::common::render_frames(SourceSpec::Video(input), None, &frames_dir);
    assert!(frames_dir.join("frame_00005.png").exists());
    assert!(!frames_dir.join("frame_00006.png").exists());
    assert_eq!(
        read_png(&frames_dir.join("frame_00000.png")).dimensions(),
        (96, 64)
    );
}

#[test]
fn ffmpeg_is_installed() {
    // The video source and writer need it; CI installs it. Fail here, with the reason, rather than
    // in a confusing way elsewhere.
    let status = Command::new("ffmpeg").arg("-version").output();
    assert!(
        status.is_ok_and(|o| o.status.success()),
        "ffmpeg is missing: apt-get install ffmpeg"
    );
}
