"""Camera URLs (contract v1.2): credentials in the path or query are moved out like `user:pass@`, and IPv6
literals that embed a loopback, link-local or metadata IPv4 address are refused like the plain forms."""

from __future__ import annotations

import pytest

from gtvision.core.errors import Invalid
from gtvision.core.observability import redact
from gtvision.core.urls import (
    embedded_ipv4,
    has_embedded_credentials,
    parse_source_url,
    public_url,
    with_credentials,
)


@pytest.mark.parametrize(
    ("raw", "public", "user", "password"),
    [
        # XMEye (Brazilian DVRs and IP cameras): the credentials are path parameters
        (
            "rtsp://10.0.0.5:554/user=admin&password=S3cr%26t&channel=1&stream=0.sdp?",
            "rtsp://10.0.0.5:554/channel=1&stream=0.sdp",
            "admin",
            "S3cr&t",
        ),
        (
            "http://10.0.0.6/videostream.cgi?loginuse=admin&LOGINPAS=abc123&res=0",
            "http://10.0.0.6/videostream.cgi?res=0",
            "admin",
            "abc123",
        ),
        ("rtsp://10.0.0.7/live?PWD=x1&channel=2", "rtsp://10.0.0.7/live?channel=2", None, "x1"),
        ("rtsp://10.0.0.7/live?passwd=x2", "rtsp://10.0.0.7/live", None, "x2"),
        ("rtsp://10.0.0.7/live?Pass=x3&User=op", "rtsp://10.0.0.7/live", "op", "x3"),
        ("rtsp://10.0.0.7/live?senha=x4", "rtsp://10.0.0.7/live", None, "x4"),
        ("rtsp://op:pw@10.0.0.7/live?channel=1", "rtsp://10.0.0.7/live?channel=1", "op", "pw"),
    ],
)
def test_credentials_in_path_or_query_are_moved_and_never_shown(
    raw: str, public: str, user: str | None, password: str
) -> None:
    src = parse_source_url(raw)
    assert (src.username, src.password) == (user, password)
    assert public_url(src.url) == public
    assert password not in src.url and password not in public_url(src.url)
    # MediaMTX gets them back where the camera expects them
    full = with_credentials(src.url, src.username, src.password)
    assert parse_source_url(full).password == password
    # A stored URL parses to itself (the stream's SSRF re-check reads it)
    again = parse_source_url(src.url)
    assert again.url == src.url and again.password is None


def test_xmeye_url_gets_its_credentials_back_in_place() -> None:
    src = parse_source_url("rtsp://10.0.0.5:554/user=admin&password=a%2Fb&channel=1&stream=0.sdp")
    assert (
        with_credentials(src.url, "admin", "a/b")
        == "rtsp://10.0.0.5:554/user=admin&password=a%2Fb&channel=1&stream=0.sdp"
    )


def test_rows_stored_before_the_move_are_recognised_and_shown_without_credentials() -> None:
    legacy = "rtsp://10.0.0.5:554/user=admin&password=old&channel=1"
    assert has_embedded_credentials(legacy) and public_url(legacy) == "rtsp://10.0.0.5:554/channel=1"
    assert not has_embedded_credentials(parse_source_url(legacy).url)
    assert has_embedded_credentials("rtsp://a:b@10.0.0.5/x")


def test_log_lines_mask_passwords_in_parameters() -> None:
    line = "falha em rtsp://10.0.0.5/user=admin&password=S3cr3t&channel=1 e http://h/x?loginpas=abc&res=0"
    masked = redact(line)
    assert "S3cr3t" not in masked and "abc&" not in masked and "channel=1" in masked


@pytest.mark.parametrize(
    "host",
    [
        "[2002:a9fe:a9fe::]",  # 6to4 of 169.254.169.254 (metadata)
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1 (obfuscated 7f00:0001 → 80ff:fffe)
        "[2001:0:a9fe:a9fe::1]",  # Teredo whose server is 169.254.169.254
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b:1::a9fe:a9fe]",  # local-use NAT64 (RFC 8215)
        "[::ffff:127.0.0.1]",
        "[::127.0.0.1]",
    ],
)
def test_ipv6_literals_embedding_local_addresses_are_refused(host: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_source_url(f"rtsp://{host}:554/live")
    assert err.value.code == "invalid_source_url"


def test_embedded_addresses_are_decoded() -> None:
    import ipaddress

    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address("2002:a9fe:a9fe::"))] == ["169.254.169.254"]
    teredo = embedded_ipv4(ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:80ff:fffe"))
    assert ipaddress.IPv4Address("127.0.0.1") in teredo
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address("64:ff9b::a9fe:a9fe"))] == ["169.254.169.254"]


def test_6to4_of_a_private_camera_address_is_still_accepted() -> None:
    # 2002:c0a8:0a14:: embeds 192.168.10.20: cameras live in private ranges
    assert parse_source_url("rtsp://[2002:c0a8:a14::1]:554/live").url == "rtsp://[2002:c0a8:a14::1]:554/live"
