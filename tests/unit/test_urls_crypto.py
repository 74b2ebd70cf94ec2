"""Source URL validation and at-rest encryption, without any back end."""

from __future__ import annotations

import pytest

from gtvision.core.errors import Invalid
from gtvision.core.urls import parse_source_url, with_credentials


@pytest.mark.parametrize(
    "raw, host_part",
    [
        ("rtsp://192.168.1.10:554/Streaming/Channels/101", "192.168.1.10:554"),
        ("rtsps://cam-01.prefeitura.sp.gov.br/live", "cam-01.prefeitura.sp.gov.br"),
        ("rtmp://10.20.30.40/live/cam", "10.20.30.40"),
        ("https://172.16.5.5/hls/index.m3u8", "172.16.5.5"),
        ("rtsp://[fd12:3456::10]:8554/x", "[fd12:3456::10]:8554"),
    ],
)
def test_private_and_public_camera_hosts_are_accepted(raw, host_part):
    assert host_part in parse_source_url(raw).url


@pytest.mark.parametrize(
    "raw",
    [
        "rtsp://127.0.0.1/",
        "rtsp://2130706433/",
        "rtsp://0x7f.0.0.1/",
        "rtsp://0177.1/",
        "rtsp://[::]/",
        "rtsp://169.254.169.254/",
        "rtsp://[fe80::1]/",
        "rtsp://[fd00:ec2::254]/",
        "rtsp://100.100.100.200/",
        "rtsp://224.0.0.1/",
        "rtsp://LOCALHOST./",
        "rtsp://x.localhost/",
        "ssh://10.0.0.1/",
        "rtsp:///nohost",
    ],
)
def test_ssrf_targets_are_refused(raw):
    with pytest.raises(Invalid):
        parse_source_url(raw)


def test_credentials_are_split_out_and_never_in_the_error():
    src = parse_source_url("rtsp://op%40sp:p%3Ass%2Fw@10.0.0.9:554/x?channel=1")
    assert (src.url, src.username, src.password) == ("rtsp://10.0.0.9:554/x?channel=1", "op@sp", "p:ss/w")
    assert with_credentials(src.url, src.username, src.password) == "rtsp://op%40sp:p%3Ass%2Fw@10.0.0.9:554/x?channel=1"
    with pytest.raises(Invalid) as err:
        parse_source_url("rtsp://admin:TopSecret@127.0.0.1/")
    assert "TopSecret" not in str(err.value)


def test_ciphertexts_are_bound_to_their_row():
    from cryptography.exceptions import InvalidTag

    from gtvision.core import crypto

    blob = crypto.encrypt("senha-da-camera", "camera-1")
    assert b"senha-da-camera" not in blob
    assert crypto.decrypt(blob, "camera-1") == "senha-da-camera"
    with pytest.raises(InvalidTag):
        crypto.decrypt(blob, "camera-2")
