"""Image evidence of a skipping rope passing around the feet and overhead.

A body-only judge cannot tell a jump over the rope from a jump with no rope
(or a rope stopped by the feet), so the rope-skipping judge also asks the
pixels. At the bottom of its turn the rope sweeps the floor just beside and
below the feet as a thin line that moves far between two frames. This module
measures, per frame, how much thin fast-changing structure appears in a band
around the feet but outside the legs themselves, and in a second band above
the head, where the top of the turn crosses a background that is often
plainer than the floor (a wall, the sky) and nothing else moves.

Limits (first version, measured only on frontal views):

* The rope must contrast with the floor; a rope the colour of the floor, or
  motion blur spreading it to a faint smear, gives little evidence.
* The band's sides must be free of other moving things (a neighbour's rope in
  the next lane, a passer-by); their motion counts as rope.
* A rope passing right behind the feet, hidden by the legs in a side view,
  is missed: the band between the feet is left out because the legs move
  there too.
* The band above the head sees the rope while it is overhead, which for
  single turns is between two jumps, not during them; the judge therefore
  reads it only against the local quiet level, and it cannot tell a turn
  that goes on to pass the feet from one stopped by them.
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
# Band above the head, in torso lengths: it starts OVERHEAD_CLEAR above the
# nose (clear of the hair) and reaches OVERHEAD_UP higher; it spans
# OVERHEAD_SIDE to either side of the nose.
OVERHEAD_CLEAR_TORSO = 0.35
OVERHEAD_UP_TORSO = 1.0
OVERHEAD_SIDE_TORSO = 1.0
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
    x0 = box[0]

    # Step 1: thin structures that changed between the frames in the band.
    mask = _thin_change(previous_gray, gray, box=box)

    # Step 2: leave out the strip over the feet, where the legs move.
    seen = feet[np.isfinite(feet[:, 0])]
    margin = FEET_MARGIN_TORSO * torso_px
    fx0 = int(max(0, seen[:, 0].min() - margin - x0))
    fx1 = int(max(0, seen[:, 0].max() + margin - x0))
    mask[:, fx0:fx1] = False
    n_side = mask.shape[0] * (mask.shape[1] - min(mask.shape[1], fx1 - fx0))
    if n_side <= 0:
        return float("nan")
    return float(mask.sum() / n_side)


def overhead_box(
    nose: FloatArray, *, torso_px: float, width: int, height: int
) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1) of the band above the head.

    Parameters
    ----------
    nose : np.ndarray, shape (2,)
        The nose landmark of this frame, pixels; NaN when unseen.
    torso_px : float
        Torso length, pixels, the scale of the band.
    width, height : int
        Image size, pixels.

    Returns
    -------
    tuple of int or None
        Rows from ``nose_y - (OVERHEAD_CLEAR + OVERHEAD_UP) * torso`` to
        ``nose_y - OVERHEAD_CLEAR * torso``, columns within
        ``OVERHEAD_SIDE * torso`` of the nose, clipped to the image; None
        when the nose is unseen or the clipped box is empty (the head at the
        top edge of the picture).
    """
    if not np.all(np.isfinite(nose)) or not np.isfinite(torso_px) or torso_px <= 0:
        return None
    x0 = int(max(0, nose[0] - OVERHEAD_SIDE_TORSO * torso_px))
    x1 = int(min(width, nose[0] + OVERHEAD_SIDE_TORSO * torso_px))
    y1 = int(min(height, nose[1] - OVERHEAD_CLEAR_TORSO * torso_px))
    y0 = int(max(0, y1 - OVERHEAD_UP_TORSO * torso_px))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1


def overhead_rope_evidence(
    previous_gray: NDArray[np.uint8],
    gray: NDArray[np.uint8],
    *,
    nose: FloatArray,
    torso_px: float,
) -> float:
    """Fraction of the band above the head showing a thin moving line.

    Parameters
    ----------
    previous_gray, gray : np.ndarray, shape (height, width), uint8
        Two consecutive analysed frames in grey levels.
    nose : np.ndarray, shape (2,)
        The nose landmark of the later frame, pixels.
    torso_px : float
        Torso length, pixels.

    Returns
    -------
    float
        In [0, 1]: the share of :func:`overhead_box` pixels where the white
        top-hat of ``|gray - previous_gray|`` exceeds
        :data:`THIN_DIFF_LEVEL`; NaN when the box is empty.
    """
    height, width = gray.shape
    box = overhead_box(nose, torso_px=torso_px, width=width, height=height)
    if box is None:
        return float("nan")
    return float(_thin_change(previous_gray, gray, box=box).mean())


def _thin_change(
    previous_gray: NDArray[np.uint8],
    gray: NDArray[np.uint8],
    *,
    box: tuple[int, int, int, int],
) -> NDArray[np.bool_]:
    """Pixels of a box where a thin structure (a rope, not a leg) changed."""
    x0, y0, x1, y1 = box
    diff = cv2.absdiff(gray[y0:y1, x0:x1], previous_gray[y0:y1, x0:x1])
    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (THIN_KERNEL_PX, THIN_KERNEL_PX)
    )
    thin = cv2.morphologyEx(diff, cv2.MORPH_TOPHAT, kernel)
    return np.asarray(thin > THIN_DIFF_LEVEL)
