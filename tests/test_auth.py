"""Signing in and out, sessions, throttling, one-time set-password links."""

from datetime import timedelta

from sqlalchemy import func, select

from lms.accounts.auth import LoginFailure, PasswordToken, UserSession
from lms.accounts.models import User
from lms.accounts.services import reset_password, set_active
from lms.database import utcnow
from tests.conftest import PASSWORD


def test_login_page_is_public(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data


def test_sign_in_and_out(client, create_user, db):
    create_user("sales9", job_roles=["sales"])
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1

    response = client.post("/logout", data={})
    assert response.status_code == 302 and response.location == "/login"
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(client, create_user):
    create_user("sales9")
    wrong = client.post("/login", data={"username": "sales9", "password": "not-the-password"})
    unknown = client.post("/login", data={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误".encode() in wrong.data
    assert wrong.data.count(b"alert-danger") == unknown.data.count(b"alert-danger") == 1


def test_wrong_password_message_is_in_the_users_language(client, create_user, app):
    create_user("sales9")
    response = client.post("/login", data={"username": "sales9", "password": "bad-password"})
    assert "用户名或密码错误".encode() in response.data
    client.post("/locale", data={"locale": "en", "next": "/login"})
    response = client.post("/login", data={"username": "sales9", "password": "bad-password"})
    assert b"Wrong username or password." in response.data


def test_empty_login_form_is_a_400_with_field_errors(client):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert b"invalid-feedback" in response.data


def test_deactivated_user_cannot_sign_in(client, create_user, db):
    user = create_user("gone1")
    set_active(user, False)
    db.session.commit()
    response = client.post("/login", data={"username": "gone1", "password": PASSWORD})
    assert response.status_code == 401


def test_new_session_on_login_and_old_cookie_dead_after_logout(client, create_user, app):
    create_user("sales9")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    client.post("/login", data={"username": "sales9", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
    stolen_cookie = client.get_cookie("session").value

    client.post("/logout", data={})
    client.post("/login", data={"username": "sales9", "password": PASSWORD})
    with client.session_transaction() as session:
        assert session["sid"] != first_sid
    client.post("/logout", data={})

    # Replaying the cookie from the ended session does not sign anyone in.
    other = app.test_client()
    other.set_cookie("session", stolen_cookie)
    assert other.get("/").status_code == 302


def test_deactivation_ends_existing_sessions(client, create_user, db):
    user = create_user("sales9")
    client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert client.get("/").status_code == 200
    set_active(user, False)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_throttling_by_username_after_ten_failures(client, create_user, app):
    create_user("sales9")
    for _ in range(10):
        assert client.post(
            "/login", data={"username": "sales9", "password": "wrong-pass"}
        ).status_code == 401
    refused = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert refused.status_code == 429
    assert "分钟后重试".encode() in refused.data


def test_throttling_by_ip_across_usernames(client, create_user):
    create_user("sales9")
    for number in range(10):
        client.post("/login", data={"username": f"guess{number}", "password": "wrong-pass"})
    refused = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert refused.status_code == 429


def test_throttle_counts_only_the_window(client, create_user, db):
    create_user("sales9")
    long_ago = utcnow() - timedelta(minutes=16)
    db.session.add_all(
        LoginFailure(username="sales9", ip="127.0.0.1", created_at=long_ago) for _ in range(12)
    )
    db.session.commit()
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert response.status_code == 302


def test_throttle_counts_failures_recorded_by_others(client, create_user, db, app):
    """Failures written by another worker (rows in the database) count here too."""
    create_user("sales9")
    db.session.add_all(
        LoginFailure(username="sales9", ip="10.9.9.9", created_at=utcnow()) for _ in range(10)
    )
    db.session.commit()
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert response.status_code == 429


def test_successful_login_clears_failures_for_the_username(client, create_user, db):
    create_user("sales9")
    for _ in range(3):
        client.post("/login", data={"username": "sales9", "password": "wrong-pass"})
    client.post("/login", data={"username": "sales9", "password": PASSWORD})
    remaining = db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == "sales9")
    )
    assert remaining == 0


def test_next_parameter_stays_on_site(client, create_user):
    create_user("sales9")
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD,
                                           "next": "https://evil.example/"})
    assert response.location == "/"
    client.post("/logout", data={})
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD,
                                           "next": "/profile"})
    assert response.location == "/profile"


