"""Plates: normalisation, OCR skeleton, fuzzy index keys and ranking."""

import random
import string

import pytest

from gtvision.lpr import plates
from gtvision.lpr.plates import (
    clean_plate,
    fuzzy_keys,
    is_fuzzy_match,
    normalize_plate,
    ocr_skeleton,
    plate_distance,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ABC1234", "ABC1234"),
        ("abc-1234", "ABC1234"),
        ("ABC 1234", "ABC1234"),
        (" abc.1234 ", "ABC1234"),
        ("ABC1D23", "ABC1D23"),
        ("abc1d23", "ABC1D23"),
        ("BRA·2E19", "BRA2E19"),
        ("bra-2e.19", "BRA2E19"),
    ],
)
def test_normalize_accepts_both_formats_with_separators_and_lower_case(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ABCD",  # 4 characters: too short to be a plate
        "ABC123456",  # 9 characters: too long
        "ÁBC1234",  # non-ASCII letter
        "ABC１234",  # full-width digit
        "ABC_1234",
        "ABC1234" * 100,
    ],
)
def test_normalize_rejects_invalid_plates_with_pt_br_message(raw: str) -> None:
    with pytest.raises(ValueError, match="Placa inválida"):
        normalize_plate(raw)


def test_normalize_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        normalize_plate(None)  # type: ignore[arg-type]


def test_clean_plate_accepts_prefixes_for_prefix_search() -> None:
    assert clean_plate("abc-1") == "ABC1"
    with pytest.raises(ValueError):
        clean_plate("ABC%")


@pytest.mark.parametrize(
    ("letter", "digit"),
    [
        ("O", "0"),
        ("D", "0"),
        ("Q", "0"),
        ("I", "1"),
        ("B", "8"),
        ("S", "5"),
        ("Z", "2"),
        ("G", "6"),
        ("A", "4"),
        ("T", "7"),
    ],
)
def test_each_confusable_variant_has_the_same_skeleton(letter: str, digit: str) -> None:
    # Given a plate with the letter in a letter position and the digit in a digit position
    plate = f"{letter}XY{digit}K{digit}{digit}"
    # When every occurrence is swapped either way
    variants = {plate.replace(letter, digit), plate.replace(digit, letter), plate}
    # Then all variants collapse to one skeleton
    assert len({ocr_skeleton(v) for v in variants}) == 1
    assert plate_distance(letter, digit) == pytest.approx(0.25)


def test_zero_class_is_one_class() -> None:
    assert len({ocr_skeleton(c) for c in "O0DQ"}) == 1


def test_non_confusable_characters_keep_distinct_skeletons() -> None:
    assert ocr_skeleton("ABC1234") != ocr_skeleton("XBC1234")
    assert ocr_skeleton("ABC1234") != ocr_skeleton("ABC1235")


def test_fuzzy_keys_are_seven_positional_wildcards() -> None:
    keys = fuzzy_keys("abc-1234")
    assert len(keys) == 7
    assert keys[0] == "_8C1234" and keys[6] == "48C123_"


def test_one_character_error_variant_shares_a_key() -> None:
    # Given a plate, a confusable misread and one arbitrary misread on top
    original = "QBS1G23"
    variant = "O8S1G2X"  # Q->O, B->8 (confusions) and 3->X (real error)
    # Then their keys intersect and they match
    assert set(fuzzy_keys(original)) & set(fuzzy_keys(variant))
    assert is_fuzzy_match(original, variant)


def test_unrelated_plates_share_no_key() -> None:
    assert not set(fuzzy_keys("ABC1234")) & set(fuzzy_keys("XYZ9876"))
    # Two real errors are out of reach as well
    assert not set(fuzzy_keys("ABC1234")) & set(fuzzy_keys("ABC1299"))
    assert not is_fuzzy_match("ABC1234", "ABC1299")


def _random_plate(rng: random.Random) -> str:
    letters, digits = string.ascii_uppercase, string.digits
    fifth = rng.choice(letters + digits)
    return (
        "".join(rng.choice(letters) for _ in range(3))
        + rng.choice(digits)
        + fifth
        + "".join(rng.choice(digits) for _ in range(2))
    )


