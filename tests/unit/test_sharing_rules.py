"""Sharing's pure rules: hotlist CSV/JSON rows (line numbers, expiry forms), the feed's backoff, feed_url
checks, and a read as the feed sends it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gtvision.core.errors import Invalid
from gtvision.core.settings import get_settings
from gtvision.sharing import agreements, delivery, hotlist
from gtvision.sharing.api_schemas import HotlistIn
from gtvision.sharing.schemas import SharedRead

SP = ZoneInfo("America/Sao_Paulo")


def test_csv_rows_report_bad_lines_by_their_number_and_read_each_expiry_form() -> None:
    text = (
        "placa;motivo;referencia;validade\n"
        "abc-1d23;roubo;BO 1;31/12/2026\n"
        "\n"
        "XYZ9A88;furto;;2026-12-31T12:00:00-03:00\n"
        "QWE1234;furto;;\n"
        "ruim;motivo;;\n"
        "RTY1A11;;;\n"
        "UIO2B22;furto;;32/01/2026\n"
        "PAS3C33;apenas dois\n"
    )
    rows, errors = hotlist.parse_csv(text, SP)
    assert [r[0] for r in rows] == ["ABC1D23", "XYZ9A88", "QWE1234"]
    # dd/mm/aaaa: valid through that day in the city (midnight after it, São Paulo = UTC-3)
    assert rows[0][3] == datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    assert rows[1][3] == datetime(2026, 12, 31, 15, 0, tzinfo=UTC) and rows[2][3] is None
    assert [(e.line, e.error.split(" ")[0].lower()) for e in errors] == [
        (6, "placa"),
        (7, "motivo"),
        (8, "validade"),
        (9, "esperados"),
    ]


def test_json_entries_are_numbered_from_one_and_hostile_values_are_rows_in_error() -> None:
    doc = HotlistIn.model_validate(
        {
            "entries": [
                {"plate": "ABC1D23", "reason": "roubo"},
                {"plate": 123, "reason": "x"},
                {"plate": "ABC1D24", "reason": "a\u0000b"},
                {"plate": "ABC1D25", "reason": "\ud800"},
                {"plate": "ABC1D26", "reason": "x", "extra": 1},
                {"plate": "ABC1D27", "reason": "x", "expires_at": True},
            ]
        }
    )
    rows, errors = hotlist.parse_json(doc, SP)
    assert [r[0] for r in rows] == ["ABC1D23"]
    assert [e.line for e in errors] == [2, 3, 4, 5, 6]


def test_feed_backoff_doubles_from_its_base_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTV_FEED_RETRY_BASE_S", "5")
    monkeypatch.setenv("GTV_FEED_RETRY_MAX_S", "300")
    get_settings.cache_clear()
    try:
        assert [delivery.backoff_s(n) for n in (1, 2, 3, 4, 7, 8, 50)] == [5, 10, 20, 40, 300, 300, 300]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("url", "local", "ok"),
    [
        ("https://receptor.example.org/feed", False, True),
        ("https://203.0.113.9:8443/f", False, True),
        ("http://receptor.example.org/feed", False, False),
        ("https://127.0.0.1/feed", False, False),
        ("https://0x7f.1/feed", False, False),
        ("https://[::ffff:127.0.0.1]/feed", False, False),
        ("https://169.254.169.254/latest/meta-data", False, False),
        ("https://[fd00:ec2::254]/", False, False),
        ("https://localhost/feed", False, False),
        ("https://u:p@receptor.example.org/", False, False),
        ("ftp://receptor.example.org/", False, False),
        ("http://127.0.0.1:8080/feed", True, True),
        ("http://localhost:8080/feed", True, True),
        ("http://169.254.169.254/", True, False),
    ],
)
def test_feed_url_rules(url: str, local: bool, ok: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTV_LOCAL", "1" if local else "0")
    get_settings.cache_clear()
    try:
        if ok:
            assert agreements.check_feed_url(url, resolve=False) == url
        else:
            with pytest.raises(Invalid) as err:
                agreements.check_feed_url(url, resolve=False)
            assert err.value.code == "invalid_feed_url"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_read_as_the_feed_sends_it() -> None:
    read = SharedRead(
        uuid.uuid4(),
        "ABC1D23",
        datetime(2026, 12, 7, 12, tzinfo=UTC),
        0.91234,
        {"make": "VW"},
        "preto",
        "carro",
        uuid.uuid4(),
        "Praça",
        -23.5,
        -46.6,
    )
    out = delivery.read_out(read)
    assert out["confidence"] == 0.9123 and out["camera"]["name"] == "Praça"
    assert out["vehicle"] == {"color": "preto", "type": "carro", "make": "VW", "model": None}
