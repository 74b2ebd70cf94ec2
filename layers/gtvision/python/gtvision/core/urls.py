"""Validation of camera source URLs: allowed schemes, no SSRF targets, credentials split out."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from gtvision.core.errors import Invalid

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
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*\.?$")


@dataclass(frozen=True)
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


def _check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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


def parse_source_url(raw: str, resolver: Resolver | None = None) -> SourceUrl:
    """Validate `raw` (literal host checks, then the name's resolved addresses); return it without
    credentials and the credentials separately."""
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
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    clean = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    return SourceUrl(url=clean, username=username, password=password)


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The URL with credentials put back (only for MediaMTX / ffmpeg, never for a response or log)."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, ""))
