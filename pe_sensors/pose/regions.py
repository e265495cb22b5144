"""Where in the image each candidate is looked for.

A station's camera is fixed, and so is each mat in its picture: the station
can say where a candidate lies or hangs as a rectangle of the image, a
:class:`Region` in fractions of the frame's width and height (so it holds for
any resolution of the same view). The pose tracker then sees only that
rectangle, and a person outside it (a partner holding the feet, a waiting
candidate, a teacher) cannot take the tracker over. Without regions the frame
is cut into equal full-height vertical lanes.

Pixel rectangles are :class:`Box` es; landmarks found in a crop are moved back
to full-frame pixels with :meth:`Box.to_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pe_sensors.errors import RegionError
from pe_sensors.pose.landmarks import FloatArray

# The smallest box BlazePose is given, pixels on each side: its person
# detector works on a 224 px square, and a box much smaller than that holds
# no whole person on any camera the stations use (640x480 and up).
MIN_BOX_PX = 32
# Number of values in a region's text form: left, top, right, bottom.
REGION_FIELDS = 4


@dataclass(frozen=True)
class Box:
    """A pixel rectangle of the frame: columns [x0, x1), rows [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        """Columns in the box."""
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        """Rows in the box."""
        return self.y1 - self.y0

    def crop(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The part of a full-frame image (rows, columns, ...) inside the box."""
        return image[self.y0 : self.y1, self.x0 : self.x1]

    def to_frame(self, xy: FloatArray) -> FloatArray:
        """Move points (..., 2) from box pixels to full-frame pixels.

        x grows by ``x0`` and y by ``y0``; NaN (unseen) stays NaN.
        """
        return np.asarray(xy, dtype=np.float64) + np.array([self.x0, self.y0])


@dataclass(frozen=True)
class Region:
    """A rectangle of the image as fractions of the frame's width and height.

    0 is the left (top) edge and 1 the right (bottom) edge, so
    ``Region(0.25, 0.0, 1.0, 1.0)`` is the right three quarters of the
    frame, full height.

    Raises
    ------
    RegionError
        If a side is outside [0, 1] or the rectangle is empty.
    """

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        for name in ("left", "top", "right", "bottom"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise RegionError(
                    f"region {name} {value} is outside 0-1; give each side as "
                    "a fraction of the frame's width or height"
                )
        if self.right <= self.left or self.bottom <= self.top:
            raise RegionError(
                f"region {self.text()} is empty; the right side must exceed "
                "the left and the bottom the top"
            )

    @classmethod
    def parse(cls, text: str) -> Region:
        """Read ``"left,top,right,bottom"`` (fractions), as the CLI takes it.

        Raises
        ------
        RegionError
            If the text is not four numbers, or they make no region.
        """
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError as exc:
            raise RegionError(
                f"region {text!r} is not numbers; write it as "
                "left,top,right,bottom fractions such as 0.25,0,1,1"
            ) from exc
        if len(values) != REGION_FIELDS:
            raise RegionError(
                f"region {text!r} has {len(values)} values, not "
                f"{REGION_FIELDS}; write it as left,top,right,bottom"
            )
        return cls(*values)

    def text(self) -> str:
        """The region as ``"left,top,right,bottom"``."""
        return f"{self.left:g},{self.top:g},{self.right:g},{self.bottom:g}"

    def box(self, *, width: int, height: int) -> Box:
        """The region's pixels in a ``width`` x ``height`` frame.

        Sides are rounded to the nearest pixel.

        Raises
        ------
        RegionError
            If the box is narrower or lower than :data:`MIN_BOX_PX`.
        """
        box = Box(
            x0=round(self.left * width),
            y0=round(self.top * height),
            x1=round(self.right * width),
            y1=round(self.bottom * height),
        )
        if min(box.width, box.height) < MIN_BOX_PX:
            raise RegionError(
                f"region {self.text()} is {box.width}x{box.height} px in a "
                f"{width}x{height} frame, under {MIN_BOX_PX} px on a side; "
                "draw it around the whole mat"
            )
        return box


def equal_lanes(*, width: int, height: int, lanes: int) -> list[Box]:
    """``lanes`` equal full-height vertical strips, left to right.

    Raises
    ------
    RegionError
        If ``lanes`` is below 1.
    """
    if lanes < 1:
        raise RegionError(f"lane count {lanes} is below 1; give 1 or more lanes")
    edges = np.linspace(0, width, lanes + 1).round().astype(int)
    return [
        Box(x0=int(edges[i]), y0=0, x1=int(edges[i + 1]), y1=height)
        for i in range(lanes)
    ]


def lane_boxes(
    *,
    width: int,
    height: int,
    lanes: int = 1,
    regions: list[Region] | None = None,
) -> list[Box]:
    """The box each lane's tracker sees: the regions, or equal strips.

    Parameters
    ----------
    width, height : int
        Frame size, pixels.
    lanes : int
        Number of equal vertical lanes when no regions are given; with
        regions it must be 1 (the default) or their number.
    regions : list of Region, optional
        One rectangle per candidate, in lane order.

    Raises
    ------
    RegionError
        If ``lanes`` disagrees with the number of regions.
    """
    if not regions:
        return equal_lanes(width=width, height=height, lanes=lanes)
    if lanes not in (1, len(regions)):
        raise RegionError(
            f"{lanes} lanes were asked for with {len(regions)} regions; give "
            "one region per lane, or leave the lane count out"
        )
    return [r.box(width=width, height=height) for r in regions]
