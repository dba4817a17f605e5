"""Security floor: headers, cookies, no inline scripts, health check, body size."""

import re

import pytest

from lms import create_app
from tests.conftest import PASSWORD, make_test_config


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_handlers(login_as, client):
    login_as("admin1", roles=["admin"])
    for path in ("/", "/admin/users", "/admin/import", "/admin/audit", "/admin/roles",
                 "/profile", "/admin/users/new"):
        html = client.get(path).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r'\sstyle\s*=\s*"', html), path


def test_session_cookie_flags(client, create_user):
    create_user("sales9")
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.own_database
def test_secure_cookie_and_hsts_when_https(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_HTTPS", "1")
    app = create_app(make_test_config("sqlite://", WTF_CSRF_ENABLED=False),
                     instance_path=str(tmp_path))
    response = app.test_client().post("/locale", data={"locale": "en", "next": "/login"},
                                      base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached(login_as, client):
    login_as("sales9")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


@pytest.mark.own_database
def test_healthz_503_when_database_does_not_answer(tmp_path):
    url = f"sqlite:///{tmp_path}/missing-dir/none.sqlite3"
    app = create_app(make_test_config(url), instance_path=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_max_content_length_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 20 * 1024 * 1024


@pytest.mark.own_database
def test_unexpected_error_is_a_500_page_without_details(tmp_path):
    app = create_app(make_test_config("sqlite://"), instance_path=str(tmp_path))

    @app.get("/_boom")
    def _boom():
        raise RuntimeError("secret internals")

    _boom.required_permission = "public"
    app.testing = False
    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert "系统发生意外错误".encode() in response.data


@pytest.mark.own_database
def test_client_address_behind_a_trusted_proxy(tmp_path):
    from flask import request

    app = create_app(make_test_config("sqlite://", TRUSTED_PROXIES=1),
                     instance_path=str(tmp_path))

    @app.get("/_ip")
    def _ip():
        return request.remote_addr or ""

    _ip.required_permission = "public"
    response = app.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.data == b"203.0.113.7"


def test_forwarded_header_is_ignored_without_trusted_proxies(client, create_user, db):
    from sqlalchemy import select

    from lms.accounts.auth import LoginFailure

    create_user("sales9")
    client.post("/login", data={"username": "sales9", "password": "wrong-password"},
                headers={"X-Forwarded-For": "203.0.113.7"})
    failure = db.session.scalar(select(LoginFailure).where(LoginFailure.username == "sales9"))
    assert failure.ip == "127.0.0.1"
