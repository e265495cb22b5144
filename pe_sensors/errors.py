"""The exceptions of the PE sensors package.

Every failure this package explains to a person is a :class:`PeSensorsError`,
itself a :class:`standards.errors.PlatformError`. Device drivers and the video
judges add their own subclasses here, all under this one root.
"""

from __future__ import annotations

from standards.errors import PlatformError


class PeSensorsError(PlatformError):
    """A PE measurement that cannot be made, with the reason and the remedy."""


class VideoError(PeSensorsError):
    """A video file or camera that cannot be opened or decoded."""


class PoseModelError(PeSensorsError):
    """The pose model failed to load or to process a frame."""


class CalibrationError(PeSensorsError):
    """A mat calibration that is missing, malformed or degenerate."""


class JudgeInputError(PeSensorsError):
    """A landmark sequence or option a judge cannot work with."""


class DeviceError(PeSensorsError):
    """A measuring device or its link misbehaves."""


class DeviceConnectionError(DeviceError):
    """The device's port cannot be opened, or the link broke while in use."""


class DeviceTimeoutError(DeviceError):
    """The device did not answer within the allowed time."""


class DeviceIdentityError(DeviceError):
    """The device on the port is not the kind the driver was made for."""


class FrameError(DeviceError):
    """A frame or a measurement cannot be encoded under the device protocol."""


class LapCountError(PeSensorsError):
    """A race plan or a tag assignment that lap counting cannot work with."""


class RegionError(PeSensorsError):
    """A region of interest (a mat's box in the image) that is malformed."""
