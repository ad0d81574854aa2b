"""Webhook destinations are public, checked when saved and again at each send on the address the name
resolves to then, and the request goes to that checked address (issue 15, item 9).

DNS is the outside world here: `getaddrinfo` is replaced by a fake resolver, and the connection step
records where it was asked to connect and refuses, so no packet leaves this machine."""

import socket

import pytest
import urllib3.util.connection
from django.core.exceptions import ValidationError

from accounts.models import validate_webhook_url
from incidents.notifications import DeliveryError
from incidents.notifications.webhook import post_json_pinned
from safetrack.outbound import address_is_public, host_refusal, normalised_host


@pytest.mark.parametrize(
    "url",
    [
        "https://foo.localhost./x",
        "https://metadata.google.internal./x",
        "https://127.0.0.1.nip.io/x",
        "https://10-0-0-1.sslip.io/x",
        "https://LOCALHOST./x",
        "https://printer.local/x",
        "https://router.home.arpa/x",
        "https://intranet/x",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://169.254.169.254/latest",
        "https://224.0.0.1/x",
        "https://240.0.0.1/x",
        "https://0.0.0.0/x",
    ],
)
def test_a_webhook_to_this_machine_or_its_network_is_refused_when_saved(url):
    with pytest.raises(ValidationError, match="cannot point at this machine"):
        validate_webhook_url(url)


def test_a_public_webhook_is_accepted_and_its_host_normalised():
    validate_webhook_url("https://hooks.slack.com./services/T000/B000/XXXX")
    assert normalised_host("Hooks.Slack.com.") == "hooks.slack.com"
    assert host_refusal("hooks.slack.com") is None


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "ff02::1"]
)
def test_private_loopback_link_local_and_multicast_addresses_are_not_public(address):
    assert not address_is_public(address)


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: name -> addresses, and a count of look-ups."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host not in answers:
            raise socket.gaierror("unknown name")
        family = socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


@pytest.fixture
def connections(monkeypatch):
    """Where the sender tried to connect; every attempt is refused here, nothing is sent."""
    attempts: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    monkeypatch.setattr(urllib3.connection.connection, "create_connection", create_connection)
    return attempts


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_refused_without_connecting(dns, connections):
    answers, _ = dns
    answers["hooks.example.com"] = ["127.0.0.1"]
    with pytest.raises(DeliveryError, match="not public"):
        post_json_pinned("https://hooks.example.com/x", {"text": "hi"}, timeout=1)
    assert connections == []


def test_a_name_with_one_private_answer_among_public_ones_is_refused(dns, connections):
    answers, _ = dns
    answers["hooks.example.com"] = ["93.184.215.14", "10.0.0.7"]
    with pytest.raises(DeliveryError, match="not public"):
        post_json_pinned("https://hooks.example.com/x", {"text": "hi"}, timeout=1)
    assert connections == []


def test_the_sender_connects_to_the_address_it_checked_and_looks_the_name_up_once(dns, connections):
    answers, lookups = dns
    answers["hooks.example.com"] = ["93.184.215.14"]
    with pytest.raises(DeliveryError, match="unreachable"):
        post_json_pinned("https://hooks.example.com./x", {"text": "hi"}, timeout=1)
    assert lookups == ["hooks.example.com"]
    assert connections == [("93.184.215.14", 443)]
