"""Both catalogues are complete and compiled; the language switcher and default locale work."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from lms import PACKAGE_DIR, PROJECT_DIR
from lms.accounts.models import User

CATALOGUES = {
    "zh_CN": PACKAGE_DIR / "translations" / "zh_Hans_CN" / "LC_MESSAGES",
    "en": PACKAGE_DIR / "translations" / "en" / "LC_MESSAGES",
}
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2),
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}


def _key(message) -> tuple[str | None, str]:
    """A catalogue entry's identity: its context and (singular) msgid."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    if isinstance(message.context, bytes):  # Babel's .mo reader gives the context as bytes
        return message.context.decode(), msgid
    if message.context is None and "\x04" in msgid:
        # Babel's .mo reader leaves a context glued to its msgid ("context\x04msgid").
        context, msgid = msgid.split("\x04", 1)
        return context, msgid
    return message.context, msgid


def _strings(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _source_messages() -> set[tuple[str | None, str]]:
    method_map = [("lms/**.py", "python"), ("sandbox/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(PROJECT_DIR), method_map=method_map, keywords=KEYWORDS,
        options_map={"templates/**.html": {}},
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.fixture(scope="module")
def source_messages():
    return _source_messages()


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_catalogue_is_complete(locale, source_messages):
    with (CATALOGUES[locale] / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {_key(m): m for m in catalog if m.id}
    missing = sorted(source_messages - set(translated), key=str)
    assert not missing, f"{locale}: not in the catalogue (run `make translations`): {missing[:10]}"
    empty = sorted((k for k, m in translated.items()
                    if not all(_strings(m)) or "fuzzy" in m.flags), key=str)
    assert not empty, f"{locale}: untranslated or fuzzy: {empty[:10]}"


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_compiled_catalogue_matches_source(locale):
    with (CATALOGUES[locale] / "messages.po").open("rb") as handle:
        po = {_key(m): _strings(m) for m in read_po(handle) if m.id}
    with (CATALOGUES[locale] / "messages.mo").open("rb") as handle:
        mo = {_key(m): _strings(m) for m in read_mo(handle) if m.id}
    assert po == mo, "the .mo is stale: run `make translations`"


def test_placeholders_survive_translation():
    import re

    with (CATALOGUES["zh_CN"] / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    pattern = re.compile(r"%\(\w+\)\w")
    for message in catalog:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        expected = set().union(*(pattern.findall(i) for i in ids))
        for string in _strings(message):
            # A plural form may leave out the count (Chinese has one form for all numbers).
            assert set(pattern.findall(string)) - expected == set(), message.id
            assert expected - set(pattern.findall(string)) <= {"%(count)d", "%(num)d"}, \
                message.id


def test_default_locale_is_chinese(client):
    page = client.get("/login").data.decode()
    assert '<html lang="zh-CN">' in page and "登录" in page


def test_default_locale_is_configurable(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    page = client.get("/login").data.decode()
    assert '<html lang="en">' in page and "Sign in to Praxis" in page


def test_anonymous_switch_is_kept_in_the_session(client):
    response = client.post("/locale", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302 and response.location == "/login"
    assert "Sign in to Praxis" in client.get("/login").data.decode()
    client.post("/locale", data={"locale": "zh_CN", "next": "/login"})
    assert "登录 Praxis" in client.get("/login").data.decode()


def test_unknown_locale_and_foreign_next_are_ignored(client):
    response = client.post("/locale", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.location == "/"
    assert '<html lang="zh-CN">' in client.get("/login").data.decode()


def test_signed_in_choice_is_stored_on_the_account(login_as, client, db):
    login_as("sales9")
    client.post("/locale", data={"locale": "en", "next": "/"})
    assert db.session.scalar(select(User.locale).where(User.username == "sales9")) == "en"
    client.post("/logout", data={})
    # A new session (another browser) gets the stored choice after signing in.
    with client.session_transaction() as session:
        session.clear()
    login_as("sales9")
    assert "Dashboard" in client.get("/").data.decode()


def test_error_pages_speak_the_users_language(client):
    assert "页面不存在".encode() in client.get("/no-such-page").data
    client.post("/locale", data={"locale": "en", "next": "/"})
    assert b"Page not found" in client.get("/no-such-page").data


def test_job_role_labels_follow_the_language(login_as, client):
    login_as("sales9", job_roles=["sales"])
    assert "销售" in client.get("/").data.decode()
    client.post("/locale", data={"locale": "en", "next": "/"})
    assert "Sales" in client.get("/").data.decode()


def test_times_are_shown_in_the_users_time_zone(login_as, client, db):
    from datetime import UTC, datetime

    from lms.accounts.audit import AuditEntry

    login_as("admin1", roles=["admin"], timezone="Asia/Shanghai")
    db.session.add(AuditEntry(actor_name="cli", target="clock", action="user.update",
                              created_at=datetime(2026, 1, 10, 0, 30, tzinfo=UTC)))
    db.session.commit()
    assert "2026/1/10 08:30" in client.get("/admin/audit?target=clock").data.decode()
    user = db.session.scalar(select(User).where(User.username == "admin1"))
    user.timezone = "America/New_York"
    db.session.commit()
    assert "2026/1/9 19:30" in client.get("/admin/audit?target=clock").data.decode()


def test_no_untranslated_strings_in_templates():
    """Visible text in templates goes through _(): a crude check for stray English sentences."""
    import re

    offenders = []
    for path in Path(PROJECT_DIR / "templates").rglob("*.html"):
        text = re.sub(r"{[{%#].*?[}%#]}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"<(script|style|pre)\b.*?</\1>", "", text, flags=re.S)
        for chunk in re.findall(r">([^<>]+)<", text):
            words = re.findall(r"[A-Za-z]{3,}", chunk)
            if len(words) >= 2 and "Praxis" not in chunk:
                offenders.append((path.name, chunk.strip()))
    assert not offenders, offenders
