//! The process's resident memory, where users look: a Bevy diagnostic the overlay shows, the
//! headless summary line, and `--report-every` lines for soak runs. A virtual-background app is
//! left running for hours, so growth must be visible before it becomes a problem.
//!
//! Read with the `memory-stats` crate from `/proc/self/statm` on Linux (cheap: one small read;
//! the crate's default `smaps` walk costs milliseconds with Mesa's many mappings) and the OS's
//! own counters on Windows and macOS; `None` where the platform has none (the browser).

use std::time::Duration;

use bevy::diagnostic::{Diagnostic, DiagnosticPath, Diagnostics, RegisterDiagnostic};
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::time::common_conditions::on_real_timer;

/// Resident memory of the process, in MB (10⁶ bytes), sampled twice a second.
pub const RESIDENT_MB: DiagnosticPath = DiagnosticPath::const_new("backdrop/resident_mb");

/// How often [`RESIDENT_MB`] is sampled.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(500);

/// The process's resident memory in bytes, if the platform reports it.
pub fn resident_bytes() -> Option<u64> {
    memory_stats::memory_stats().map(|stats| stats.physical_mem as u64)
}

/// The process's resident memory in MB, if the platform reports it.
pub fn resident_mb() -> Option<f64> {
    resident_bytes().map(|bytes| bytes as f64 / 1e6)
}

/// Samples [`RESIDENT_MB`] every [`SAMPLE_INTERVAL`] of real time.
pub struct MemoryDiagnosticsPlugin;

impl Plugin for MemoryDiagnosticsPlugin {
    fn build(&self, app: &mut App) {
        app.register_diagnostic(
            Diagnostic::new(RESIDENT_MB)
                .with_suffix(" MB")
                .with_max_history_length(1),
        )
        .add_systems(Startup, sample_resident)
        .add_systems(Last, sample_resident.run_if(on_real_timer(SAMPLE_INTERVAL)));
    }
}

/// One line of a soak report: frames so far, the frame rate since the previous line, resident
/// memory. `--report-every N` prints one every N frames, in the window and headless.
pub struct FrameReporter {
    every: u64,
    last: Option<(u64, Instant)>,
}

impl FrameReporter {
    /// Reports every `every` frames (at least 1).
    pub fn new(every: u64) -> Self {
        Self {
            every: every.max(1),
            last: None,
        }
    }

    /// Call once per frame with the frames done so far; the line to print when one is due.
    pub fn frame(&mut self, frames: u64) -> Option<String> {
        if frames == 0 || !frames.is_multiple_of(self.every) {
            return None;
        }
        let now = Instant::now();
        let fps = self.last.map(|(before, at)| {
            (frames - before) as f64 / now.duration_since(at).as_secs_f64().max(1e-9)
        });
        self.last = Some((frames, now));
        Some(format!(
            "backdrop: frame {frames} · {} · resident {}",
            fps.map_or("fps n/a".into(), |f| format!("{f:.1} fps")),
            resident_mb().map_or("n/a".into(), |mb| format!("{mb:.1} MB"))
        ))
    }
}

fn sample_resident(mut diagnostics: Diagnostics) {
    if let Some(mb) = resident_mb() {
        diagnostics.add_measurement(&RESIDENT_MB, || mb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn resident_memory_matches_the_kernel_and_follows_an_allocation() {
        // VmRSS in /proc/self/status is what `top` and the memory tests read.
        let vm_rss = || -> f64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
            let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            kb * 1024.0 / 1e6
        };
        let (ours, kernel) = (resident_mb().unwrap(), vm_rss());
        assert!(
            (ours - kernel).abs() < 8.0,
            "{ours} MB vs VmRSS {kernel} MB"
        );
        // 64 MB touched page by page must show up.
        let block = std::hint::black_box(vec![1u8; 64 << 20]);
        let grown = resident_mb().unwrap() - ours;
        assert!(grown > 50.0, "resident memory grew by {grown} MB only");
        drop(block);
    }

    #[test]
    fn reports_come_every_n_frames() {
        let mut reporter = FrameReporter::new(100);
        let lines: Vec<u64> = (0..=350).filter(|&k| reporter.frame(k).is_some()).collect();
        assert_eq!(lines, [100, 200, 300]);
        let mut reporter = FrameReporter::new(2);
        assert!(reporter.frame(2).unwrap().contains("fps n/a"));
        let line = reporter.frame(4).unwrap();
        assert!(
            line.starts_with("backdrop: frame 4 · ") && line.contains(" fps · resident "),
            "{line}"
        );
    }
}
