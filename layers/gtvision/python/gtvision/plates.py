"""Brazilian licence plates: normalisation, OCR-tolerant keys and ranking distance.

Formats
    Old ``ABC1234`` (3 letters, 4 digits) and Mercosul ``ABC1D23`` (3 letters, digit, letter,
    2 digits). Both are stored normalised: upper case, no separators, always 7 characters.

OCR skeleton
    LPR engines confuse look-alike glyphs. ``ocr_skeleton`` maps every member of a confusion
    class to one representative (the digit), so all confusable variants of a plate share one
    skeleton: ``O 0 D Q -> 0``, ``I 1 -> 1``, ``Z 2 -> 2``, ``A 4 -> 4``, ``S 5 -> 5``,
    ``G 6 -> 6``, ``T 7 -> 7``, ``B 8 -> 8``. The classes are disjoint, so the mapping is a
    function and equal skeletons is an equivalence relation (D/0 and Q/0 and O/0 are one class,
    hence D, Q and O are also mutually confusable).

Fuzzy index design (what ``match=fuzzy`` means and how it stays an index lookup)
    A read is a fuzzy match of a query when their skeletons differ in at most ONE position
    (confusions anywhere are free; one arbitrary misread on top). For a skeleton ``s`` of
    length n, its wildcard keys are ``s`` with position i replaced by ``_`` (i = 0..n-1).
    Two equal-length skeletons are within Hamming distance 1 exactly when they share at least
    one wildcard key (equal skeletons share all n), so:

    * on insert, store for each read ``plate_skeleton`` (text) and ``plate_keys =
      fuzzy_keys(plate)`` (the 7 keys) — either as a ``text[]`` column with a GIN index
      (``WHERE plate_keys && %(keys)s``) or as a side table ``(key, read_id, captured_at)``
      with a B-tree on ``(key, captured_at)`` (probes combine with a time range);
    * on search, look up the 7 keys of the query (7 index probes, each bucket holding only
      plates that agree on 6 skeleton positions), then rank candidates with
      ``plate_distance`` (closest first). ``is_fuzzy_match`` is the same predicate in Python.

    Keys are compared with ``=`` only; ``_`` is never interpreted as a LIKE wildcard. Stored
    plates are always 7 characters, so length errors are out of the index's scope;
    ``plate_distance`` still ranks them (Levenshtein) if a caller compares such strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SEPARATORS = re.compile(r"[\s\-.·]+")
_PLATE = re.compile(r"[A-Z]{3}[0-9][A-Z0-9][0-9]{2}")
_CLEAN = re.compile(r"[A-Z0-9]{1,7}")
# Cap before regex work so a hostile multi-megabyte "plate" costs nothing.
_MAX_RAW_LEN = 32

_INVALID_PLATE = "Placa inválida: use o formato antigo (ABC1234) ou Mercosul (ABC1D23)."

_CONFUSION_CLASSES = ("0ODQ", "1I", "2Z", "4A", "5S", "6G", "7T", "8B")
_SKELETON = str.maketrans({ch: cls[0] for cls in _CONFUSION_CLASSES for ch in cls})

WILDCARD = "_"
CONFUSABLE_COST = 0.25


def clean_plate(raw: str) -> str:
    """Upper-case ``raw`` and drop separators; accept 1–7 ASCII letters/digits (prefix queries).

    Raises ``ValueError`` (pt-BR message) for anything else.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LEN:
        raise ValueError(_INVALID_PLATE)
    cleaned = _SEPARATORS.sub("", raw).upper()
    if not _CLEAN.fullmatch(cleaned):
        raise ValueError(_INVALID_PLATE)
    return cleaned


def normalize_plate(raw: str) -> str:
    """Return the stored form of a full plate (``ABC1234`` or ``ABC1D23``) or raise ``ValueError``."""
    cleaned = clean_plate(raw)
    if not _PLATE.fullmatch(cleaned):
        raise ValueError(_INVALID_PLATE)
    return cleaned


def ocr_skeleton(plate: str) -> str:
    """Collapse OCR-confusable characters so every confusable variant maps to one string."""
    return clean_plate(plate).translate(_SKELETON)


def fuzzy_keys(plate: str) -> list[str]:
    """Wildcard keys of the plate's skeleton, one per position (7 for a stored plate).

    Two plates of equal length share a key iff their skeletons differ in at most one position.
    """
    skeleton = ocr_skeleton(plate)
    return [skeleton[:i] + WILDCARD + skeleton[i + 1 :] for i in range(len(skeleton))]


def _substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a.translate(_SKELETON) == b.translate(_SKELETON):
        return CONFUSABLE_COST
    return 1.0


def _edit_distance(a: str, b: str, cost: Callable[[str, str], float]) -> float:
    """Levenshtein distance with unit insert/delete and a pluggable substitution cost."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [float(i)]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1.0, current[j - 1] + 1.0, previous[j - 1] + cost(ca, cb)))
        previous = current
    return previous[-1]


def plate_distance(a: str, b: str) -> float:
    """Ranking distance: 0 equal, 0.25 per confusable substitution, 1 per other edit (Levenshtein)."""
    return _edit_distance(clean_plate(a), clean_plate(b), _substitution_cost)


def is_fuzzy_match(query: str, candidate: str, max_distance: float = 1.0) -> bool:
    """True when ``candidate`` is within ``max_distance`` edits of ``query`` after skeletonisation.

    Confusions are free here (they only matter for ranking), so with the default of 1.0 this is
    exactly the set the wildcard-key index returns for 7-character plates.
    """
    distance = _edit_distance(
        ocr_skeleton(query), ocr_skeleton(candidate), lambda x, y: 0.0 if x == y else 1.0
    )
    return distance <= max_distance