def test_index_keys_agree_with_is_fuzzy_match_on_random_pairs() -> None:
    # The index (key intersection) must return exactly what is_fuzzy_match accepts.
    rng = random.Random(20261123)
    alphabet = string.ascii_uppercase + string.digits
    for _ in range(3000):
        a = _random_plate(rng)
        b = list(a)
        for pos in rng.sample(range(7), rng.choice([1, 1, 2, 3])):
            b[pos] = rng.choice(alphabet)
        candidate = "".join(b)
        shares_key = bool(set(fuzzy_keys(a)) & set(fuzzy_keys(candidate)))
        assert shares_key == is_fuzzy_match(a, candidate), (a, candidate)
        # Any read within ranking distance 1 must be recalled by the index.
        if plate_distance(a, candidate) <= 1.0:
            assert shares_key, (a, candidate)


def test_ranking_orders_exact_then_confusions_then_real_errors() -> None:
    query = "ABC1D23"
    candidates = ["ABC1X23", "A8C1D23", "ABC1023", "ABC1D23", "48C1023", "XBC1D2X"]
    ranked = sorted(candidates, key=lambda c: plate_distance(query, c))
    assert ranked == ["ABC1D23", "A8C1D23", "ABC1023", "48C1023", "ABC1X23", "XBC1D2X"]
    assert plate_distance(query, "ABC1D23") == 0
    assert plate_distance(query, "48C1023") == pytest.approx(0.75)
    assert plate_distance(query, "ABC1X23") == 1
    assert plate_distance(query, "XBC1D2X") == 2


def test_distance_is_levenshtein_for_length_differences() -> None:
    assert plate_distance("ABC1234", "ABC123") == 1
    assert plate_distance("ABC123", "ABC1234") == 1
    assert plate_distance("ABC1234", "A8C123") == pytest.approx(1.25)
    assert plate_distance("ABC1234", "XBC1234") == plate_distance("XBC1234", "ABC1234")


def test_max_distance_zero_means_same_skeleton() -> None:
    assert is_fuzzy_match("ABC1234", "48C1Z34", max_distance=0)
    assert not is_fuzzy_match("ABC1234", "ABC1235", max_distance=0)


@pytest.mark.parametrize(
    ("raw", "stored", "fmt"),
    [
        ("ABC-1234", "ABC1234", "br_old"),
        ("abc1d23", "ABC1D23", "br_mercosul"),
        ("R1O2A18", "R1O2A18", "other"),  # OCR misread of RIO2A18
        ("AB 123 CD", "AB123CD", "other"),  # Argentina
        ("ABCD123", "ABCD123", "other"),  # Paraguay
        ("AB1234", "AB1234", "other"),
        ("ABC12345", "ABC12345", "other"),
        ("1BC1234", "1BC1234", "other"),
        ("ABC1DD3", "ABC1DD3", "other"),
    ],
)
def test_every_5_to_8_character_read_is_kept_with_its_format(raw: str, stored: str, fmt: str) -> None:
    from gtvision.lpr.plates import format_rank, plate_format

    assert normalize_plate(raw) == stored
    assert plate_format(stored) == fmt
    assert format_rank(stored) == (1 if fmt == "other" else 0)


def test_keys_of_different_lengths_never_meet() -> None:
    assert not set(fuzzy_keys("ABC123")) & set(fuzzy_keys("ABC1234"))
    assert not set(fuzzy_keys("ABC1234")) & set(fuzzy_keys("ABC12345"))
    assert set(fuzzy_keys("R1O2A18")) & set(fuzzy_keys("RIO2A18"))
    assert len(fuzzy_keys("AB123")) == 5 and len(fuzzy_keys("AB123CDE")) == 8


def _groups(skeleton: str) -> list[str]:
    """What migration 0042's plate_fuzzy_groups computes."""
    n = len(skeleton)
    a, b = n // 3, 2 * (n // 3)
    return [f"{n}a{skeleton[a:]}", f"{n}b{skeleton[:a]}{skeleton[b:]}", f"{n}c{skeleton[:b]}"]


def test_plates_one_substitution_apart_share_a_group_key_so_the_group_index_misses_no_fuzzy_match() -> None:
    # Every plate length, every position, every symbol: a fuzzy match (shared wildcard key) shares a group key
    rng = random.Random(42)
    symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for _ in range(3000):
        plate = "".join(rng.choices(symbols, k=rng.randint(5, 8)))
        other = list(plate)
        other[rng.randrange(len(plate))] = rng.choice(symbols)
        candidate = "".join(other)
        skel_a, keys_a = plates.skeleton_and_keys(plate)
        skel_b, keys_b = plates.skeleton_and_keys(candidate)
        assert set(keys_a) & set(keys_b)  # the wildcard keys (what decides a match) agree ...
        assert set(_groups(skel_a)) & set(_groups(skel_b))  # ... and so does the group key without that run
