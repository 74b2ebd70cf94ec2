"""Licence plates as cameras read them: normalisation, format, OCR-tolerant keys and ranking distance.

Formats
    Old ``ABC1234`` (3 letters, 4 digits, ``br_old``) and Mercosul ``ABC1D23`` (3 letters, digit,
    letter, 2 digits, ``br_mercosul``). A camera's read is evidence even when OCR got it wrong
    (``R1O2A18`` for ``RIO2A18``) or the vehicle comes from a neighbouring Mercosul country
    (``AB123CD``, ``ABCD123``): every 5–8 character ASCII alphanumeric read is kept, as ``other``.
    All are stored normalised: upper case, no separators.

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

    Keys are compared with ``=`` only; ``_`` is never interpreted as a LIKE wildcard. A key is as
    long as its plate, so keys of plates of different lengths never meet: lengths stay apart, and
    length errors (a dropped or extra character) are out of the index's scope; ``plate_distance``
    still ranks them (Levenshtein) if a caller compares such strings. When distances tie, true
    Brazilian formats rank first (``format_rank``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

_SEPARATORS = re.compile(r"[\s\-.·]+")
_BR_OLD = re.compile(r"[A-Z]{3}[0-9]{4}")
_BR_MERCOSUL = re.compile(r"[A-Z]{3}[0-9][A-Z][0-9]{2}")
_READ = re.compile(r"[A-Z0-9]{5,8}")
_CLEAN = re.compile(r"[A-Z0-9]{1,8}")
MIN_LEN, MAX_LEN = 5, 8
# Cap before regex work so a hostile multi-megabyte "plate" costs nothing.
_MAX_RAW_LEN = 32

_INVALID_PLATE = "Placa inválida: informe de 5 a 8 letras (A–Z) e dígitos (0–9), ex.: ABC1234 ou ABC1D23."

_CONFUSION_CLASSES = ("0ODQ", "1I", "2Z", "4A", "5S", "6G", "7T", "8B")
_SKELETON = str.maketrans({ch: cls[0] for cls in _CONFUSION_CLASSES for ch in cls})

WILDCARD = "_"
CONFUSABLE_COST = 0.25


def clean_plate(raw: str) -> str:
    """Upper-case ``raw`` and drop separators; accept 1–8 ASCII letters/digits (prefix queries).

    Raises ``ValueError`` (pt-BR message) for anything else.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LEN:
        raise ValueError(_INVALID_PLATE)
    cleaned = _SEPARATORS.sub("", raw).upper()
    if not _CLEAN.fullmatch(cleaned):
        raise ValueError(_INVALID_PLATE)
    return cleaned


def normalize_plate(raw: str) -> str:
    """Return the stored form of a read (5–8 ASCII letters/digits, any format) or raise ``ValueError``."""
    if isinstance(raw, str) and _READ.fullmatch(raw):  # already in stored form (what most cameras send)
        return raw
    cleaned = clean_plate(raw)
    if not _READ.fullmatch(cleaned):
        raise ValueError(_INVALID_PLATE)
    return cleaned


PlateFormat = Literal["br_old", "br_mercosul", "other"]


def plate_format(plate: str) -> PlateFormat:
    """``br_old`` (ABC1234), ``br_mercosul`` (ABC1D23) or ``other`` (foreign plates, OCR misreads)."""
    if _BR_OLD.fullmatch(plate):
        return "br_old"
    if _BR_MERCOSUL.fullmatch(plate):
        return "br_mercosul"
    return "other"


def format_rank(plate: str) -> int:
    """Tie-breaker of fuzzy ranking: 0 for true Brazilian formats, 1 for the rest."""
    return 0 if plate_format(plate) != "other" else 1


def ocr_skeleton(plate: str) -> str:
    """Collapse OCR-confusable characters so every confusable variant maps to one string."""
    return clean_plate(plate).translate(_SKELETON)


def skeleton(plate: str) -> str:
    """`ocr_skeleton` of a plate already normalised (`normalize_plate`)."""
    return plate.translate(_SKELETON)


def skeleton_and_keys(plate: str) -> tuple[str, list[str]]:
    """`ocr_skeleton` and `fuzzy_keys` of a plate already normalised (`normalize_plate`), computed once: what
    every stored read carries."""
    skel = skeleton(plate)
    return skel, [skel[:i] + WILDCARD + skel[i + 1 :] for i in range(len(skel))]


def fuzzy_keys(plate: str) -> list[str]:
    """Wildcard keys of the plate's skeleton, one per position (as many as the plate has characters).

    Two plates of equal length share a key iff their skeletons differ in at most one position;
    plates of different lengths never share one.
    """
    skeleton = ocr_skeleton(plate)
    return [skeleton[:i] + WILDCARD + skeleton[i + 1 :] for i in range(len(skeleton))]


#: Per plate length, the `str.format` pattern that writes a skeleton's `fuzzy_keys` as a PostgreSQL array literal
#: (`{_BC1D23,A_C1D23,…}`): one call per read in the batch path instead of a list of slices and a join.
_KEYS_ARRAY = {
    n: "{{" + ",".join("".join(WILDCARD if j == i else f"{{{j}}}" for j in range(n)) for i in range(n)) + "}}"
    for n in range(MIN_LEN, MAX_LEN + 1)
}


def keys_array_text(skeleton: str) -> str:
    """The wildcard keys of a stored plate's skeleton (`skeleton_and_keys`) as PostgreSQL's text of a text[]."""
    return _KEYS_ARRAY[len(skeleton)].format(*skeleton)


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
    the set the wildcard-key index returns, plus length errors (which the index keeps apart).
    """
    distance = _edit_distance(ocr_skeleton(query), ocr_skeleton(candidate), lambda x, y: 0.0 if x == y else 1.0)
    return distance <= max_distance
