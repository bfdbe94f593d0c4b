"""GW-2, GW-4: the client's address behind trusted proxies (``TRUSTED_PROXIES``)."""
import pytest

from gateway.proxies import client_address, parse_trusted

LB = parse_trusted("10.0.0.0/8, 192.0.2.7")


def test_GW4_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says():
    assert client_address("203.0.113.9", ["198.51.100.1"], parse_trusted("")) == "203.0.113.9"


def test_GW4_an_untrusted_peers_x_forwarded_for_is_ignored():
    assert client_address("203.0.113.9", ["198.51.100.1"], LB) == "203.0.113.9"


def test_GW4_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client():
    assert client_address("10.1.2.3", ["198.51.100.1"], LB) == "198.51.100.1"
    # a client writing its own header is further left: never taken
    assert client_address("10.1.2.3", ["1.1.1.1, 198.51.100.1"], LB) == "198.51.100.1"
    # two of our proxies in a row, and the header split over two lines
    assert client_address("10.1.2.3", ["6.6.6.6, 198.51.100.1", "192.0.2.7"], LB) == "198.51.100.1"


def test_GW4_two_clients_behind_one_trusted_proxy_are_told_apart():
    first = client_address("10.1.2.3", ["198.51.100.1"], LB)
    second = client_address("10.1.2.3", ["198.51.100.2"], LB)
    assert first != second


def test_GW4_a_hop_that_is_not_an_address_stops_the_walk_at_the_last_trusted_one():
    assert client_address("10.1.2.3", ["garbage"], LB) == "10.1.2.3"
    assert client_address("10.1.2.3", ["198.51.100.1, unknown, 10.9.9.9"], LB) == "10.9.9.9"
    assert client_address("10.1.2.3", [], LB) == "10.1.2.3"


def test_GW4_ports_and_ipv6_hops_are_read():
    assert client_address("10.1.2.3", ["198.51.100.1:5555"], LB) == "198.51.100.1"
    assert client_address("10.1.2.3", ["[2001:db8::1]:443"], LB) == "2001:db8::1"
    assert client_address("::1", ["2001:db8::2"], parse_trusted("::1")) == "2001:db8::2"


def test_GW4_a_malformed_trusted_proxy_setting_refuses_to_start():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_trusted("10.0.0.0/8, not-an-address")
