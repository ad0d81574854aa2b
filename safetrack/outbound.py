"""Where the server may send requests of its own (webhooks): public addresses only.

A webhook address is typed by a production admin, so it must not reach this machine or its network:
checked as text when it is saved (`host_refusal`), and again when each message is sent, on the address
the name resolves to then (`public_address`), because a name that was public when saved may resolve to
127.0.0.1 later (or on the second lookup of the same request: DNS rebinding). The sender connects to the
address that was checked, never looking the name up again.
"""

import ipaddress
import re
import socket

# Names that are this machine or a private network by convention, whatever DNS says.
LOCAL_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
    "private",
    "test",
    "invalid",
)
# Services whose names resolve to the address written in them (127.0.0.1.nip.io, 10-0-0-1.sslip.io).
ADDRESS_IN_NAME_SUFFIXES = ("nip.io", "sslip.io", "xip.io", "localtest.me", "lvh.me", "vcap.me")
DOTTED_QUAD = re.compile(r"(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?:$|[.-])")


class OutboundRefused(Exception):
    """The destination is not a public address; the message says why (kept out of user-facing text)."""


def normalised_host(host: str) -> str:
    """Lower case, without the trailing dot(s) of a fully qualified name, IDNA-encoded."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii") if host and not _is_address(host) else host
    except UnicodeError:
        return host


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def address_is_public(address: str) -> bool:
    """Not loopback, private, link-local, multicast, reserved or unspecified (IPv4-mapped IPv6 included)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def host_refusal(host: str) -> str | None:
    """Why this host name or address can never be a webhook's destination, or None."""
    name = normalised_host(host)
    if not name:
        return "no host"
    if _is_address(name):
        return None if address_is_public(name) else "not a public address"
    labels = name.split(".")
    for suffix in LOCAL_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            return "a local name"
    if len(labels) == 1:
        return "not a fully qualified name"
    for suffix in ADDRESS_IN_NAME_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            match = DOTTED_QUAD.search(name[: -len(suffix)])
            if match is None or not address_is_public(".".join(match.groups())):
                return "a name that resolves to a local address"
    return None


def public_address(host: str, port: int) -> str:
    """Resolve the host once and return an address to connect to; OutboundRefused unless every address
    it resolves to is public (a name that mixes a public and a private answer is refused)."""
    name = normalised_host(host)
    refusal = host_refusal(name)
    if refusal:
        raise OutboundRefused(refusal)
    if _is_address(name):
        return name
    try:
        answers = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused("the name does not resolve") from exc
    addresses = [str(info[4][0]) for info in answers]
    if not addresses:
        raise OutboundRefused("the name does not resolve")
    if not all(address_is_public(address) for address in addresses):
        raise OutboundRefused("the name resolves to an address that is not public")
    return addresses[0]
