"""Where a webhook may be posted (SSRF guard).

A webhook URL is chosen by an admin or a sister app, and the server posts to it: without a
guard that is a way to reach the server's own network (loopback, the private LAN, the cloud
metadata address). Every send resolves the host and refuses any address that is not globally
routable, unless an admin allowed its network explicitly (`GRIDHUB_WEBHOOK_ALLOWED_NETWORKS`;
tests and an intranet deployment need it). A sister app's URL must also lie under one it
registered: same scheme, host and port, and a path on a segment boundary after normalising.
"""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from urllib.parse import unquote, urlsplit

from flask import current_app

DEFAULT_PORTS = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


def parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`GRIDHUB_WEBHOOK_ALLOWED_NETWORKS`: comma-separated CIDRs (ValueError if one is not)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def _allowed(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in current_app.config["WEBHOOK_ALLOWED_NETWORKS"]):
        return True
    return address.is_global and not address.is_multicast


def check(url: str) -> None:
    """Raise UnsafeDestination unless every address the URL's host resolves to may be reached."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise UnsafeDestination("unsupported_url")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        raise UnsafeDestination("unresolvable_host") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _allowed(address):
            raise UnsafeDestination("forbidden_address")


def _literal(host: str) -> Address | None:
    """The address a host names without DNS: an IP literal in any form the resolver takes
    (`127.1`, `0x7f000001`, `2130706433`, `[::1]`), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_registration(url: str) -> None:
    """At subscription time, refuse what is plainly internal without asking DNS (a name is
    checked again, resolved, at every send)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise UnsafeDestination("forbidden_address")
    address = _literal(host)
    if address is not None and not _allowed(address):
        raise UnsafeDestination("forbidden_address")


def _normalised(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    path = posixpath.normpath(unquote(parts.path) or "/")
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme, 0), path


def under(url: str, registered: str) -> bool:
    """Does `url` lie under the registered URL: same scheme, host and port, and its path the
    registered path or below it on a segment boundary (`/appA` allows `/appA/x`, not
    `/appAxyz` nor `/appA/../appB`)?"""
    try:
        scheme, host, port, path = _normalised(url)
        r_scheme, r_host, r_port, r_path = _normalised(registered)
    except ValueError:
        return False
    if (scheme, host, port) != (r_scheme, r_host, r_port) or not host:
        return False
    base = r_path.rstrip("/")
    return path == r_path or path.startswith(base + "/")
