"""Odd input gets a 4xx with a message, never a 500 — on SQLite and on PostgreSQL."""

import io

import pytest


@pytest.mark.parametrize("next_value", ["/\r\nX-Injected: yes", "/\n", "\\\\evil.example"])
def test_control_characters_in_next_fall_back_home(client, create_user, next_value):
    from tests.conftest import PASSWORD

    create_user("sales9")
    response = client.post("/login", data={"username": "sales9", "password": PASSWORD,
                                           "next": next_value})
    assert response.status_code == 302 and response.location == "/"
    assert "X-Injected" not in response.headers
    response = client.post("/locale", data={"locale": "en", "next": next_value})
    assert response.status_code == 302 and response.location == "/"


def test_nul_in_login_form_is_400(client):
    response = client.post("/login", data={"username": "adm\x00in", "password": "whatever1"})
    assert response.status_code == 400
    assert "请求无效".encode() in response.data


@pytest.mark.parametrize("path", [
    "/admin/users?q=%00", "/admin/audit?actor=%00", "/admin/import/%00",
    "/admin/users?role%00=x",
])
def test_nul_in_url_is_400(login_as, client, path):
    login_as("admin1", roles=["admin"])
    assert client.get(path).status_code == 400


def test_nul_in_admin_forms_is_400_and_nothing_saved(login_as, client, db):
    from sqlalchemy import select

    from lms.accounts.models import JobRole, User

    login_as("admin1", roles=["admin"])
    response = client.post("/admin/users/new", data={
        "username": "nul1", "display_name": "坏\x00名字", "email": "nul1@example.com",
        "roles": ["learner"], "locale": "", "timezone": ""})
    assert response.status_code == 400
    response = client.post("/admin/job-roles", data={"code": "nul", "name_zh": "坏\x00",
                                                     "name_en": "Bad"})
    assert response.status_code == 400
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(b"username,name,email,department,job_role\n"), "\x00.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "nul1")) is None
    assert db.session.scalar(select(JobRole).where(JobRole.code == "nul")) is None


@pytest.mark.parametrize("query", [
    "page=99999999999999999999", "page=9223372036854775807", "page=-5", "page=0",
    "endpoint=x", "_method=POST", "_external=1&page=2",
])
def test_odd_query_strings_on_lists(login_as, client, query):
    login_as("admin1", roles=["admin"])
    assert client.get(f"/admin/users?{query}").status_code == 200
    assert client.get(f"/admin/audit?{query}").status_code == 200


def test_many_pages_with_stray_query_keys(login_as, client, create_user):
    login_as("admin1", roles=["admin"])
    for number in range(27):
        create_user(f"page{number:02d}", password=None)
    response = client.get("/admin/users?endpoint=x&_method=POST&q=page")
    assert response.status_code == 200 and b"page=2" in response.data


@pytest.mark.parametrize("user_id", ["99999999999999999999", "3000000000", "2147483648"])
def test_huge_ids_are_404(login_as, client, user_id):
    login_as("admin1", roles=["admin"])
    assert client.get(f"/admin/users/{user_id}").status_code == 404


@pytest.mark.parametrize("query", [
    "until=9999-12-31", "since=0001-01-01", "since=2026-02-30", "until=abc",
    "since=9999-12-31&until=0001-01-01",
])
def test_extreme_audit_dates(login_as, client, query):
    login_as("admin1", roles=["admin"])
    assert client.get(f"/admin/audit?{query}").status_code == 200
    export = client.get(f"/admin/audit.csv?{query}")
    assert export.status_code == 200 and export.data.startswith("\ufeff".encode())


def test_very_long_upload_filename_is_shortened(login_as, client):
    login_as("admin1", roles=["admin"])
    content = "username,name,email,department,job_role\nx1,甲,x1@example.com,销售部,sales\n"
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(content.encode()), "很长的文件名" * 60 + ".csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert client.get(response.location).status_code == 200


def test_long_login_fields(client):
    response = client.post("/login", data={"username": "u" * 5000, "password": "p" * 5000})
    assert response.status_code == 400
