"""Rendered standing long jumps of known distance, to prove the measurement.

A real person, cut out of frames of the exam authority's procedure film
(``gt_standinglongjump_exam.mp4`` in the PE videos folder), is composited
onto a mat drawn in perspective by a pinhole camera placed as exam cameras
are: beside the mat and above it. The camera's homography from mat
centimetres to pixels is known exactly, so the scene's truth is known:

* the landing sprite is placed so that its rear heel's ground contact,
  a pixel picked by eye on the source frame (never by the pose model under
  test), falls on the image of the mat point ``(lane_x_cm, land_heel_cm)``;
  the true distance is ``land_heel_cm`` from the take-off line;
* the standing sprite before take-off is placed by its front toe's ground
  contact, so whether the toe is on the line (a foul) is known.

Mat coordinates are those of :mod:`pe_sensors.jump`: x along the take-off
line, y forwards, z up, cm. The line is a white band 5 cm wide lying in front
of ``y = 0``; the distance is measured from its rear edge (the edge the
candidate stands behind) and a toe at ``y >= 0`` is on the line.

This module is test material: the sprites come from the shared data folder,
which is never committed, so callers pass that folder in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from pe_sensors.errors import PoseModelError, VideoError
from pe_sensors.pose.landmarks import FloatArray

logger = logging.getLogger(__name__)

Frame = NDArray[np.uint8]

# The film the sprites are cut from, in the PE videos folder.
SPRITE_CLIP = "gt_standinglongjump_exam.mp4"
# Rendered frames: the size of an exam station's camera, and its rate.
FRAME_SIZE = (640, 480)
FPS = 30.0
# The mat as drawn: 120 cm wide, from 40 cm behind the line to 300 cm past
# it; the take-off line is a white band this wide in front of y = 0.
MAT_X_CM = (-60.0, 60.0)
MAT_Y_CM = (-40.0, 300.0)
LINE_WIDTH_CM = 5.0
EDGE_WIDTH_CM = 3.0
# Colours, BGR: the white of the painted lines, the pinkish red of the mat
# in the sprite film (so the sprite's fringe blends in), the ground's green.
WHITE = (235, 238, 240)
MAT_RED = (120, 110, 205)
GROUND_GREEN = (86.0, 128.0, 62.0)
# The points a user marks to calibrate: the mat's corners and the two ends
# of the take-off line's rear edge.
CALIBRATION_POINTS_CM = np.array(
    [
        [MAT_X_CM[0], MAT_Y_CM[0]],
        [MAT_X_CM[1], MAT_Y_CM[0]],
        [MAT_X_CM[1], MAT_Y_CM[1]],
        [MAT_X_CM[0], MAT_Y_CM[1]],
        [MAT_X_CM[0], 0.0],
        [MAT_X_CM[1], 0.0],
    ]
)
# The segmentation mask's soft edge is mapped to an alpha ramp between these
# two mask values (0.5, the ramp's middle, is the person's outline).
ALPHA_RAMP = (0.3, 0.7)
# Timeline of one attempt, seconds: standing to take off, in the air,
# standing after landing.
STAND_BEFORE_S = 1.0
FLIGHT_S = 0.5
STAND_AFTER_S = 1.5
# Height of the feet at the top of the flight, cm.
FLIGHT_PEAK_CM = 40.0
# A user marking the mat corners on a screenshot is off by up to this, px.
CLICK_ERROR_PX = 1.0


@dataclass(frozen=True)
class SpriteSource:
    """Where a sprite is cut from, and its ground contacts picked by eye.

    Points are pixel centres of the source frame; a contact is the outer
    corner of the sole's outline (half a pixel outside the last shoe pixel).
    """

    frame: int
    # Ground contact of the rear shoe's heel (the rearmost landing mark).
    rear_heel_px: tuple[float, float]
    # Ground contact of the front shoe's toe.
    front_toe_px: tuple[float, float]
    # How tall the figure stands in the frame, from head to sole, cm.
    height_cm: float


# Standing at the line, arms forward (frame 1070), and standing with the
# arms up (frame 1100); she faces away from the camera and to the right.
# Contacts read on 8x enlargements of the frames with the mask outline drawn.
STAND_ARMS_FORWARD = SpriteSource(
    frame=1070, rear_heel_px=(127.5, 328.5), front_toe_px=(202.0, 338.5), height_cm=150
)
STAND_ARMS_UP = SpriteSource(
    frame=1100, rear_heel_px=(129.0, 321.0), front_toe_px=(203.0, 339.5), height_cm=155
)
# In the air, knees bent (frame 1130); the "heel" is the lowest shoe pixel.
FLIGHT = SpriteSource(
    frame=1130, rear_heel_px=(209.0, 255.5), front_toe_px=(209.0, 255.5), height_cm=140
)


@dataclass(frozen=True)
class Sprite:
    """A person cut out of a frame: colour, alpha and ground contacts."""

    bgr: Frame
    alpha: NDArray[np.float32]
    rear_heel_px: FloatArray
    front_toe_px: FloatArray
    height_cm: float

    @property
    def height_px(self) -> float:
        """Head (top of the alpha) to the rear heel's contact, pixels."""
        rows = np.flatnonzero(self.alpha.max(axis=1) > 0.5)
        return float(self.rear_heel_px[1] - rows[0])


