//! Inference per model × backend × intra-op threads (1, 2). ONNX Runtime cases run when its
//! library is found (ORT_DYLIB_PATH or a pip-installed onnxruntime) and are reported missing
//! otherwise.

use std::hint::black_box;

use bevy_backdrop::inference::backend::{BackendKind, load_backend};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::ort_runtime;
use criterion::{Criterion, criterion_group, criterion_main};

fn inference(c: &mut Criterion) {
    let registry = ModelRegistry::load(&default_models_dir()).expect("models/models.ron");
    let mut kinds = vec![BackendKind::Tract];
    match ort_runtime::status() {
        Ok(found) => {
            eprintln!("ONNX Runtime: {found}");
            kinds.insert(0, BackendKind::Ort);
        }
        Err(why) => eprintln!("ONNX Runtime cases skipped: {why}"),
    }
    let mut group = c.benchmark_group("inference");
    group.sample_size(30);
    for model in &registry.models {
        let input: Vec<f32> = (0..model.input_shape().iter().product::<usize>())
            .map(|i| (i % 251) as f32 / 250.0)
            .collect();
        for &kind in &kinds {
            // tract runs single-threaded: one case is enough.
            let thread_counts: &[usize] = if kind == BackendKind::Ort {
                &[1, 2]
            } else {
                &[1]
            };
            for &threads in thread_counts {
                let mut backend = load_backend(kind, &registry, model, threads).unwrap();
                group.bench_function(format!("{} {kind} {threads}t", model.id), |b| {
                    b.iter(|| backend.run(black_box(&input)).unwrap())
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
