"""Vehicle colour and type vocabulary of the contract, and the mapping from camera/vendor words to it.

Cameras report colours and types in English (`White`, `Car`), Portuguese (`Branco`, `Caminhonete`) or
vendor codes (Dahua/Intelbras ITS `VehicleType`: `LightTruck`, `SaloonCar`, `PickupTruck` …). Searches
use the normalised value; the raw value is kept next to it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

COLORS = (
    "branco",
    "preto",
    "prata",
    "cinza",
    "vermelho",
    "azul",
    "verde",
    "amarelo",
    "marrom",
    "bege",
    "laranja",
    "outro",
)
TYPES = ("carro", "moto", "caminhao", "onibus", "van", "caminhonete", "outro")


def _vocabulary(groups: dict[str, str]) -> dict[str, str]:
    """Camera word → contract value, from each value's space-separated words."""
    return {word: value for value, words in groups.items() for word in words.split()}


_COLOR_WORDS = _vocabulary(
    {
        # pt-BR (masculine and feminine forms) and English
        "branco": "branco branca white",
        "preto": "preto preta black negro",
        "prata": "prata prateado prateada silver",
        "cinza": "cinza cinzento grafite gray grey darkgray darkgrey chumbo",
        "vermelho": "vermelho vermelha red vinho bordo",
        "azul": "azul blue cyan ciano darkblue",
        "verde": "verde green darkgreen",
        "amarelo": "amarelo amarela yellow dourado golden gold",
        "marrom": "marrom brown",
        "bege": "bege beige champagne champanhe",
        "laranja": "laranja orange",
        # vendor words for "could not tell"
        "outro": "other outro outra unknown desconhecido pink rosa purple roxo",
    }
)

_TYPE_WORDS = _vocabulary(
    {
        "carro": "carro car automovel passengercar saloon saloncar salooncar sedan hatch hatchback suv mpv smallcar"
        " minicar microcar",
        "moto": "moto motocicleta motorcycle motorbike scooter motor bike nonmotor",
        "caminhao": "caminhao truck lorry largetruck heavytruck mediumtruck lighttruck oiltanktruck tanker container"
        " containertruck",
        "onibus": "onibus bus largebus mediumbus coach microonibus",
        "van": "minibus van microvan minivan furgao kombi",
        "caminhonete": "caminhonete pickup pickuptruck picape utilitario",
        "outro": "other outro unknown desconhecido",
    }
)


def _key(raw: str) -> str:
    """Lower case, accents removed, only letters: `Caminhão` → `caminhao`, `Light-Truck` → `lighttruck`."""
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", text)


def _lookup(raw: str | None, words: dict[str, str]) -> str | None:
    if raw is None or not raw.strip():
        return None
    key = _key(raw)
    if not key:
        return "outro"
    if key in words:
        return words[key]
    # Compound vendor words ("DarkRed", "LightBlue", "SilverGray"): the first known colour word inside.
    for word in sorted(words, key=len, reverse=True):
        if len(word) >= 3 and word in key and words[word] != "outro":
            return words[word]
    return "outro"


@functools.lru_cache(maxsize=4096)
def normalize_color(raw: str | None) -> str | None:
    """The contract colour for a camera's word (None when the camera sent none; `outro` when unknown)."""
    return _lookup(raw, _COLOR_WORDS)


@functools.lru_cache(maxsize=4096)
def normalize_type(raw: str | None) -> str | None:
    """The contract vehicle type for a camera's word (None when the camera sent none; `outro` when unknown)."""
    return _lookup(raw, _TYPE_WORDS)


def query_color(value: str | None) -> str | None:
    """A `color` query parameter: any accepted word, answered as the contract value; ValueError otherwise."""
    if not value:
        return None
    color = normalize_color(value)
    if color == "outro" and _key(value) not in _COLOR_WORDS:
        raise ValueError(f"cor desconhecida; use uma de: {', '.join(COLORS)}")
    return color


def query_type(value: str | None) -> str | None:
    """A `type` query parameter: any accepted word, answered as the contract value; ValueError otherwise."""
    if not value:
        return None
    kind = normalize_type(value)
    if kind == "outro" and _key(value) not in _TYPE_WORDS:
        raise ValueError(f"tipo desconhecido; use um de: {', '.join(TYPES)}")
    return kind
