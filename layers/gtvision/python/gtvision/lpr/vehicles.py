"""Vehicle colour and type vocabulary of the contract, and the mapping from camera/vendor words to it.

Cameras report colours and types in English (`White`, `Car`), Portuguese (`Branco`, `Caminhonete`) or
vendor codes (Dahua/Intelbras ITS `VehicleType`: `LightTruck`, `SaloonCar`, `PickupTruck` …). Searches
use the normalised value; the raw value is kept next to it.
"""

from __future__ import annotations

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

_COLOR_WORDS: dict[str, str] = {
    # pt-BR (masculine and feminine forms) and English
    "branco": "branco", "branca": "branco", "white": "branco",
    "preto": "preto", "preta": "preto", "black": "preto", "negro": "preto",
    "prata": "prata", "prateado": "prata", "prateada": "prata", "silver": "prata",
    "cinza": "cinza", "cinzento": "cinza", "grafite": "cinza", "gray": "cinza", "grey": "cinza",
    "darkgray": "cinza", "darkgrey": "cinza", "chumbo": "cinza",
    "vermelho": "vermelho", "vermelha": "vermelho", "red": "vermelho", "vinho": "vermelho", "bordo": "vermelho",
    "azul": "azul", "blue": "azul", "cyan": "azul", "ciano": "azul", "darkblue": "azul",
    "verde": "verde", "green": "verde", "darkgreen": "verde",
    "amarelo": "amarelo", "amarela": "amarelo", "yellow": "amarelo", "dourado": "amarelo", "golden": "amarelo",
    "gold": "amarelo",
    "marrom": "marrom", "brown": "marrom",
    "bege": "bege", "beige": "bege", "champagne": "bege", "champanhe": "bege",
    "laranja": "laranja", "orange": "laranja",
    # vendor words for "could not tell"
    "other": "outro", "outro": "outro", "outra": "outro", "unknown": "outro", "desconhecido": "outro",
    "pink": "outro", "rosa": "outro", "purple": "outro", "roxo": "outro",
}  # fmt: skip

_TYPE_WORDS: dict[str, str] = {
    "carro": "carro", "car": "carro", "automovel": "carro", "passengercar": "carro", "saloon": "carro",
    "saloncar": "carro", "salooncar": "carro",
    "sedan": "carro", "hatch": "carro", "hatchback": "carro", "suv": "carro", "mpv": "carro", "smallcar": "carro",
    "minicar": "carro", "microcar": "carro",
    "moto": "moto", "motocicleta": "moto", "motorcycle": "moto", "motorbike": "moto", "scooter": "moto",
    "motor": "moto", "bike": "moto", "nonmotor": "moto",
    "caminhao": "caminhao", "truck": "caminhao", "lorry": "caminhao", "largetruck": "caminhao",
    "heavytruck": "caminhao", "mediumtruck": "caminhao", "lighttruck": "caminhao", "oiltanktruck": "caminhao",
    "tanker": "caminhao", "container": "caminhao", "containertruck": "caminhao",
    "onibus": "onibus", "bus": "onibus", "largebus": "onibus", "mediumbus": "onibus", "coach": "onibus",
    "microonibus": "onibus", "minibus": "van",
    "van": "van", "microvan": "van", "minivan": "van", "furgao": "van", "kombi": "van",
    "caminhonete": "caminhonete", "pickup": "caminhonete", "pickuptruck": "caminhonete", "picape": "caminhonete",
    "utilitario": "caminhonete",
    "other": "outro", "outro": "outro", "unknown": "outro", "desconhecido": "outro",
}  # fmt: skip


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


def normalize_color(raw: str | None) -> str | None:
    """The contract colour for a camera's word (None when the camera sent none; `outro` when unknown)."""
    return _lookup(raw, _COLOR_WORDS)


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
