"""Image evidence of a skipping rope passing around the feet.

A body-only judge cannot tell a jump over the rope from a jump with no rope
(or a rope stopped by the feet), so the rope-skipping judge also asks the
pixels. At the bottom of its turn the rope sweeps the floor just beside and
below the feet as a thin line that moves far between two frames. This module
measures, per frame, how much thin fast-changing structure appears in a band
around the feet but outside the legs themselves.

Limits (first version, measured only on frontal views):

* The rope must contrast with the floor; a rope the colour of the floor, or
  motion blur spreading it to a faint smear, gives little evidence.
* The band's sides must be free of other moving things (a neighbour's rope in
  the next lane, a passer-by); their motion counts as rope.
* A rope passing right behind the feet, hidden by the legs in a side view,
  is missed: the band between the feet is left out because the legs move
  there too.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from pe_sensors.pose.landmarks import FloatArray

# Band around the feet, in torso lengths (shoulder midpoint to hip midpoint):
# above and below the lowest and highest foot point, and sideways beyond them.
BAND_UP_TORSO = 0.35
BAND_DOWN_TORSO = 0.35
BAND_SIDE_TORSO = 0.9
# The strip over the feet themselves, left out because the legs move there.
FEET_MARGIN_TORSO = 0.12
# Grey-level step (0-255) in the thin-structure image that counts as a rope
# pixel; below it is sensor noise and compression ringing.
THIN_DIFF_LEVEL = 12
# Structuring element of the top-hat filter: structures thinner than this
# many pixels survive (a rope is 1-4 px at exam-camera resolutions).
THIN_KERNEL_PX = 7


def band_box(
    feet: FloatArray, *, torso_px: float, width: int, height: int
) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1) of the band searched for the rope.

    Parameters
    ----------
    feet : np.ndarray, shape (k, 2)
        Foot landmarks (ankles, heels, toes) of this frame, pixels; NaN rows
        are ignored.
    torso_px : float
        Torso length, pixels, the scale of the band.
    width, height : int
        Image size, pixels.

    Returns
    -------
    tuple of int or None
        The clipped box, or None when no foot is seen or the box is empty.
    """
    seen = feet[np.isfinite(feet[:, 0])]
    if seen.size == 0 or not np.isfinite(torso_px) or torso_px <= 0:
        return None
    x0 = int(max(0, seen[:, 0].min() - BAND_SIDE_TORSO * torso_px))
    x1 = int(min(width, seen[:, 0].max() + BAND_SIDE_TORSO * torso_px))
    y0 = int(max(0, seen[:, 1].min() - BAND_UP_TORSO * torso_px))
    y1 = int(min(height, seen[:, 1].max() + BAND_DOWN_TORSO * torso_px))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1


def rope_evidence(
    previous_gray: NDArray[np.uint8],
    gray: NDArray[np.uint8],
    *,
    feet: FloatArray,
    torso_px: float,
) -> float:
    """Fraction of the band beside the feet showing a thin moving line.

    Parameters
    ----------
    previous_gray, gray : np.ndarray, shape (height, width), uint8
        Two consecutive analysed frames in grey levels.
    feet : np.ndarray, shape (k, 2)
        Foot landmarks of the later frame, pixels.
    torso_px : float
        Torso length, pixels.

    Returns
    -------
    float
        In [0, 1]: the share of band pixels (the strip over the feet left
        out) where the white top-hat of ``|gray - previous_gray|`` exceeds
        :data:`THIN_DIFF_LEVEL`; NaN when no foot is seen.
    """
    height, width = gray.shape
    box = band_box(feet, torso_px=torso_px, width=width, height=height)
    if box is None:
        return float("nan")
    x0, y0, x1, y1 = box

    # Step 1: what changed between the frames inside the band.
    diff = cv2.absdiff(gray[y0:y1, x0:x1], previous_gray[y0:y1, x0:x1])

    # Step 2: keep only thin structures (a rope), not broad ones (a leg).
    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (THIN_KERNEL_PX, THIN_KERNEL_PX)
    )
    thin = cv2.morphologyEx(diff, cv2.MORPH_TOPHAT, kernel)
    mask = thin > THIN_DIFF_LEVEL

    # Step 3: leave out the strip over the feet, where the legs move.
    seen = feet[np.isfinite(feet[:, 0])]
    margin = FEET_MARGIN_TORSO * torso_px
    fx0 = int(max(0, seen[:, 0].min() - margin - x0))
    fx1 = int(max(0, seen[:, 0].max() + margin - x0))
    mask[:, fx0:fx1] = False
    n_side = mask.shape[0] * (mask.shape[1] - min(mask.shape[1], fx1 - fx0))
    if n_side <= 0:
        return float("nan")
    return float(mask.sum() / n_side)
