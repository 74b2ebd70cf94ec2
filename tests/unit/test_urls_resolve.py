"""Camera hosts are resolved at validation: a name is refused when ANY of its addresses is forbidden."""

from __future__ import annotations

import pytest

from gtvision.core.errors import Invalid
from gtvision.core.urls import parse_source_url


def resolver(table: dict[str, list[str]]):
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("no such name")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.5", "127.0.1.1"],  # one bad address among good ones is enough
        ["169.254.169.254"],  # cloud metadata (link-local)
        ["fd00:ec2::254"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["0.0.0.0"],
        ["100.100.100.200"],
        ["fe80::1%eth0"],
    ],
)
def test_a_name_resolving_to_a_forbidden_address_is_refused(addresses: list[str]) -> None:
    with pytest.raises(Invalid) as err:
        parse_source_url("rtsp://user:segredo@cam.example/live", resolver({"cam.example": addresses}))
    assert err.value.code == "invalid_source_url" and "segredo" not in err.value.message


def test_names_resolving_to_private_or_public_addresses_and_unresolvable_names_pass() -> None:
    table = {"cam.example": ["192.168.10.20", "10.1.2.3"], "pub.example": ["200.160.2.3"]}
    for host in ("cam.example", "pub.example", "nowhere.example"):
        assert parse_source_url(f"rtsp://{host}/s", resolver(table)).url == f"rtsp://{host}/s"


def test_the_name_is_resolved_in_the_form_given_lowercase_without_the_root_dot() -> None:
    seen: list[str] = []

    def resolve(host: str) -> list[str]:
        seen.append(host)
        return ["192.168.0.2"]

    parse_source_url("rtsp://CAM.Example./s", resolve)
    assert seen == ["cam.example"]


def test_literals_are_not_resolved() -> None:
    def resolve(host: str) -> list[str]:
        raise AssertionError("a literal address must not be looked up")

    assert parse_source_url("rtsp://192.168.1.9/s", resolve).url == "rtsp://192.168.1.9/s"
