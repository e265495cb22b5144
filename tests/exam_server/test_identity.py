"""Id numbers: the ISO 7064 MOD 11-2 check, masking, encryption at rest."""

from __future__ import annotations

import base64
import stat

import pytest

from exam_server.identity import (
    IdCipher,
    IdentityError,
    id_check_character,
    mask_id_number,
    normalize_id_number,
)

# weights 2**(18-i) mod 11 as printed in GB 11643-1999
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def by_hand(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@pytest.mark.parametrize(
    ("number", "check"),
    [
        ("11010519491231002", "X"),  # the standard's own example
        ("33010620080101123", "3"),
        ("33010620080202234", "8"),
        ("44030419900307123", "X"),
        ("00000000000000000", "1"),
    ],
)
def test_check_character_matches_the_weight_table(number: str, check: str) -> None:
    assert by_hand(number) == check
    assert id_check_character(number) == check


def test_a_valid_number_is_accepted_and_a_lower_case_x_raised() -> None:
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert normalize_id_number("330106200801011233") == "330106200801011233"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("110105194912310021", "checksum"),  # X expected
        ("330106200801011234", "should be 3"),
        ("33010620080101123", "17 characters"),
        ("3301062008010112333", "19 characters"),
        ("33010620080101A233", "17 digits"),
        ("33010620080101123Y", "17 digits"),
    ],
)
def test_a_wrong_number_is_refused_with_the_reason(number: str, words: str) -> None:
    with pytest.raises(IdentityError, match=words):
        normalize_id_number(number)


def test_masking_keeps_four_characters_at_each_end() -> None:
    assert mask_id_number("33010620080101123X") == "3301**********123X"


def test_encryption_round_trips_and_the_key_file_is_private(tmp_path) -> None:
    cipher = IdCipher.from_data_dir(tmp_path)
    sealed = cipher.encrypt("11010519491231002X")
    assert "11010519491231002X" not in sealed
    assert sealed != cipher.encrypt("11010519491231002X")  # fresh nonce each time
    again = IdCipher.from_data_dir(tmp_path)  # the same key, read from the file
    assert again.decrypt(sealed) == "11010519491231002X"
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_an_altered_ciphertext_is_refused(tmp_path) -> None:
    cipher = IdCipher.from_data_dir(tmp_path)
    sealed = cipher.encrypt("11010519491231002X")
    raw = bytearray(base64.b64decode(sealed.removeprefix("v1:")))
    raw[20] ^= 0x01  # one bit of the ciphertext
    altered = "v1:" + base64.b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(IdentityError, match="cannot be decrypted"):
        cipher.decrypt(altered)
