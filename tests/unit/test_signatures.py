"""Webhook signatures: HMAC, time window, rotation and malformed headers."""

import hashlib
import hmac

import pytest

from gtvision.core.signatures import SignatureError, sign, verify

SECRET = "s3cr3t-current"
OLD_SECRET = "s3cr3t-previous"
BODY = b'{"event_id":"e1","plate":"ABC1D23","confidence":0.9,"captured_at":"2026-11-23T12:00:00Z"}'
NOW = 1_790_000_000


def _reason(header: str | None, body: bytes = BODY, secrets: list[str] | None = None, now: float = NOW) -> str:
    with pytest.raises(SignatureError) as exc:
        verify(header, body, [SECRET] if secrets is None else secrets, now)
    return exc.value.reason


def test_sign_matches_the_contract_formula() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_good_signature_is_accepted() -> None:
    verify(sign(SECRET, BODY, NOW), BODY, [SECRET], NOW)
    # Within the window on both sides
    verify(sign(SECRET, BODY, NOW - 300), BODY, [SECRET], NOW)
    verify(sign(SECRET, BODY, NOW + 30), BODY, [SECRET], NOW)


def test_wrong_secret_is_refused() -> None:
    assert _reason(sign("other", BODY, NOW)) == "mismatch"


def test_no_active_secret_is_refused() -> None:
    assert _reason(sign(SECRET, BODY, NOW), secrets=[]) == "mismatch"


def test_stale_signature_is_refused() -> None:
    assert _reason(sign(SECRET, BODY, NOW - 301)) == "stale"


def test_signature_from_the_future_is_refused() -> None:
    assert _reason(sign(SECRET, BODY, NOW + 31)) == "future"


def test_changed_body_is_refused() -> None:
    assert _reason(sign(SECRET, BODY, NOW), body=BODY.replace(b"ABC1D23", b"ABC1D24")) == "mismatch"


def test_changed_timestamp_is_refused() -> None:
    mac = sign(SECRET, BODY, NOW).split("v1=")[1]
    assert _reason(f"t={NOW - 1},v1={mac}") == "mismatch"


def test_rotation_accepts_old_secret_only_while_listed() -> None:
    header = sign(OLD_SECRET, BODY, NOW)
    verify(header, BODY, [SECRET, OLD_SECRET], NOW)
    assert _reason(header, secrets=[SECRET]) == "mismatch"


def test_several_v1_entries_and_unknown_schemes() -> None:
    good = sign(SECRET, BODY, NOW).split("v1=")[1]
    verify(f"t={NOW}, v0=xyz, v1={'0' * 64}, v1={good.upper()}", BODY, [SECRET], NOW)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    assert _reason(header) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={NOW}",
        "v1=" + "a" * 64,
        f"t=abc,v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
        f"t=+{NOW},v1={'a' * 64}",
        f"t={NOW},v1=zz",
        f"t={NOW},v1={'a' * 63}",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t={NOW},v1={'a' * 64},",
        f"t=1{'0' * 20},v1={'a' * 64}",
        f"t={NOW},v1={'a' * 64}," + "x=y," * 500,
    ],
)
def test_malformed_headers(header: str) -> None:
    assert _reason(header) == "malformed"
