"""Typed client of MediaMTX's control API (v3): one path per camera, pulled from its source and recorded.

The endpoints, methods and bodies are those of `shared/reference/mediamtx/openapi.yaml`; the integration
test validates every request this module sends against that document. MediaMTX decodes bodies strictly
(unknown fields are refused), so only keys of the spec's `PathConf` are ever sent.

The source URL carries the camera's credentials: it is sent to MediaMTX and nowhere else. Every message
this module raises or logs goes through `_Scrubber`, which removes `user:pass@` and the bare secrets.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from gtvision.core.errors import Invalid, NotFound, Unavailable
from gtvision.core.observability import logger, redact
from gtvision.core.rows import rowtype

if TYPE_CHECKING:  # imported where used: the functions that never call MediaMTX don't pay for it at cold start
    import requests

# Contract: segments land at recordings/{camera_id}/{YYYY-MM-DD_HH-MM-SS-ffffff}.mp4 (server on UTC).
RECORD_PATH = "recordings/%path/%Y-%m-%d_%H-%M-%S-%f"
RECORD_FORMAT = "fmp4"
RECORD_SEGMENT_DURATION = "60s"

# MediaMTX path names: a UUID always fits; anything with '/', '~' or spaces is refused before a request.
_PATH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_DEFAULT_TIMEOUT = (3.05, 10.0)  # (connect, read) seconds


class MediaMTXUnavailable(Unavailable):
    """MediaMTX cannot be reached, timed out, refused our API credentials or failed (5xx) — HTTP 503."""

    def __init__(self, message: str) -> None:
        super().__init__("mediamtx_unavailable", message)


class PathNotFound(NotFound):
    """MediaMTX has no path (config or live stream) of that name — HTTP 404."""

    def __init__(self, name: str) -> None:
        super().__init__("stream_not_found", f"stream {name} não encontrado no MediaMTX")
        self.name = name


class MediaMTXRejected(Invalid):
    """MediaMTX refused the path configuration (400), e.g. a source it cannot use — HTTP 422."""

    def __init__(self, message: str) -> None:
        super().__init__("stream_config_rejected", message)


@rowtype(slots=False)
class PathTrack:
    """One track of a live path, as MediaMTX describes it (`tracks2`)."""

    codec: str
    width: int | None = None
    height: int | None = None


@rowtype(slots=False)
class PathStatus:
    """Runtime state of a path (`GET /v3/paths/get/{name}`).

    `ready`: readers can play it now (MediaMTX `available`); `source_ready`: the camera stream itself is
    online (`online`). They differ only when a path is kept available with an offline placeholder.
    """

    name: str
    ready: bool
    source_ready: bool
    readers: int
    source_type: str | None
    tracks: tuple[PathTrack, ...]
    ready_since: datetime | None
    inbound_bytes: int
    # Health poller inputs: MediaMTX's raw onlineTime (counters restart when it changes), the cumulative
    # count of frames that arrived broken, and the readers by type (hlsMuxer, webRTCSession, rtspSession...).
    online_time: str | None = None
    inbound_frames_in_error: int = 0
    readers_by_type: tuple[tuple[str, int], ...] = ()


class _Scrubber:
    """Removes credentials from text: `user:pass@` in any URL plus the known secrets themselves."""

    def __init__(self, source_url: str | None = None) -> None:
        self._secrets: list[str] = []
        if source_url:
            try:
                parts = urlsplit(source_url)
                raw = [parts.username, parts.password]
            except ValueError:
                raw = []
            for s in raw:
                if s:
                    self._secrets.extend({s, unquote(s), quote(unquote(s), safe="")})
        # Longest first so a secret containing another is removed whole.
        self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = redact(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _track(item: Any) -> PathTrack:
    props = item.get("codecProps") if isinstance(item, dict) else None
    props = props if isinstance(props, dict) else {}
    codec = item.get("codec", "") if isinstance(item, dict) else str(item)
    width, height = props.get("width"), props.get("height")
    return PathTrack(
        codec=str(codec),
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
    )


def _status(name: str, body: dict[str, Any]) -> PathStatus:
    # `online`/`available` replaced the deprecated `ready` in newer MediaMTX; older servers send only `ready`.
    source_ready = bool(body.get("online", body.get("ready", False)))
    ready = bool(body.get("available", source_ready))
    source = body.get("source")
    tracks2 = body.get("tracks2")
    raw_tracks = tracks2 if isinstance(tracks2, list) else body.get("tracks") or []
    inbound = body.get("inboundBytes", body.get("bytesReceived", 0))
    errors = body.get("inboundFramesInError", 0)
    by_type: dict[str, int] = {}
    for reader in body.get("readers") or []:
        kind = str(reader.get("type") or "unknown") if isinstance(reader, dict) else "unknown"
        by_type[kind] = by_type.get(kind, 0) + 1
    online_time = body.get("onlineTime") or body.get("readyTime")
    return PathStatus(
        name=str(body.get("name") or name),
        ready=ready,
        source_ready=source_ready,
        readers=len(body.get("readers") or []),
        source_type=source.get("type") if isinstance(source, dict) else None,
        tracks=tuple(_track(t) for t in raw_tracks),
        ready_since=parse_time(body.get("onlineTime") or body.get("readyTime")),
        inbound_bytes=inbound if isinstance(inbound, int) else 0,
        online_time=online_time if isinstance(online_time, str) else None,
        inbound_frames_in_error=errors if isinstance(errors, int) else 0,
        readers_by_type=tuple(sorted(by_type.items())),
    )


class MediaMTXClient:
    """Control-API client for one MediaMTX server plus the public URLs viewers use to reach it."""

    def __init__(
        self,
        api_url: str,
        public_hls_url: str,
        public_webrtc_url: str,
        public_rtsp_url: str,
        user: str | None = None,
        password: str | None = None,
        timeout: float | tuple[float, float] = _DEFAULT_TIMEOUT,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.public_hls_url = public_hls_url.rstrip("/")
        self.public_webrtc_url = public_webrtc_url.rstrip("/")
        self.public_rtsp_url = public_rtsp_url.rstrip("/")
        self.timeout = timeout
        import requests

        self._session = requests.Session()
        # MediaMTX's internal auth accepts HTTP Basic on the API for users holding the `api` action.
        self._session.auth = (user, password or "") if user else None

    @classmethod
    def from_settings(cls) -> MediaMTXClient:
        """A client configured from `Settings` (GTV_MEDIAMTX_* environment)."""
        from gtvision.core.settings import get_settings

        s = get_settings()
        return cls(
            s.mediamtx_api_url,
            s.mediamtx_hls_url,
            s.mediamtx_webrtc_url,
            s.mediamtx_rtsp_url,
            user=s.mediamtx_user or None,
            password=s.mediamtx_password or None,
        )

    # -- public API ---------------------------------------------------------------------------------

    def ensure_path(self, name: str, source_url: str, record: bool = True) -> None:
        """Make path `name` pull `source_url` (credentials included) and record it when `record`.

        Adds the path config, or patches it when it exists; does nothing when it already matches, so an
        unchanged camera keeps streaming (MediaMTX reloads a path, dropping its source, on every change).
        """
        _check_name(name)
        scrub = _Scrubber(source_url)
        desired: dict[str, Any] = {
            "source": source_url,
            "sourceOnDemand": False,
            "record": record,
            "recordPath": RECORD_PATH,
            "recordFormat": RECORD_FORMAT,
            "recordSegmentDuration": RECORD_SEGMENT_DURATION,
        }
        current = self._get_path_conf(name, scrub)
        if current is None:
            resp = self._request("POST", f"/v3/config/paths/add/{quote(name)}", scrub, json=desired)
            if resp.status_code == 200:
                logger.info("mediamtx path added", extra={"path": name, "record": record})
                return
            if not (resp.status_code == 400 and "already exists" in _error_text(resp)):
                self._raise_for(resp, name, scrub)
            # Added concurrently between our GET and POST: fall through and patch it.
        elif _matches(current, desired):
            logger.debug("mediamtx path unchanged", extra={"path": name})
            return
        resp = self._request("PATCH", f"/v3/config/paths/patch/{quote(name)}", scrub, json=desired)
        if resp.status_code != 200:
            self._raise_for(resp, name, scrub)
        logger.info("mediamtx path updated", extra={"path": name, "record": record})

    def remove_path(self, name: str, missing_ok: bool = False) -> None:
        """Delete path `name`'s config (stops pulling and recording); `PathNotFound` unless `missing_ok`."""
        _check_name(name)
        scrub = _Scrubber()
        resp = self._request("DELETE", f"/v3/config/paths/delete/{quote(name)}", scrub)
        if resp.status_code == 404 and missing_ok:
            return
        if resp.status_code != 200:
            self._raise_for(resp, name, scrub)
        logger.info("mediamtx path removed", extra={"path": name})

    def path_status(self, name: str) -> PathStatus:
        """Runtime state of path `name`; `PathNotFound` when MediaMTX has no such path."""
        _check_name(name)
        scrub = _Scrubber()
        resp = self._request("GET", f"/v3/paths/get/{quote(name)}", scrub)
        if resp.status_code != 200:
            self._raise_for(resp, name, scrub)
        return _status(name, self._json(resp, scrub))

    def list_paths(self, items_per_page: int = 500) -> dict[str, PathStatus]:
        """Runtime state of every path MediaMTX has (`GET /v3/paths/list`, every page), by name."""
        scrub = _Scrubber()
        out: dict[str, PathStatus] = {}
        page = 0
        while True:
            resp = self._request("GET", f"/v3/paths/list?page={page}&itemsPerPage={items_per_page}", scrub)
            if resp.status_code != 200:
                raise MediaMTXUnavailable(f"MediaMTX respondeu {resp.status_code} à lista de streams")
            body = self._json(resp, scrub)
            for item in body.get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    out[item["name"]] = _status(item["name"], item)
            page_count = body.get("pageCount")
            page += 1
            if not isinstance(page_count, int) or page >= page_count:
                return out

    def urls(self, name: str) -> dict[str, str]:
        """Viewer URLs of path `name`: HLS playlist, WebRTC page (WHEP endpoint = that + `/whep`), RTSP."""
        _check_name(name)
        return {
            "hls": f"{self.public_hls_url}/{name}/index.m3u8",
            "webrtc": f"{self.public_webrtc_url}/{name}",
            "rtsp": f"{self.public_rtsp_url}/{name}",
        }

    # -- transport ----------------------------------------------------------------------------------

    def _get_path_conf(self, name: str, scrub: _Scrubber) -> dict[str, Any] | None:
        resp = self._request("GET", f"/v3/config/paths/get/{quote(name)}", scrub)
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            self._raise_for(resp, name, scrub)
        return self._json(resp, scrub)

    def _request(self, method: str, path: str, scrub: _Scrubber, json: Any = None) -> requests.Response:
        import requests

        try:
            return self._session.request(method, self.api_url + path, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            # `from None`: the cause may carry the request (and so the source URL) into a traceback.
            reason = scrub(f"{type(exc).__name__}: {exc}")
            logger.warning("mediamtx unreachable", extra={"api_url": self.api_url, "reason": reason})
            raise MediaMTXUnavailable(f"MediaMTX indisponível em {self.api_url} ({reason})") from None

    def _json(self, resp: requests.Response, scrub: _Scrubber) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise MediaMTXUnavailable(scrub(f"resposta inválida do MediaMTX em {resp.request.path_url}"))
        return body

    def _raise_for(self, resp: requests.Response, name: str, scrub: _Scrubber) -> None:
        status = resp.status_code
        detail = scrub(_error_text(resp))
        if status == 404:
            raise PathNotFound(name)
        if status == 400:
            raise MediaMTXRejected(f"MediaMTX recusou a configuração do stream {name}: {detail}")
        if status in (401, 403):
            raise MediaMTXUnavailable("MediaMTX recusou as credenciais da API (GTV_MEDIAMTX_USER/PASSWORD)")
        logger.warning("mediamtx error", extra={"path": name, "status": status, "detail": detail})
        raise MediaMTXUnavailable(f"MediaMTX respondeu {status} para o stream {name}: {detail}")


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: Any) -> float | None:
    """Seconds of a Go duration string ("60s", "1m0s"), None when it is not one."""
    if not isinstance(value, str) or not value or _DURATION_PART.sub("", value):
        return None
    return sum(float(n) * _DURATION_UNIT[u] for n, u in _DURATION_PART.findall(value))


def _matches(current: dict[str, Any], desired: dict[str, Any]) -> bool:
    """Whether the config MediaMTX reports already has every desired value (it echoes 60s as 1m0s)."""
    for key, want in desired.items():
        have = current.get(key)
        if have == want:
            continue
        if key == "recordSegmentDuration" and _seconds(have) is not None and _seconds(have) == _seconds(want):
            continue
        return False
    return True


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _PATH_NAME.match(name):
        raise ValueError(f"invalid MediaMTX path name: {name!r}")


def _error_text(resp: requests.Response) -> str:
    """The `error` field of MediaMTX's `Error` body, or the raw text (bounded)."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])[:300]
    return str(body)[:300]
