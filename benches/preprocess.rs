//! CPU pre-processing: a 1280×720 frame to each model's input, and a mask back up to 1280×720.

use std::hint::black_box;

use bevy_backdrop::capture::synthetic::render_pattern;
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::preprocess::{frame_to_tensor, upsample_mask};
use criterion::{Criterion, criterion_group, criterion_main};

fn preprocess(c: &mut Criterion) {
    let (w, h) = (1280, 720);
    let frame = render_pattern(7, w, h);
    let registry = ModelRegistry::bundled(&default_models_dir());
    let mut group = c.benchmark_group("preprocess 1280x720");
    for model in &registry.models {
        let mut out = Vec::new();
        group.bench_function(
            format!(
                "to {} {}x{}",
                model.id, model.input.width, model.input.height
            ),
            |b| b.iter(|| frame_to_tensor(black_box(&frame), w, h, &model.input, &mut out)),
        );
        let mask = vec![0.5f32; (model.input.width * model.input.height) as usize];
        group.bench_function(format!("mask {} up to 1280x720", model.id), |b| {
            b.iter(|| {
                upsample_mask(
                    black_box(&mask),
                    model.input.width,
                    model.input.height,
                    w,
                    h,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, preprocess);
criterion_main!(benches);
