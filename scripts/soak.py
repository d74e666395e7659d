#!/usr/bin/env python3
"""Soak benchmark: resident memory and frame rate over a long run, in the window (Xvfb) and headless.

Every stage is on: chain A replaces the background with a picture (light wrap, temporal smoothing),
chain B (the split view) blurs with the shipped default preset. The binary prints a line every
--every frames (`--report-every`); this script collects them and prints a Markdown table per run:
resident memory at the first and last report, the slope after warm-up (least squares over the
reports from the second on, in MB per 1,000 frames) and the median frame rate between reports.

    scripts/soak.py                                  # 10,000 frames at 640x360, both modes
    scripts/soak.py --frames 3000 --binary /tmp/old-backdrop --label before
    scripts/soak.py --modes headless --size 320x180

It runs binaries one after the other; give several --binary to compare them in one run.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^backdrop: frame (\d+) · (?:([\d.]+) fps|fps n/a) · resident ([\d.]+) MB")


def default_binary():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "backdrop"


def every_stage():
    return [
        "--background", f"image:{ROOT / 'assets/backgrounds/hubble_deep_field.jpg'}",
        "--light-wrap", "0.5", "--temporal", "0.85",
        "--split", str(ROOT / "assets/presets/default.preset.ron"),
    ]


def command(binary, mode, frames, every, size, scratch):
    common = ["--source", f"synthetic:{size}", "--report-every", str(every)] + every_stage()
    if mode == "headless":
        out = Path(scratch) / "soak.mp4"
        return [str(binary), "--headless", "--frames", str(frames), "--output", str(out)] + common
    if not shutil.which("xvfb-run"):
        sys.exit("soak: the window mode needs xvfb-run (scripts/setup.sh installs it)")
    return ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", str(binary),
            "--quit-after-frames", str(frames)] + common


def slope_per_1000(points):
    """Least-squares slope of resident MB over frames, per 1,000 frames."""
    if len(points) < 2:
        return float("nan")
    xs, ys = zip(*points)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def run(binary, mode, args):
    with tempfile.TemporaryDirectory() as scratch:
        cmd = command(binary, mode, args.frames, args.every, args.size, scratch)
        reports = []
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              cwd=ROOT) as child:
            for line in child.stdout:
                match = LINE.match(line)
                if match:
                    frame, fps, mb = match.groups()
                    reports.append((int(frame), float(fps) if fps else None, float(mb)))
                    print(f"  {mode} {binary}: {line.strip()}", file=sys.stderr, flush=True)
        if child.returncode != 0:
            sys.exit(f"soak: {' '.join(cmd)} exited with {child.returncode}")
    if not reports:
        sys.exit(f"soak: {binary} printed no report lines (does it know --report-every?)")
    memory = [(frame, mb) for frame, _, mb in reports]
    rates = [fps for _, fps, _ in reports if fps is not None]
    return {
        "first": memory[0],
        "last": memory[-1],
        "slope": slope_per_1000(memory[1:]),
        "fps": statistics.median(rates) if rates else float("nan"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", type=Path,
                        help="backdrop binary (repeatable; default: the release build)")
    parser.add_argument("--label", action="append", help="name of each binary in the table")
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--modes", default="window,headless")
    args = parser.parse_args()
    binaries = args.binary or [default_binary()]
    labels = args.label or [b.name if len(binaries) == 1 else str(b) for b in binaries]
    if len(labels) != len(binaries):
        sys.exit("soak: give one --label per --binary")
    rows = []
    for mode in args.modes.split(","):
        for binary, label in zip(binaries, labels):
            result = run(binary, mode, args)
            rows.append((mode, label, result))
    print(f"\nSoak: {args.frames} frames at {args.size}, every stage on, a report every "
          f"{args.every} frames\n")
    print("| mode | binary | resident at first report | resident at last report | "
          "slope after warm-up | median fps |")
    print("|---|---|---|---|---|---|")
    for mode, label, r in rows:
        (f0, m0), (f1, m1) = r["first"], r["last"]
        print(f"| {mode} | {label} | {m0:.1f} MB (frame {f0}) | {m1:.1f} MB (frame {f1}) | "
              f"{r['slope']:+.2f} MB / 1,000 frames | {r['fps']:.1f} |")


if __name__ == "__main__":
    main()
