"""The manual under /manual/: the gateway serves the site `make docs` built, offline, never a file
outside it, and says how to build it when it is not there. The routes run in a small service of
their own with the gateway's web mechanics (as in conftest), on a site made here."""
import secrets
import socket
import uuid

import pytest
import requests
from nameko import config

from gateway.routes import manual
from gateway.routes.manual import ManualRoutes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ManualOnly(ManualRoutes):
    name = "manual_gateway"


PAGE = "<!doctype html><html><head><title>Home</title></head><body>" + "交付中心 manual " * 100 + "</body></html>"


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "404.html").write_text("<html><body>Page not found</body></html>", encoding="utf-8")
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "operator.html").write_text("<html><body>operator</body></html>", encoding="utf-8")
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text('{"docs": []}', encoding="utf-8")
    monkeypatch.setattr(manual, "SITE", tmp_path)
    return tmp_path


@pytest.fixture
def gateway(container_factory):
    port = free_port()
    settings = {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "JWT_SECRET": secrets.token_urlsafe(32),
                "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": f"gwtest-{uuid.uuid4().hex[:8]}",
                "AMQP_URI": "memory://", "RATE_LIMIT_PER_MINUTE": 100_000}
    with config.patch(settings):
        container = container_factory(ManualOnly)
        container.start()
        yield f"http://127.0.0.1:{port}"


def test_the_gateway_serves_the_built_manual_at_manual_index_html(site, gateway):
    answer = requests.get(f"{gateway}/manual/index.html", timeout=10)
    assert answer.status_code == 200 and answer.text == PAGE
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Content-Encoding"] == "gzip"          # requests asks for it; text is zipped
    assert requests.get(f"{gateway}/manual/", timeout=10).text == PAGE
    moved = requests.get(f"{gateway}/manual", timeout=10, allow_redirects=False)
    assert moved.status_code == 308 and moved.headers["Location"] == "/manual/"


def test_pages_in_folders_and_the_search_index_are_served(site, gateway):
    assert requests.get(f"{gateway}/manual/guides/operator.html", timeout=10).text.endswith("operator</body></html>")
    index = requests.get(f"{gateway}/manual/search/search_index.json", timeout=10)
    assert index.status_code == 200 and index.json() == {"docs": []}


def test_a_missing_page_answers_the_sites_404_page_and_nothing_outside_the_site_is_served(site, gateway):
    missing = requests.get(f"{gateway}/manual/no-such-page.html", timeout=10)
    assert missing.status_code == 404 and "Page not found" in missing.text
    (site.parent / "secret.txt").write_text("not for you")
    for path in ("/manual/../secret.txt", "/manual/%2e%2e/secret.txt", "/manual/..%2fsecret.txt"):
        answer = requests.get(f"{gateway}{path}", timeout=10)
        assert answer.status_code == 404 and "not for you" not in answer.text, path


def test_without_a_built_manual_the_answer_says_how_to_build_it(tmp_path, monkeypatch, gateway):
    monkeypatch.setattr(manual, "SITE", tmp_path / "not-built")
    answer = requests.get(f"{gateway}/manual/", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found" and "make docs" in answer.json()["message"]


def test_the_served_bytes_are_the_files_bytes_when_the_client_takes_no_gzip(site, gateway):
    answer = requests.get(f"{gateway}/manual/index.html", timeout=10, headers={"Accept-Encoding": "identity"},
                          stream=True)
    raw = answer.raw.read()
    assert "Content-Encoding" not in answer.headers and raw == PAGE.encode()
