"""The local emulator checks signatures (the SigV4 front of `gtvision local up`): presigned URLs can be
tested for scope — a tampered one is a 403, as in AWS — while signed SDK calls keep working."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config
from conftest import free_port

from gtvision.core.presign import Presigner
from gtvision_local.sigv4_front import SigV4Front

BUCKET = "gtvision-recordings"


@pytest.fixture(scope="module")
def front() -> Iterator[str]:
    """moto on an internal port behind the checking front (own instances: the suite's moto is left as is)."""
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    checking = SigV4Front("127.0.0.1", free_port(), f"http://127.0.0.1:{moto._port}",
                          credentials=lambda: {"test": "test"}).start()  # fmt: skip
    yield checking.url
    checking.stop()
    moto.stop()


def _client(endpoint: str, service: str = "s3", secret: str = "test"):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def objects(front: str) -> dict[str, str]:
    s3 = _client(front)
    s3.create_bucket(Bucket=BUCKET)
    keys = {
        "a": f"recordings/{uuid.uuid4()}/2026-11-30_10-00-00-000000.ts",
        "b": f"recordings/{uuid.uuid4()}/2026-11-30_10-00-00-000000.ts",
    }
    for city, key in keys.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=f"segmento da cidade {city}".encode())
    return keys


def _with(url: str, *, path: str | None = None, query: str | None = None) -> str:
    p = urlsplit(url)
    new_path = path if path is not None else p.path
    return urlunsplit((p.scheme, p.netloc, new_path, query if query is not None else p.query, ""))


def test_signed_sdk_calls_pass_and_a_wrong_secret_is_refused(front: str, objects: dict[str, str]) -> None:
    s3 = _client(front)
    assert s3.get_object(Bucket=BUCKET, Key=objects["a"])["Body"].read() == b"segmento da cidade a"
    head = s3.head_object(Bucket=BUCKET, Key=objects["a"])
    assert head["ContentLength"] == len(b"segmento da cidade a")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="recordings/")
    assert {o["Key"] for o in listed["Contents"]} >= set(objects.values())
    # SQS through the same front (another service, another canonical form)
    sqs = _client(front, "sqs")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="olá")
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "olá"
    with pytest.raises(Exception) as err:
        _client(front, secret="wrong").get_object(Bucket=BUCKET, Key=objects["a"])
    assert "SignatureDoesNotMatch" in str(err.value)


def test_tampered_presigned_urls_are_403(front: str, objects: dict[str, str]) -> None:
    # Given a presigned GET of city A's segment, made the way the API makes them
    url = Presigner(_client(front), BUCKET).urls([objects["a"]], 300)[0]
    ok = requests.get(url, timeout=10)
    assert ok.status_code == 200 and ok.content == b"segmento da cidade a"
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    query = urlsplit(url).query
    tampered = {
        "signature zeroed": url.replace(signature, "0" * len(signature)),
        "signature removed": url.replace("&X-Amz-Signature=" + signature, ""),
        "path swapped to city B's object": _with(url, path=f"/{BUCKET}/{objects['b']}"),
        "bucket listing with the copied query": _with(url, path=f"/{BUCKET}"),
        "listing of the camera prefix": _with(url, path=f"/{BUCKET}", query=query + "&prefix=recordings/"),
        "no signature at all": _with(url, query=""),
    }
    for what, bad in tampered.items():
        r = requests.get(bad, timeout=10)
        assert r.status_code == 403, (what, r.status_code, r.text[:200])
        assert b"<Error>" in r.content, what
    # A DELETE (or PUT) with the copied query string is refused, and the object is still there
    assert requests.delete(url, timeout=10).status_code == 403
    assert requests.put(url, data=b"sobrescrito", timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == b"segmento da cidade a"


def test_expired_presigned_urls_are_403(front: str, objects: dict[str, str]) -> None:
    presigner = Presigner(_client(front), BUCKET)
    old = presigner.urls([objects["a"]], 60, now=datetime.now(UTC) - timedelta(minutes=5))[0]
    r = requests.get(old, timeout=10)
    assert r.status_code == 403 and b"expired" in r.content
    fresh = presigner.urls([objects["a"]], 2)[0]
    assert requests.get(fresh, timeout=10).status_code == 200
    time.sleep(3)
    assert requests.get(fresh, timeout=10).status_code == 403


def test_cors_preflight_passes(front: str) -> None:
    """Browsers never sign preflights: the front leaves them to the emulator (no signature error)."""
    preflight = {"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "GET"}
    r = requests.options(f"{front}/{BUCKET}/x", headers=preflight, timeout=10)
    assert b"Anonymous" not in r.content and b"SignatureDoesNotMatch" not in r.content, r.text
