"""`make run PORT=…`: the links SafeTrack sends (emails, the one-click acknowledge, the QR poster, the CSV)
open the server that sent them, unless SITE_URL says otherwise (behind a proxy)."""

from incidents.management.commands.runstack import default_site_url


def test_links_follow_the_port_the_stack_runs_on():
    assert default_site_url("127.0.0.1", 8302, {}) == "http://127.0.0.1:8302"


def test_a_server_on_every_interface_links_to_localhost():
    assert default_site_url("0.0.0.0", 8302, {}) == "http://localhost:8302"  # noqa: S104
    assert default_site_url("::", 8302, {}) == "http://localhost:8302"


def test_an_ipv6_host_is_bracketed_in_links():
    assert default_site_url("::1", 8302, {}) == "http://[::1]:8302"


def test_site_url_from_the_environment_wins_over_the_port():
    environ = {"SITE_URL": "https://safetrack.example/"}
    assert default_site_url("127.0.0.1", 8302, environ) == "https://safetrack.example"
