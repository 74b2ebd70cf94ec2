"""Health really probes its back ends; the verifier accepts Cognito RS256 tokens through a JWKS URL."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


def test_health_reports_ok_with_every_back_end_up(api):
    r = api.call("GET", "/v1/health")
    assert r.status == 200
    assert r.json() == {"status": "ok", "checks": {"db": "ok", "storage": "ok", "queue": "ok"}}


def test_health_reports_a_missing_bucket(api, monkeypatch):
    from gtvision.core.settings import get_settings

    monkeypatch.setenv("RECORDINGS_BUCKET", "bucket-that-does-not-exist")
    get_settings.cache_clear()
    try:
        r = api.call("GET", "/v1/health")
        assert r.status == 503
        body = r.json()
        assert body["status"] == "degraded" and body["checks"]["storage"].startswith("error")
        assert body["checks"]["db"] == "ok"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture()
def jwks_server():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def test_cognito_rs256_tokens_are_verified_through_jwks(api, world, jwks_server, monkeypatch):
    from gtvision.core.settings import get_settings
    from gtvision.tenancy.auth import _jwks_client

    key, url = jwks_server
    monkeypatch.setenv("GTV_COGNITO_JWKS_URL", url)
    get_settings.cache_clear()
    _jwks_client.cache_clear()
    now = int(time.time())
    claims = {
        "sub": "cognito-user-1",
        "iss": "https://cognito-idp.example",
        "aud": "gtvision-api",
        "exp": now + 300,
        "custom:role": "viewer",
        "custom:city_id": world.city_a,
        "cognito:username": "maria",
    }
    try:
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        assert api.call("GET", f"/v1/cities/{world.city_a}", token=token).status == 200
        assert api.call("GET", f"/v1/cities/{world.city_b}", token=token).status == 404
        expired = jwt.encode({**claims, "exp": now - 10}, key, algorithm="RS256", headers={"kid": "k1"})
        assert api.call("GET", f"/v1/cities/{world.city_a}", token=expired).status == 401
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
        assert api.call("GET", f"/v1/cities/{world.city_a}", token=forged).status == 401
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        _jwks_client.cache_clear()
