"""The exceptions of the PE sensing package.

:class:`PeSensorsError` is the root of every failure this package explains;
the device drivers add their own kinds below it.
"""

from standards.errors import PlatformError


class PeSensorsError(PlatformError):
    """A PE measurement (video or device) the package refuses, with a reason."""


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
