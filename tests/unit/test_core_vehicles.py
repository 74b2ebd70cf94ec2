"""Vehicle vocabulary: camera words (English, pt-BR, Dahua/Intelbras ITS codes) → the contract's values."""

from __future__ import annotations

import pytest

from gtvision.core import vehicles


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("White", "branco"),
        ("BRANCA", "branco"),
        ("black", "preto"),
        ("Preta", "preto"),
        ("Silver", "prata"),
        ("Prateado", "prata"),
        ("Gray", "cinza"),
        ("grey", "cinza"),
        ("Red", "vermelho"),
        ("vermelha", "vermelho"),
        ("DarkRed", "vermelho"),
        ("LightBlue", "azul"),
        ("Green", "verde"),
        ("Yellow", "amarelo"),
        ("Brown", "marrom"),
        ("Beige", "bege"),
        ("Orange", "laranja"),
        ("Pink", "outro"),
        ("Unknown", "outro"),
        ("xyz", "outro"),
        ("", None),
        (None, None),
    ],
)
def test_colors(raw: str | None, expected: str | None) -> None:
    assert vehicles.normalize_color(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Car", "carro"),
        ("SaloonCar", "carro"),
        ("SUV", "carro"),
        ("Motorcycle", "moto"),
        ("Moto", "moto"),
        ("Truck", "caminhao"),
        ("LightTruck", "caminhao"),
        ("Caminhão", "caminhao"),
        ("Bus", "onibus"),
        ("Ônibus", "onibus"),
        ("MiniBus", "van"),
        ("Van", "van"),
        ("PickupTruck", "caminhonete"),
        ("Pick-up", "caminhonete"),
        ("caminhonete", "caminhonete"),
        ("Tractor", "outro"),
        (None, None),
    ],
)
def test_types(raw: str | None, expected: str | None) -> None:
    assert vehicles.normalize_type(raw) == expected


def test_query_values_accept_words_and_refuse_unknown_ones() -> None:
    assert vehicles.query_color("Black") == "preto"
    assert vehicles.query_color("outro") == "outro"
    assert vehicles.query_type("pickup") == "caminhonete"
    with pytest.raises(ValueError):
        vehicles.query_color("furta-cor")
    with pytest.raises(ValueError):
        vehicles.query_type("nave")
    assert set(vehicles.COLORS) == {vehicles.normalize_color(c) for c in vehicles.COLORS}
    assert set(vehicles.TYPES) == {vehicles.normalize_type(t) for t in vehicles.TYPES}
