"""Identity numbers (身份证号): checking, masking and encryption at rest.

A resident identity number has 18 characters: 17 digits and a check
character computed with ISO 7064 MOD 11-2 (GB 11643-1999). The server keeps
it encrypted with AES-256-GCM under a key in ``<data dir>/secret.key``
(made on first use, readable by the owner only), shows it masked everywhere,
and decrypts it only for the admissions export.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from standards.errors import PlatformError

ID_NUMBER_LENGTH = 18
_CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
_KEY_BYTES = 32
_NONCE_BYTES = 12
_CIPHERTEXT_PREFIX = "v1:"


class IdentityError(PlatformError):
    """An id number that fails its checks, or a ciphertext that cannot be read."""


def id_check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of 17 digits.

    Parameters
    ----------
    first17 : str
        The first 17 digits of the id number.

    Returns
    -------
    str
        One of ``0``-``9`` or ``X``.

    Notes
    -----
    Digit ``i`` (1-based from the left) is weighted ``2**(18 - i) mod 11``;
    the check character is ``"10X98765432"[sum mod 11]``, which makes the
    whole number, with ``X`` read as 10, sum to 1 mod 11.
    """
    if len(first17) != ID_NUMBER_LENGTH - 1 or not first17.isascii():
        raise IdentityError(f"expected 17 digits, got {first17!r}")
    if not first17.isdigit():
        raise IdentityError(f"expected 17 digits, got {first17!r}")
    total = sum(
        int(digit) * pow(2, ID_NUMBER_LENGTH - position, 11)
        for position, digit in enumerate(first17, start=1)
    )
    return _CHECK_CHARACTERS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Return ``raw`` checked, trimmed and with an upper-case ``X``.

    Raises
    ------
    IdentityError
        When the length, the characters or the check character are wrong;
        the message says which.
    """
    value = raw.strip().upper()
    if len(value) != ID_NUMBER_LENGTH:
        raise IdentityError(
            f"the id number {value!r} has {len(value)} characters, "
            f"not {ID_NUMBER_LENGTH}"
        )
    body, check = value[:-1], value[-1]
    if not (body.isascii() and body.isdigit()) or check not in "0123456789X":
        raise IdentityError(
            f"the id number {value!r} must be 17 digits and a digit or X"
        )
    expected = id_check_character(body)
    if check != expected:
        raise IdentityError(
            f"the id number {value!r} fails its checksum: the last character "
            f"should be {expected}, so a digit was probably mistyped"
        )
    return value


def mask_id_number(value: str) -> str:
    """Return ``value`` with all but its first four and last four characters hidden."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class IdCipher:
    """AES-256-GCM encryption of id numbers with the key kept in ``key_path``."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise IdentityError(
                f"an id-number key has {_KEY_BYTES} bytes, got {len(key)}"
            )
        self._aead = AESGCM(key)

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> IdCipher:
        """Return the cipher of ``data_dir/secret.key``, making the key on first use."""
        return cls(load_or_create_key(data_dir / "secret.key"))

    def encrypt(self, value: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), None)
        return _CIPHERTEXT_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        if not token.startswith(_CIPHERTEXT_PREFIX):
            raise IdentityError("a stored id number has an unknown format")
        try:
            raw = base64.b64decode(token[len(_CIPHERTEXT_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise IdentityError("a stored id number is not valid base64") from exc
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise IdentityError(
                "a stored id number cannot be decrypted with secret.key: the key "
                "file was replaced or the row was altered; restore the key backup"
            ) from exc
        return plain.decode("utf-8")


def load_or_create_key(path: Path) -> bytes:
    """Return the key in ``path``, creating it (mode 0600) when it is absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # write a private temporary file, then link it into place: a reader
        # never sees a half-written key and a racing creator keeps the first
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_KEY_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first; use theirs
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) != _KEY_BYTES:
        raise IdentityError(
            f"the key file {path} holds {len(key)} bytes, not {_KEY_BYTES}; "
            "restore it from the backup"
        )
    return key
