"""The segmentation test fixtures and reference masks: where they live and how they are read.

Fixtures are small RGB PNGs in tests/fixtures/segmentation/. A fixture whose size equals a model's
input (`exact_for`) is checked tightly (1e-3) at model resolution, since there both resizes are the
identity; the others are photos checked at frame resolution (IoU of mask > 0.5). Reference masks
are 16-bit grayscale PNGs (probability × 65535) in expected/<model>/<fixture>.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "segmentation"

MODEL_SPECS = {
    "general": {"tflite": "selfie_segmentation.tflite", "onnx": "selfie_general.onnx",
                "mediapipe_selection": 0, "size": (256, 256)},
    "landscape": {"tflite": "selfie_segmentation_landscape.tflite",
                  "onnx": "selfie_landscape.onnx", "mediapipe_selection": 1, "size": (256, 144)},
}


@dataclass(frozen=True)
class Fixture:
    name: str
    exact_for: str | None  # the model whose input size this fixture has


FIXTURES = [
    Fixture("astronaut_256x256", "general"),
    Fixture("camera_256x256", "general"),
    Fixture("coffee_256x256", "general"),
    Fixture("astronaut_256x144", "landscape"),
    Fixture("camera_256x144", "landscape"),
    Fixture("coffee_256x144", "landscape"),
    Fixture("astronaut_384x288", None),
    Fixture("camera_300x400", None),
]


def fixture_path(fixture: Fixture) -> Path:
    return FIXTURE_DIR / f"{fixture.name}.png"


def mask_path(model_id: str, fixture: Fixture) -> Path:
    return FIXTURE_DIR / "expected" / model_id / f"{fixture.name}.png"


def load_fixture(fixture: Fixture) -> np.ndarray:
    """RGB uint8, H x W x 3."""
    bgr = cv2.imread(str(fixture_path(fixture)), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(fixture_path(fixture))
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_mask(model_id: str, fixture: Fixture) -> np.ndarray:
    """Person probability, float32, H x W."""
    raw = cv2.imread(str(mask_path(model_id, fixture)), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise FileNotFoundError(mask_path(model_id, fixture))
    return raw.astype(np.float32) / 65535.0


def save_mask(model_id: str, fixture: Fixture, mask: np.ndarray) -> None:
    path = mask_path(model_id, fixture)
    path.parent.mkdir(parents=True, exist_ok=True)
    quantised = np.round(np.clip(mask, 0.0, 1.0) * 65535.0).astype(np.uint16)
    cv2.imwrite(str(path), quantised)
