"""The client's address behind trusted proxies (GW-2, GW-4).

What the platform counts per address (failed sign-ins, anonymous requests) must count clients,
not the load balancer in front of the gateway: behind one, every request has the balancer's
address as its peer, and a hundred failed sign-ins by anyone would lock everyone out.

The operator lists the proxies it runs in ``TRUSTED_PROXIES`` (addresses or networks, comma
separated; none by default). Only when the socket's peer is one of them is ``X-Forwarded-For``
read, from the right: each proxy appends the address it received the request from, so the
rightmost address that is not a trusted proxy is the client as far as our own proxies can vouch.
Whatever a client writes into the header itself sits further left and is never taken. A peer
that is not a trusted proxy is the client, whatever header it sends.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer chain is read only this far from the right: no proxy set-up has more


def parse_trusted(setting: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.7"`` -> networks; a malformed entry refuses to start (ValueError)."""
    if not setting:
        return ()
    entries = setting.split(",") if isinstance(setting, str) else list(setting)
    networks = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or a network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy, then the rightmost hop of
    ``forwarded_for`` (every ``X-Forwarded-For`` header, in order) that is not one. A hop that is
    not an address ends the walk there (it was not written by a proxy we trust): the last trusted
    hop before it is the client as far as we know."""
    current = _address(peer or "")
    if not trusted or not _trusted(current, trusted):
        return peer
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)
