"""Finding 4 of the security review: webhooks are not a way into the server's own network —
no internal address at registration or at send time (unless an admin allows a network), a
sister app's URL lies under one it registered, and the test ping echoes no answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.webhooks import destinations
from server.webhooks.models import WebhookSubscription


@pytest.fixture
def production_networks(app, monkeypatch):
    """As deployed: no network allowed beyond the globally routable ones."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", [])


@pytest.fixture
def internal_service():
    """An internal page on loopback that must stay unread."""
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.send_response(500)
            self.send_header("Content-Length", "25")
            self.end_headers()
            self.wfile.write(b"db_password=hunter2 (int)")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/admin"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "http://localhost/x", "http://127.1/x", "http://0x7f000001/x",
    "http://2130706433/x", "http://[::1]/x", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/x", "http://192.168.1.1/x", "http://[::ffff:127.0.0.1]/x",
    "http://metadata.internal/x",
])
def test_an_admin_cannot_subscribe_an_internal_address(as_user, production_networks, url):
    response = as_user("admin").post("/api/v1/webhooks", json={"name": "x", "url": url,
                                                               "events": ["dispatch"]})
    assert response.status_code == 422 and response.json["errors"]["reason"] == "webhook_url_not_allowed"


def test_a_name_resolving_to_an_internal_address_is_refused_at_send_time(
        app, production_networks, monkeypatch):
    def resolves_inside(host, port, **kwargs):
        return [(2, 1, 6, "", ("10.0.0.7", port))]
    monkeypatch.setattr(destinations.socket, "getaddrinfo", resolves_inside)
    with pytest.raises(destinations.UnsafeDestination, match="forbidden_address"):
        destinations.check("https://hooks.example.com/hook")


def test_a_name_resolving_to_a_public_address_may_be_reached(app, production_networks, monkeypatch):
    monkeypatch.setattr(destinations.socket, "getaddrinfo",
                        lambda host, port, **kwargs: [(2, 1, 6, "", ("8.8.8.8", port))])
    destinations.check("https://hooks.example.com/hook")


def test_an_allowed_network_may_be_reached(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS",
                        destinations.parse_networks("127.0.0.0/8"))
    destinations.check("http://127.0.0.1:8080/hook")


def test_the_test_ping_neither_reaches_nor_reads_an_internal_service(
        as_user, production_networks, internal_service):
    subscription = WebhookSubscription(name="旧订阅", events=["*"], url=internal_service,
                                       secret="whsec_x", region="371083").save()
    answer = as_user("admin").post(f"/api/v1/webhooks/{subscription.id}/test").json
    assert answer["delivered"] is False and answer["error"].startswith("destination_refused")
    assert "hunter2" not in str(answer)


def test_the_test_ping_tells_the_status_but_not_the_body(as_user, internal_service):
    subscription = WebhookSubscription(name="内网接收方", events=["*"], url=internal_service,
                                       secret="whsec_x", region="371083").save()
    answer = as_user("admin").post(f"/api/v1/webhooks/{subscription.id}/test").json
    assert (answer["status_code"], answer["error"]) == (500, "http_status: 500")


def test_a_network_error_is_named_by_kind_only(as_user):
    subscription = WebhookSubscription(name="x", events=["*"], url="http://127.0.0.1:1/x",
                                       secret="whsec_x", region="371083").save()
    answer = as_user("admin").post(f"/api/v1/webhooks/{subscription.id}/test").json
    assert answer["error"] == "network_error: ConnectionError"


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://ai.example.gov.cn/hooks/gridhub", True),
    ("https://ai.example.gov.cn/hooks", True),
    ("https://ai.example.gov.cn/hooksxyz", False),
    ("https://ai.example.gov.cn/hooks/../admin", False),
    ("https://ai.example.gov.cn/hooks/%2e%2e/admin", False),
    ("https://ai.example.gov.cn.attacker.example/hooks/x", False),
    ("http://ai.example.gov.cn/hooks/x", False),
    ("https://ai.example.gov.cn:8443/hooks/x", False),
    ("https://AI.example.gov.cn/hooks/x", True),
])
def test_a_sister_apps_url_must_lie_under_a_registered_one(url, allowed):
    assert destinations.under(url, "https://ai.example.gov.cn/hooks") is allowed
