"""The fan-out's PostToConnection requests are the ones boto3 sends: same URL, same SigV4 signature."""

from __future__ import annotations

import datetime as dt

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gtvision.live.transport import Endpoint, Signer

NOW = dt.datetime(2026, 12, 7, 13, 45, 9)  # naive UTC, as botocore takes it


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJ="])
@pytest.mark.parametrize("connection_id", ["L0SM9cOFvHcCIhw=", "a-b_c~d+e/f="])
def test_the_signature_equals_botocores_for_the_same_request(
    monkeypatch: pytest.MonkeyPatch, token: str | None, connection_id: str
) -> None:
    # Given credentials (with or without a session token), an endpoint and a frame
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    endpoint = Endpoint.parse("https://a1b2c3d4e5.execute-api.sa-east-1.amazonaws.com/live")
    body = '{"type": "alert", "data": {"plate": "ABC1D23", "nota": "ação"}}'.encode()
    path = endpoint.path_of(connection_id)

    # When both sign it at the same instant
    ours = Signer("sa-east-1", creds).headers(
        "POST", endpoint.netloc, path, body, now=NOW.replace(tzinfo=dt.UTC).timestamp()
    )
    request = AWSRequest(method="POST", url=f"https://{endpoint.netloc}{path}", data=body)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    SigV4Auth(creds, "execute-api", "sa-east-1").add_auth(request)

    # Then the date, the token and the Authorization header (credential scope, signed headers, signature) match
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"] == "20261207T134509Z"
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def test_the_path_is_the_one_boto3_builds() -> None:
    # boto3 renders /@connections/{connectionId} with the id percent-encoded under the endpoint's stage path
    endpoint = Endpoint.parse("http://127.0.0.1:3002")
    assert endpoint.path_of("L0SM9cOFvHcCIhw=") == "/@connections/L0SM9cOFvHcCIhw%3D"
    staged = Endpoint.parse("https://x.execute-api.us-east-1.amazonaws.com/live/")
    assert (staged.netloc, staged.path_of("a/b")) == (
        "x.execute-api.us-east-1.amazonaws.com",
        "/live/@connections/a%2Fb",
    )
    with pytest.raises(ValueError):
        Endpoint.parse("wss://x.execute-api.us-east-1.amazonaws.com/live")
