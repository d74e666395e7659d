//! The background picture for `Background::Image` and `Background::Video`: loaded (or played, on a
//! second frame source) into an `Image` the composite cover-crops. Values stay gamma-encoded
//! (`Rgba8Unorm`), like everything in the chain. A file that cannot be used is reported and the
//! frame is left as it is.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

use super::{BackdropSettings, Background, ChainCamera};
use crate::capture::{CurrentFrame, Frame};

pub struct BackgroundPlugin;

/// How a video background advances.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackgroundPlayback {
    /// At the video's own rate, newest frame wins (the window).
    #[default]
    Live,
    /// One video frame per new source frame (the headless mode: repeatable output).
    Lockstep,
}

/// The pictures the composites use: one per image or video background some chain shows (chain
/// A and the split view's chain B may differ), and the problems met loading them.
#[derive(Resource, Default)]
pub struct BackgroundPicture {
    pictures: Vec<Picture>,
    /// The newest problems with background files.
    pub problems: Vec<String>,
}

struct Picture {
    made_from: Background,
    image: Option<Handle<Image>>,
    #[cfg_attr(
        not(feature = "native"),
        expect(dead_code, reason = "video backgrounds play natively only")
    )]
    feed: Option<VideoFeed>,
    /// Source frame the lockstep video last advanced for.
    advanced_for: Option<u64>,
}

impl BackgroundPicture {
    /// The picture for `background`, once one is loaded.
    pub fn ready(&self, background: &Background) -> Option<&Handle<Image>> {
        self.pictures
            .iter()
            .find(|p| p.made_from == *background)
            .and_then(|p| p.image.as_ref())
    }

    fn report(problems: &mut Vec<String>, problem: String) {
        error!("background: {problem}");
        problems.push(problem);
        let excess = problems.len().saturating_sub(4);
        problems.drain(..excess);
    }
}

enum VideoFeed {
    #[cfg(feature = "native")]
    Live(crate::capture::Worker),
    #[cfg(feature = "native")]
    Lockstep(crate::capture::video::VideoSource),
}

impl Plugin for BackgroundPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<BackgroundPicture>()
            .init_resource::<BackgroundPlayback>()
            .add_systems(PreUpdate, follow_background.after(super::FitChainToFrame));
    }
}

fn picture_image(frame: &Frame) -> Image {
    Image::new(
        Extent3d {
            width: frame.width,
            height: frame.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        frame.rgba.as_ref().clone(),
        // Not sRGB: sampling returns the encoded values the chain works in.
        TextureFormat::Rgba8Unorm,
        RenderAssetUsages::default(),
    )
}

fn show(picture: &mut Picture, images: &mut Assets<Image>, frame: &Frame) {
    if let Some(mut image) = picture.image.as_ref().and_then(|h| images.get_mut(h)) {
        *image = picture_image(frame);
        return;
    }
    picture.image = Some(images.add(picture_image(frame)));
}

/// Opens a picture for an image or video background; problems go to `problems`.
fn open_picture(
    wanted: &Background,
    playback: BackgroundPlayback,
    images: &mut Assets<Image>,
    problems: &mut Vec<String>,
) -> Picture {
    let mut picture = Picture {
        made_from: wanted.clone(),
        image: None,
        feed: None,
        advanced_for: None,
    };
    match wanted {
        Background::Image(path) => match crate::capture::still::decode_image_file(path) {
            Ok((width, height, rgba)) => {
                show(&mut picture, images, &Frame::new(0, width, height, rgba))
            }
            Err(e) => BackgroundPicture::report(
                problems,
                format!("{e} — the background is left as it is"),
            ),
        },
        #[cfg(feature = "native")]
        Background::Video(path) => match playback {
            BackgroundPlayback::Live => {
                let spec = crate::capture::SourceSpec::Video(path.clone());
                picture.feed = Some(VideoFeed::Live(crate::capture::Worker::spawn(
                    spec,
                    crate::capture::SourceOptions::default(),
                    false,
                )));
            }
            BackgroundPlayback::Lockstep => match crate::capture::video::VideoSource::open(path) {
                Ok(source) => picture.feed = Some(VideoFeed::Lockstep(source)),
                Err(e) => BackgroundPicture::report(
                    problems,
                    format!("{e} — the background is left as it is"),
                ),
            },
        },
        _ => {}
    }
    let _ = playback;
    picture
}

fn follow_background(
    chains: Query<(&Camera, &BackdropSettings), With<ChainCamera>>,
    playback: Res<BackgroundPlayback>,
    current: Res<CurrentFrame>,
    mut pictures: ResMut<BackgroundPicture>,
    mut images: ResMut<Assets<Image>>,
) {
    let BackgroundPicture { pictures, problems } = &mut *pictures;
    let mut wanted: Vec<&Background> = Vec::new();
    for (camera, settings) in &chains {
        let background = &settings.composite.background;
        if camera.is_active
            && matches!(background, Background::Image(_) | Background::Video(_))
            && !wanted.contains(&background)
        {
            wanted.push(background);
        }
    }
    pictures.retain(|p| wanted.contains(&&p.made_from));
    for background in wanted {
        if !pictures.iter().any(|p| p.made_from == *background) {
            pictures.push(open_picture(background, *playback, &mut images, problems));
        }
    }
    // Lockstep advances once per source frame (a re-upload of the same frame does not count).
    let frame_id = current.frame.as_ref().map(|f| f.id);
    for picture in pictures.iter_mut() {
        let new_frame = frame_id.is_some() && frame_id != picture.advanced_for;
        if new_frame {
            picture.advanced_for = frame_id;
        }
        advance_video(picture, &mut images, problems, new_frame);
    }
}

#[cfg(feature = "native")]
fn advance_video(
    picture: &mut Picture,
    images: &mut Assets<Image>,
    problems: &mut Vec<String>,
    new_frame: bool,
) {
    use crate::capture::{FrameSource, WorkerEvent};
    let next = match picture.feed.as_mut() {
        None => return,
        Some(VideoFeed::Live(worker)) => {
            for event in worker.take_events() {
                if let WorkerEvent::Failed(e) = event {
                    picture.feed = None;
                    BackgroundPicture::report(
                        problems,
                        format!("{e} — the background is left as it is"),
                    );
                    return;
                }
            }
            worker.take_newest().map(Ok)
        }
        Some(VideoFeed::Lockstep(source)) => new_frame.then(|| source.next_frame()),
    };
    match next {
        Some(Ok(frame)) => show(picture, images, &frame),
        Some(Err(e)) => {
            picture.feed = None;
            picture.image = None;
            BackgroundPicture::report(problems, format!("{e} — the background is left as it is"));
        }
        None => {}
    }
}

#[cfg(not(feature = "native"))]
fn advance_video(_: &mut Picture, _: &mut Assets<Image>, _: &mut Vec<String>, _: bool) {}
