#!/usr/bin/env python3
"""Regenerates models/*.onnx from the npm package @mediapipe/selfie_segmentation.

    models/convert/run.sh            # makes a venv, installs requirements, runs this

Steps: fetch the package with `npm pack` (exact version), check the TFLite files' SHA-256,
convert each model (tflite_to_onnx.py), check the ONNX model against the reference masks in
tests/fixtures/segmentation (made by MediaPipe's own Python implementation, see
reference_masks.py) with ONNX Runtime, and write the files with their SHA-256 into
models/models.sha256. Nothing is written when a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
ROOT = MODELS.parent
sys.path.insert(0, str(HERE))

import tflite_to_onnx  # noqa: E402
from fixtures import FIXTURES, MODEL_SPECS, load_fixture, load_mask  # noqa: E402

NPM_PACKAGE = "@mediapipe/selfie_segmentation@0.1.1675465747"
TFLITE_SHA256 = {
    "selfie_segmentation.tflite": "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
    "selfie_segmentation_landscape.tflite": "4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894",
}
TOLERANCE = 1e-3


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_package(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", "--silent", NPM_PACKAGE], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    (archive,) = workdir.glob("*.tgz")
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def check_against_reference(model_id: str, onnx_bytes: bytes) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    worst = 0.0
    for fixture in FIXTURES:
        if fixture.exact_for != model_id:
            continue
        rgb = load_fixture(fixture)
        x = (rgb.astype(np.float32) / 255.0)[None]
        mask = session.run(None, {"input": x})[0][0, :, :, 0]
        expected = load_mask(model_id, fixture)
        worst = max(worst, float(np.abs(mask - expected).max()))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="an unpacked package folder (skips npm)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        package = args.package or fetch_package(Path(tmp))
        outputs: dict[str, bytes] = {}
        for model_id, spec in MODEL_SPECS.items():
            source = package / spec["tflite"]
            data = source.read_bytes()
            if sha256(data) != TFLITE_SHA256[spec["tflite"]]:
                print(f"{source}: unexpected SHA-256 {sha256(data)}", file=sys.stderr)
                return 1
            onnx_bytes = tflite_to_onnx.convert(data).SerializeToString()
            worst = check_against_reference(model_id, onnx_bytes)
            status = "ok" if worst <= TOLERANCE else "FAILED"
            print(f"{model_id}: {spec['onnx']} max |onnx - mediapipe| = {worst:.2e} ({status})")
            if worst > TOLERANCE:
                return 1
            outputs[spec["onnx"]] = onnx_bytes

    lines = []
    for name, data in outputs.items():
        (MODELS / name).write_bytes(data)
        lines.append(f"{sha256(data)}  {name}\n")
    (MODELS / "models.sha256").write_text("".join(lines))
    print(f"wrote {', '.join(outputs)} and models.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
