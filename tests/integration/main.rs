//! Integration tests, in one binary on purpose: each test binary links all of Bevy (~0.8 GB).
//!
//! GPU tests run headless Bevy apps on whatever adapter wgpu finds (lavapipe on a machine without a
//! GPU). Bevy panics with "Unable to find a GPU" when there is none: such a test fails loudly.

mod bad_input;
mod blur;
mod cli;
mod common;
mod comparer;
mod diagnostics;
mod display;
mod effects;
mod examples;
mod gpu_network;
mod gpu_time;
mod headless;
mod inference;
mod inference_app;
mod memory;
mod presets;
mod refine;
mod sources;
mod split;
mod temporal;
