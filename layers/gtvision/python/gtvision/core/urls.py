"""Validation of camera source URLs: allowed schemes, no SSRF targets, credentials split out.

Credentials come in three places: `user:pass@` and, in many Brazilian cameras, parameters of the path
(XMEye: `rtsp://host/user=admin&password=…&channel=1`) or of the query (`?loginuse=…&loginpas=…`). All are
moved to the camera's credential fields. Where the camera needs them as parameters, the stored URL keeps a
marker in their place (`password={GTV_PASSWORD}`) so MediaMTX gets them back where they were
(`with_credentials`); answers show `public_url`, which drops those parameters whatever they hold.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from gtvision.core.errors import Invalid
from gtvision.core.rows import rowtype

ALLOWED_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https")
_METADATA_HOSTS = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
}
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
#: A name's addresses as the system resolver gives them (/etc/hosts, then DNS); OSError when it has none.
Resolver = Callable[[str], list[str]]
RESOLVE_TIMEOUT_S = 2.0
_resolver_pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="gtv-resolve")
#: Parameter names (any case) that hold a camera's password, and those that hold its user name.
PASSWORD_PARAMS = frozenset({"password", "pwd", "passwd", "pass", "loginpas", "senha"})
USER_PARAMS = frozenset({"user", "username", "usr", "loginuse", "usuario"})
USER_MARKER, PASSWORD_MARKER = "{GTV_USER}", "{GTV_PASSWORD}"
_MARKERS = {USER_MARKER, PASSWORD_MARKER}
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and RFC 8215).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*\.?$")


@rowtype(slots=False)
class SourceUrl:
    """A camera URL without credentials, plus the credentials that were inside it (if any)."""

    url: str
    username: str | None
    password: str | None


def _numeric_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse the host as an IP, including the forms inet_aton accepts (2130706433, 0x7f.1, 0177.0.0.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    nums: list[int] = []
    for p in parts:
        try:
            if p.lower().startswith("0x"):
                nums.append(int(p, 16))
            elif len(p) > 1 and p.startswith("0"):
                nums.append(int(p, 8))
            else:
                nums.append(int(p, 10))
        except ValueError:
            return None
    value = 0
    for n in nums[:-1]:
        if not 0 <= n <= 255:
            return None
        value = value * 256 + n
    last_bits = 8 * (5 - len(nums))
    if not 0 <= nums[-1] < 2**last_bits:
        return None
    value = (value << last_bits) | nums[-1]
    return ipaddress.IPv4Address(value)


def _refuse(reason: str) -> Invalid:
    return Invalid("invalid_source_url", f"source_url recusada: {reason}")


def check_host(host: str) -> None:
    """Refuse loopback, link-local, unspecified, multicast, reserved and metadata hosts (private ranges are fine)."""
    h = host.strip("[]").lower().rstrip(".")
    if not h:
        raise _refuse("host ausente")
    if h in _LOCAL_NAMES or h.endswith(".localhost") or h in _METADATA_HOSTS:
        raise _refuse("host local ou de metadados não é permitido")
    ip = _numeric_host(h)
    if ip is None:
        if not _HOST_RE.match(h) or h.replace(".", "").isdigit():
            raise _refuse("host inválido")
        return
    _check_ip(ip)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 literal carries: mapped (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), 6to4
    (`2002:AABB:CCDD::`), Teredo (`2001:0::/32`, server and de-obfuscated client) and NAT64 (`64:ff9b::/96`)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _IPV4_COMPATIBLE or any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in embedded_ipv4(ip):
            _check_ip(inner)
        if ip.ipv4_mapped is not None:
            return
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        raise _refuse("endereço de loopback, link-local, não especificado ou reservado")
    if ip == ipaddress.ip_address("100.100.100.200") or ip == ipaddress.ip_address("fd00:ec2::254"):
        raise _refuse("endereço de metadados")


def system_resolve(host: str) -> list[str]:
    """Every address of `host` from the system resolver, within RESOLVE_TIMEOUT_S (OSError otherwise)."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, None, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        raise OSError(f"resolving {host!r} timed out") from None
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def check_resolved(host: str, resolver: Resolver | None = None) -> None:
    """Refuse a host name when ANY of its addresses is one `check_host` refuses as a literal.

    A name nobody can resolve from here is let through: cameras' names often resolve only inside the
    city's network, and MediaMTX — not this function — connects to them. The check runs at registration
    and again when the stream starts (a name can be repointed in between; see ADR 0012).
    """
    h = host.strip("[]").lower().rstrip(".")
    if not h or _numeric_host(h) is not None:
        return  # literals are checked by check_host
    try:
        addresses = (resolver or system_resolve)(h)
    except (OSError, UnicodeError):
        return
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        try:
            _check_ip(ip)
        except Invalid:
            raise _refuse(f"o nome {h} aponta para um endereço local, link-local ou de metadados") from None