def test_signed_out_visitor_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_json_callers_get_401_not_a_redirect(client):
    response = client.get("/admin/users", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json == {"error": "authentication required"}


def test_missing_csrf_token_is_refused(client, create_user, db):
    create_user("sales9")
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD},
                           csrf=False)
    assert response.status_code == 400
    assert "缺少安全令牌".encode() in response.data
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_set_password_link_works_once(client, create_user, db):
    user = create_user("new1", password=None)
    token = reset_password(user)
    db.session.commit()
    page = client.get(f"/set-password/{token}")
    assert page.status_code == 200 and b"new1" in page.data

    short = client.post(f"/set-password/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    mismatch = client.post(f"/set-password/{token}",
                           data={"password": "long-enough-1", "confirm": "long-enough-2"})
    assert mismatch.status_code == 400

    done = client.post(f"/set-password/{token}",
                       data={"password": "long-enough-1", "confirm": "long-enough-1"})
    assert done.status_code == 302
    assert db.session.get(User, user.id).check_password("long-enough-1")
    assert client.get(f"/set-password/{token}").status_code == 404
    signed_in = client.post("/login", data={"username": "new1", "password": "long-enough-1"})
    assert signed_in.status_code == 302


def test_expired_or_unknown_set_password_link(client, create_user, db):
    user = create_user("new1", password=None)
    token = reset_password(user)
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == user.id))
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/set-password/{token}").status_code == 404
    assert client.get("/set-password/not-a-token").status_code == 404


def test_passwords_are_hashed_with_scrypt(create_user):
    user = create_user("sales9")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_profile_changes_password_and_preferences(login_as, client, db):
    login_as("sales9")
    wrong = client.post("/profile", data={
        "pw-current_password": "wrong-one", "pw-password": "another-pass-1",
        "pw-confirm": "another-pass-1", "pw-submit": "1"})
    assert wrong.status_code == 400
    changed = client.post("/profile", data={
        "pw-current_password": PASSWORD, "pw-password": "another-pass-1",
        "pw-confirm": "another-pass-1", "pw-submit": "1"})
    assert changed.status_code == 302
    prefs = client.post("/profile", data={"pref-locale": "en", "pref-timezone": "Europe/Berlin",
                                          "pref-submit": "1"})
    assert prefs.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "sales9"))
    assert user.check_password("another-pass-1")
    assert (user.locale, user.timezone) == ("en", "Europe/Berlin")
    bad_zone = client.post("/profile", data={"pref-locale": "en", "pref-timezone": "Mars/Base",
                                             "pref-submit": "1"})
    assert bad_zone.status_code == 400


def test_password_change_signs_out_other_browsers(login_as, client, app):
    from tests.conftest import CsrfClient

    login_as("sales9")
    other = app.test_client()
    other.__class__ = CsrfClient
    other.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert other.get("/").status_code == 200
    client.post("/profile", data={
        "pw-current_password": PASSWORD, "pw-password": "another-pass-1",
        "pw-confirm": "another-pass-1", "pw-submit": "1"})
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_sessions_expire_after_their_lifetime(login_as, client, db, app):
    login_as("sales9")
    record = db.session.scalar(select(UserSession))
    record.created_at = utcnow() - timedelta(hours=app.config["SESSION_LIFETIME_HOURS"], minutes=1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_in_purges_expired_records(client, create_user, db, app):
    from lms.accounts.importer import EmployeeImportUpload

    user = create_user("sales9")
    long_ago = utcnow() - timedelta(days=3)
    db.session.add(UserSession(id="old-session", user_id=user.id, created_at=long_ago))
    db.session.add(LoginFailure(username="x", ip="10.0.0.1", created_at=long_ago))
    db.session.add(EmployeeImportUpload(token="old-upload", filename="a.csv", content=b"x",
                                        created_at=long_ago))
    db.session.commit()
    client.post("/login", data={"username": "sales9", "password": PASSWORD})
    assert db.session.get(UserSession, "old-session") is None
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0
    assert db.session.scalar(select(func.count()).select_from(EmployeeImportUpload)) == 0


def test_unknown_users_cost_a_password_check_too(create_user, db, monkeypatch, app):
    """Answering at once for unknown usernames would reveal which ones exist."""
    import lms.accounts.auth as auth

    checks = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda *a: checks.append(1) or real(*a))
    create_user("nopass1", password=None)
    with app.test_request_context():
        auth.authenticate("no-such-user", "whatever-1", "127.0.0.1")
        auth.authenticate("nopass1", "whatever-1", "127.0.0.1")
    assert len(checks) == 2