def _read_frame(path: Path, index: int) -> Frame:
    capture = cv2.VideoCapture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise VideoError(
            f"frame {index} of {path} cannot be read; the sprites need the "
            "exam authority's long jump film in the PE videos folder"
        )
    return np.asarray(frame, dtype=np.uint8)


def _person_mask(bgr: Frame) -> NDArray[np.float32]:
    """BlazePose's segmentation mask of one image, values 0-1."""
    try:
        import mediapipe as mp

        with mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=1, enable_segmentation=True
        ) as pose:
            result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    except (RuntimeError, OSError, ImportError, ValueError) as exc:
        raise PoseModelError(
            f"the segmentation model failed ({exc}); reinstall mediapipe==0.10.21"
        ) from exc
    if result.segmentation_mask is None:
        raise PoseModelError(
            "no person found to cut a sprite from; check the sprite's frame index"
        )
    return np.asarray(result.segmentation_mask, dtype=np.float32)


def cut_sprite(source: SpriteSource, *, videos: Path) -> Sprite:
    """Cut the person out of a frame of the sprite film.

    The alpha is the segmentation mask ramped over :data:`ALPHA_RAMP`,
    restricted to the connected region holding the rear heel (bystanders
    dropped), and cropped to that region with a margin.
    """
    bgr = _read_frame(videos / SPRITE_CLIP, source.frame)
    mask = _person_mask(bgr)
    lo, hi = ALPHA_RAMP
    alpha = np.clip((mask - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)

    # Keep the region the rear heel belongs to.
    _, labels = cv2.connectedComponents((alpha > 0).astype(np.uint8))
    heel = np.asarray(source.rear_heel_px)
    hx, hy = np.floor(heel - [0.0, 0.5]).astype(int) + [1, 0]
    keep = labels == labels[hy, hx]
    if not keep.any() or labels[hy, hx] == 0:
        raise VideoError(
            f"the rear heel {source.rear_heel_px} of frame {source.frame} lies "
            "outside the person's mask; pick the contact on the shoe's outline"
        )
    alpha[~keep] = 0.0

    # Crop with a margin so the alpha ramp stays whole.
    rows = np.flatnonzero(keep.any(axis=1))
    cols = np.flatnonzero(keep.any(axis=0))
    y0, y1 = max(rows[0] - 4, 0), min(rows[-1] + 5, bgr.shape[0])
    x0, x1 = max(cols[0] - 4, 0), min(cols[-1] + 5, bgr.shape[1])
    offset = np.array([x0, y0], dtype=np.float64)
    return Sprite(
        bgr=np.ascontiguousarray(bgr[y0:y1, x0:x1]),
        alpha=np.ascontiguousarray(alpha[y0:y1, x0:x1]),
        rear_heel_px=np.asarray(source.rear_heel_px) - offset,
        front_toe_px=np.asarray(source.front_toe_px) - offset,
        height_cm=source.height_cm,
    )


@dataclass(frozen=True)
class SideCamera:
    """A pinhole camera beside the mat, looking across it.

    Placed on the +x side of the mat and looking towards -x, it sees the
    jump (+y) go from left to right in the image.
    """

    position_cm: tuple[float, float, float] = (420.0, 110.0, 180.0)
    target_cm: tuple[float, float, float] = (0.0, 110.0, 70.0)
    focal_px: float = 700.0
    size: tuple[int, int] = FRAME_SIZE

    def _rotation(self) -> FloatArray:
        """Rows: the camera's right, down and forward axes in mat coordinates."""
        forward = np.subtract(self.target_cm, self.position_cm)
        forward = forward / np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def _intrinsics(self) -> FloatArray:
        cx, cy = (self.size[0] - 1) / 2, (self.size[1] - 1) / 2
        f = self.focal_px
        return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])

    def project(self, points_cm: FloatArray) -> FloatArray:
        """Mat points, shape (n, 3) cm, to image pixels (n, 2)."""
        camera = (points_cm - np.asarray(self.position_cm)) @ self._rotation().T
        h = camera @ self._intrinsics().T
        return np.asarray(h[:, :2] / h[:, 2:3], dtype=np.float64)

    def mat_to_px(self) -> FloatArray:
        """Homography from mat points (x, y) cm at z = 0 to pixels, 3x3."""
        rotation = self._rotation()
        t = -rotation @ np.asarray(self.position_cm)
        extrinsic = np.column_stack([rotation[:, 0], rotation[:, 1], t])
        homography = self._intrinsics() @ extrinsic
        return np.asarray(homography / homography[2, 2], dtype=np.float64)

    def px_per_cm(self, point_cm: tuple[float, float, float]) -> float:
        """Image scale of a vertical centimetre at a mat point, px."""
        top = np.add(point_cm, [0.0, 0.0, 100.0])
        ends = self.project(np.array([point_cm, top]))
        return float(np.linalg.norm(ends[1] - ends[0]) / 100.0)


