"""The H5 mini-app's files and settings as the server serves them (the pages themselves are
driven in a browser by tests/e2e)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import ConfigError, from_env
from server.hub.miniapp import SOURCE_CHECKOUT_DIR
from server.hub.models import Hall

PAGES = ["index.html", "app.html"]


@pytest.fixture
def settings(app):
    """Change app settings for one test."""
    saved = dict(app.config)
    yield app.config
    app.config.clear()
    app.config.update(saved)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_is_served_as_html(client, page):
    response = client.get(f"/miniapp/{page}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<meta name="viewport"' in response.text


def test_the_folder_url_serves_the_index(client):
    assert client.get("/miniapp/").data == client.get("/miniapp/index.html").data
    assert client.get("/miniapp").status_code in (301, 302, 308)


def test_pages_may_run_only_their_own_scripts(client):
    policy = client.get("/miniapp/app.html").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "object-src 'none'" in policy


def test_modules_are_served_as_javascript_and_revalidated(client):
    response = client.get("/miniapp/js/api.js")
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"]


@pytest.mark.parametrize("path", ["/miniapp/../pyproject.toml", "/miniapp/%2e%2e/pyproject.toml",
                                  "/miniapp/js/../../server/config.py", "/miniapp//etc/passwd",
                                  "/miniapp/no-such-page.html"])
def test_paths_outside_the_folder_or_missing_are_404(client, path):
    assert client.get(path, follow_redirects=True).status_code == 404


def test_without_its_folder_the_mini_app_is_off_with_a_404_in_the_envelope(client, settings, tmp_path):
    settings["MINIAPP_DIR"] = str(tmp_path)
    response = client.get("/miniapp/")
    assert response.status_code == 404
    assert response.json["message"] == "未部署移动端页面"


def test_settings_name_the_first_active_hall_and_no_demo_accounts_outside_demo(client, demo):
    body = client.get("/miniapp/config.json").json
    assert body == {"api": "/api/v1", "region": "371083", "hall": "乳山分厅", "sso": False, "demo": False,
                    "map_tiles": None}


def test_a_configured_base_map_is_offered_to_the_pages_and_allowed_by_their_policy(client, settings):
    settings["MAP_TILE_URL"] = "https://tiles.example.gov.cn/vec/{z}/{x}/{y}.png"
    response = client.get("/miniapp/config.json")
    assert response.json["map_tiles"] == settings["MAP_TILE_URL"]
    policy = client.get("/miniapp/app.html").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tiles.example.gov.cn;" in policy


@pytest.mark.parametrize("url", ["ftp://tiles/{z}/{x}/{y}", "https://tiles/vec.png",
                                 "https://{s}.tiles/{z}/{x}/{y}.png"])
def test_a_tile_url_without_its_placeholders_or_with_several_hosts_is_refused_at_start(url):
    with pytest.raises(ConfigError, match="GRIDHUB_MAP_TILE_URL"):
        from_env({"GRIDHUB_MAP_TILE_URL": url})


def test_settings_in_demo_mode_offer_the_demo_accounts_and_a_place(client, demo, settings):
    settings.update(DEMO=True, IDENTITY_PROVIDER="dev")
    body = client.get("/miniapp/config.json").json
    assert body["demo_accounts"]["password"] == "demo-password"
    assert "dispatcher" in body["demo_accounts"]["users"]
    assert body["demo_location"] == {"lat": 36.915, "lng": 121.525}
    assert body["sso"] is True


def test_settings_open_the_configured_county(client, demo, settings):
    Hall(region="371002", name="环翠分厅").save()
    settings["MINIAPP_REGION"] = "371002"
    body = client.get("/miniapp/config.json").json
    assert (body["region"], body["hall"]) == ("371002", "环翠分厅")


def test_settings_never_open_an_inactive_hall(client, demo, settings):
    Hall(region="371002", name="环翠分厅", active=False).save()
    settings["MINIAPP_REGION"] = "371002"
    body = client.get("/miniapp/config.json").json
    assert (body["region"], body["hall"]) == ("371002", None)


def test_settings_without_any_hall_say_so(client):
    assert client.get("/miniapp/config.json").json["region"] is None


ROLES = ["resident", "worker", "dispatcher", "handler", "supervisor"]
IMPORT = re.compile(r'^import .* from "(\.[^"]+)";$', re.M)
SCRIPT = re.compile(r'<script type="module" src="([^"]+)"></script>')


def test_every_module_a_page_loads_exists(client):
    """No build step: a page's script, each role's module and their relative imports are files
    we serve."""
    pending = [SOURCE_CHECKOUT_DIR / src for page in PAGES
               for src in SCRIPT.findall((SOURCE_CHECKOUT_DIR / page).read_text())]
    pending += [SOURCE_CHECKOUT_DIR / "js" / "pages" / f"{role}.js" for role in ROLES]
    seen: set[Path] = set()
    while pending:
        module = pending.pop().resolve()
        if module in seen:
            continue
        assert module.is_file(), module
        seen.add(module)
        relative = module.relative_to(SOURCE_CHECKOUT_DIR).as_posix()
        assert client.get(f"/miniapp/{relative}").status_code == 200
        pending += [module.parent / target for target in IMPORT.findall(module.read_text())]
    assert len(seen) >= 10


def test_the_role_list_links_each_roles_page(client):
    index = client.get("/miniapp/index.html").text
    assert [f'href="app.html?role={role}"' in index for role in ROLES] == [True] * len(ROLES)


def test_pages_hold_no_inline_script_or_style():
    for page in PAGES:
        text = (SOURCE_CHECKOUT_DIR / page).read_text()
        assert "<script>" not in text and " style=" not in text and " onclick=" not in text