def _split_params(text: str, sep: str = "&") -> list[tuple[str, str | None]]:
    """`a=1&b&c=3` → [("a", "1"), ("b", None), ("c", "3")] (raw, still percent-encoded)."""
    out: list[tuple[str, str | None]] = []
    for part in text.split(sep):
        key, eq, value = part.partition("=")
        out.append((key, value if eq else None))
    return out


def _join_params(params: list[tuple[str, str | None]], sep: str = "&") -> str:
    return sep.join(k if v is None else f"{k}={v}" for k, v in params)


def _credential_kind(key: str) -> str | None:
    name = unquote(key).strip().lower()
    if name in PASSWORD_PARAMS:
        return "password"
    if name in USER_PARAMS:
        return "user"
    return None


def _move_params(text: str, found: dict[str, str]) -> str:
    """Replace the values of credential parameters in one path segment or query by markers; the values
    found (decoded) go into `found` (a value that is already a marker stays as it is)."""
    if "=" not in text:
        return text
    params = _split_params(text)
    changed = False
    for i, (key, value) in enumerate(params):
        kind = _credential_kind(key)
        if kind is None or value is None:
            continue
        marker = PASSWORD_MARKER if kind == "password" else USER_MARKER
        if value != marker:
            found.setdefault(kind, unquote(value))
            params[i] = (key, marker)
            changed = True
    return _join_params(params) if changed else text


def _drop_params(text: str) -> str:
    """One path segment or query without its credential parameters (markers or values alike)."""
    if "=" not in text:
        return text
    return _join_params([(k, v) for k, v in _split_params(text) if v is None or _credential_kind(k) is None])


def _map_url(url: str, fn: Callable[[str], str]) -> str:
    """Apply `fn` to each path segment and to the query of `url` (no userinfo, no fragment kept)."""
    parts = urlsplit(url)
    path = "/".join(fn(segment) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, parts.netloc, path, fn(parts.query) if parts.query else "", ""))


def parse_source_url(raw: str, resolver: Resolver | None = None) -> SourceUrl:
    """Validate `raw` (literal host checks, then the name's resolved addresses); return it without
    credentials (markers where parameters held them) and the credentials separately. Idempotent on a
    stored URL (markers stay markers)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 2048:
        raise _refuse("URL ausente ou longa demais")
    if any(c in raw for c in "\r\n\t\x00 "):
        raise _refuse("caracteres inválidos")
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError as exc:
        raise _refuse("URL malformada") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise _refuse(f"esquema não permitido (use {', '.join(ALLOWED_SCHEMES)})")
    host = parts.hostname or ""
    check_host(host)
    check_resolved(host, resolver)
    found: dict[str, str] = {}
    if parts.username:
        found["user"] = unquote(parts.username)
    if parts.password is not None:
        found["password"] = unquote(parts.password)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    clean = _map_url(urlunsplit((scheme, netloc, parts.path, parts.query, "")), lambda t: _move_params(t, found))
    return SourceUrl(url=clean, username=found.get("user"), password=found.get("password"))


def public_url(stored: str) -> str:
    """The URL as answers show it: no credential parameter (marker or, in rows stored before they were
    moved, a value), no `user:pass@`."""
    try:
        parts = urlsplit(stored)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return _map_url(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), _drop_params)


def has_embedded_credentials(stored: str) -> bool:
    """Whether a stored URL still holds credentials itself (`user:pass@` or a parameter value that is not a
    marker): rows written before credentials in parameters were moved."""
    found: dict[str, str] = {}
    try:
        parts = urlsplit(stored)
        _map_url(stored, lambda t: _move_params(t, found))
    except ValueError:
        return False
    return bool(found) or parts.username is not None


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The URL with credentials put back (only for MediaMTX / ffmpeg, never for a response or log): into
    their markers when the camera takes them as parameters, else as `user:pass@`."""
    if any(marker in url for marker in _MARKERS):
        return url.replace(USER_MARKER, quote(username or "", safe="")).replace(
            PASSWORD_MARKER, quote(password or "", safe="")
        )
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, ""))