def _apply(homography: FloatArray, points: FloatArray) -> FloatArray:
    h = np.hstack([points, np.ones((points.shape[0], 1))]) @ homography.T
    return np.asarray(h[:, :2] / h[:, 2:3], dtype=np.float64)


def _fill_mat_polygon(
    image: Frame, homography: FloatArray, corners_cm: FloatArray, bgr: tuple[int, ...]
) -> None:
    """Fill a mat-plane polygon, anti-aliased at sub-pixel precision."""
    shift = 4
    points = np.round(_apply(homography, corners_cm) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(image, [points], bgr, lineType=cv2.LINE_AA, shift=shift)


def _rect(x0: float, x1: float, y0: float, y1: float) -> FloatArray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def draw_background(camera: SideCamera, *, seed: int = 0) -> Frame:
    """The empty scene: a textured sports ground and the marked mat."""
    width, height = camera.size
    rng = np.random.default_rng(seed)

    # Ground: green with a blotchy low-frequency texture and fine grain.
    blotches = cv2.resize(
        rng.normal(0.0, 1.0, (height // 16, width // 16)),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    grain = rng.normal(0.0, 4.0, (height, width))
    shade = 12.0 * blotches + grain
    base = np.array(GROUND_GREEN)
    image = np.clip(base + shade[:, :, None], 0, 255).astype(np.uint8)

    # Mat, its white edges, the take-off line and the distance ticks.
    homography = camera.mat_to_px()
    x0, x1 = MAT_X_CM
    y0, y1 = MAT_Y_CM
    e = EDGE_WIDTH_CM
    _fill_mat_polygon(image, homography, _rect(x0 - e, x1 + e, y0 - e, y1 + e), WHITE)
    _fill_mat_polygon(image, homography, _rect(x0, x1, y0, y1), MAT_RED)
    _fill_mat_polygon(image, homography, _rect(x0, x1, 0.0, LINE_WIDTH_CM), WHITE)
    for y in np.arange(50.0, y1, 10.0):
        long_tick = y % 50.0 == 0.0
        reach = 10.0 if long_tick else 5.0
        for side, inward in ((x0, 1.0), (x1, -1.0)):
            end = side + inward * reach
            rect = _rect(min(side, end), max(side, end), y - 0.5, y + 0.5)
            _fill_mat_polygon(image, homography, rect, WHITE)
    return image


def composite(
    image: Frame,
    sprite: Sprite,
    *,
    anchor_px: FloatArray,
    target_px: FloatArray,
    scale: float,
) -> Frame:
    """Draw a sprite scaled by ``scale`` with its ``anchor_px`` on ``target_px``.

    Sub-pixel exact: the affine warp maps the sprite's pixel centres to the
    image's, so the anchor lands on the target to within interpolation.
    """
    width, height = image.shape[1], image.shape[0]
    tx, ty = np.asarray(target_px) - scale * np.asarray(anchor_px)
    affine = np.array([[scale, 0.0, tx], [0.0, scale, ty]])
    fg = cv2.warpAffine(
        sprite.bgr, affine, (width, height), flags=cv2.INTER_LINEAR
    ).astype(np.float32)
    alpha = cv2.warpAffine(
        sprite.alpha, affine, (width, height), flags=cv2.INTER_LINEAR
    )[:, :, None]
    out = image.astype(np.float32) * (1.0 - alpha) + fg * alpha
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class JumpPlan:
    """One attempt to render: where the feet stand before and after."""

    name: str
    # Front toe's contact while standing to take off, mat y cm (>= 0 fouls).
    toe_start_cm: float
    # Rear heel's contact after landing, mat y cm: the true distance.
    land_heel_cm: float
    # Where across the mat the candidate jumps, cm.
    lane_x_cm: float = 0.0
    # Mirror the picture: the camera on the other side, the jump right to left.
    mirrored: bool = False
    before: SpriteSource = STAND_ARMS_FORWARD
    after: SpriteSource = STAND_ARMS_UP


@dataclass(frozen=True)
class JumpTruth:
    """What the rendered video shows, known from the scene."""

    distance_cm: float
    foul: bool
    toe_start_cm: float
    takeoff_s: float
    landing_s: float
    # Mat to image pixels of the written video (mirrored if the plan is).
    mat_to_px: FloatArray = field(repr=False)


@dataclass
class SpriteCache:
    """Sprites cut once per videos folder (cutting runs the segmenter)."""

    videos: Path
    _sprites: dict[int, Sprite] = field(default_factory=dict)

    def get(self, source: SpriteSource) -> Sprite:
        """The sprite of a source, cut on first use."""
        if source.frame not in self._sprites:
            self._sprites[source.frame] = cut_sprite(source, videos=self.videos)
        return self._sprites[source.frame]


def _standing(
    camera: SideCamera, sprite: Sprite, *, anchor_px: FloatArray, at_cm: FloatArray
) -> tuple[FloatArray, float]:
    """Target pixel and scale placing a sprite's anchor on a mat point (x, y, z)."""
    target = camera.project(at_cm[None, :])[0]
    ground = (float(at_cm[0]), float(at_cm[1]), 0.0)
    scale = camera.px_per_cm(ground) * sprite.height_cm / sprite.height_px
    return target, scale


def _frames(
    plan: JumpPlan, *, camera: SideCamera, sprites: SpriteCache
) -> Iterator[Frame]:
    """The attempt's frames, left to right (before any mirroring)."""
    background = draw_background(camera)
    before = sprites.get(plan.before)
    flight = sprites.get(FLIGHT)
    after = sprites.get(plan.after)
    homography = camera.mat_to_px()
    x = plan.lane_x_cm

    # Standing to take off, placed by the front toe.
    toe_at = np.array([x, plan.toe_start_cm, 0.0])
    toe_px, before_scale = _standing(
        camera, before, anchor_px=before.front_toe_px, at_cm=toe_at
    )
    heel_px = toe_px + before_scale * (before.rear_heel_px - before.front_toe_px)
    start_heel_cm = _apply(np.linalg.inv(homography), heel_px[None, :])[0, 1]
    still_before = composite(
        background,
        before,
        anchor_px=before.front_toe_px,
        target_px=toe_px,
        scale=before_scale,
    )

    # Standing after landing, placed by the rear heel.
    land_at = np.array([x, plan.land_heel_cm, 0.0])
    land_px, after_scale = _standing(
        camera, after, anchor_px=after.rear_heel_px, at_cm=land_at
    )
    still_after = composite(
        background,
        after,
        anchor_px=after.rear_heel_px,
        target_px=land_px,
        scale=after_scale,
    )

    for _ in range(round(STAND_BEFORE_S * FPS)):
        yield still_before
    n_flight = round(FLIGHT_S * FPS)
    for i in range(1, n_flight):
        u = i / n_flight
        y = start_heel_cm + u * (plan.land_heel_cm - start_heel_cm)
        z = 4.0 * FLIGHT_PEAK_CM * u * (1.0 - u)
        target, scale = _standing(
            camera, flight, anchor_px=flight.rear_heel_px, at_cm=np.array([x, y, z])
        )
        yield composite(
            background,
            flight,
            anchor_px=flight.rear_heel_px,
            target_px=target,
            scale=scale,
        )
    for _ in range(round(STAND_AFTER_S * FPS)):
        yield still_after


def mirror_homography(homography: FloatArray, *, width: int) -> FloatArray:
    """The homography of the same scene seen in a left-right mirrored image."""
    flip = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return np.asarray(flip @ homography, dtype=np.float64)


def render_jump(
    plan: JumpPlan,
    path: Path,
    *,
    sprites: SpriteCache,
    camera: SideCamera | None = None,
) -> JumpTruth:
    """Write the attempt as an MP4 video and return its truth.

    Parameters
    ----------
    plan : JumpPlan
        Where the candidate stands before and lands after.
    path : Path
        The video to write (MPEG-4 part 2, 30 frames/s, 640x480).
    sprites : SpriteCache
        The people to draw, cut from the PE videos folder.
    camera : SideCamera, optional
        The camera; the default one stands 4.2 m beside the mat, 1.8 m up.

    Returns
    -------
    JumpTruth
        ``distance_cm = land_heel_cm`` (the rear heel's contact is placed
        there), ``foul = toe_start_cm >= 0``.
    """
    camera = camera or SideCamera()
    width, height = camera.size
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (width, height)
    )
    if not writer.isOpened():
        raise VideoError(f"OpenCV cannot write {path}; is the folder writable?")
    try:
        for frame in _frames(plan, camera=camera, sprites=sprites):
            writer.write(
                np.ascontiguousarray(frame[:, ::-1]) if plan.mirrored else frame
            )
    finally:
        writer.release()
    homography = camera.mat_to_px()
    if plan.mirrored:
        homography = mirror_homography(homography, width=width)
    truth = JumpTruth(
        distance_cm=plan.land_heel_cm,
        foul=plan.toe_start_cm >= 0.0,
        toe_start_cm=plan.toe_start_cm,
        takeoff_s=STAND_BEFORE_S,
        landing_s=STAND_BEFORE_S + FLIGHT_S,
        mat_to_px=homography,
    )
    logger.info("rendered %s: %s", path, truth)
    return truth


def write_calibration(
    path: Path, *, mat_to_px: FloatArray, marked: bool = False, seed: int = 0
) -> None:
    """Write the calibration JSON of :func:`pe_sensors.jump.load_calibration`.

    The points are :data:`CALIBRATION_POINTS_CM`. ``marked=False`` gives
    their exact image positions from the homography; ``marked=True`` gives
    them as a user clicks them: whole pixels, each off by up to
    :data:`CLICK_ERROR_PX` (seeded).
    """
    points_px = _apply(mat_to_px, CALIBRATION_POINTS_CM)
    if marked:
        rng = np.random.default_rng(seed)
        noise = rng.uniform(-CLICK_ERROR_PX, CLICK_ERROR_PX, points_px.shape)
        points_px = np.asarray(np.round(points_px + noise), dtype=np.float64)
    data: dict[str, Any] = {
        "points_px": points_px.tolist(),
        "points_cm": CALIBRATION_POINTS_CM.tolist(),
        "line_y_cm": 0.0,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
