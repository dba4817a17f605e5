"""Employee import from CSV: encodings, per-row preview, all-or-nothing, CLI and web upload."""

import io
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.audit import AuditEntry
from lms.accounts.importer import ImportFileError, apply_import, decode_csv_bytes, preview_import
from lms.accounts.models import User
from lms.database import utcnow

HEADER = "username,name,email,department,job_role,manager,locale\n"
GOOD_ROWS = (
    "mgr1,刘洋,mgr1@example.com,总经理办公室,management,,zh_CN\n"
    "sales5,王芳,sales5@example.com,销售部,sales,mgr1,\n"
    "buyer5,李强,buyer5@example.com,采购部,采购;仓储,mgr1,en\n"
)


def _users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_accepted_encodings(encoding, db):
    preview = preview_import((HEADER + GOOD_ROWS).encode(encoding))
    assert [row.status for row in preview.rows] == ["create", "create", "create"]
    assert preview.rows[0].fields.display_name == "刘洋"
    assert preview.rows[2].fields.job_role_codes == ["purchasing", "warehouse"]
    assert preview.rows[2].fields.locale == "en"


def test_excel_crlf_and_chinese_headers(db):
    text = "用户名,姓名,邮箱,部门,岗位\r\nstock5,张伟,stock5@example.com,仓储物流部,warehouse\r\n"
    preview = preview_import(text.encode("gbk"))
    assert preview.rows[0].status == "create" and preview.rows[0].line == 2


@pytest.mark.parametrize("content", [
    (HEADER + GOOD_ROWS).encode("utf-16"),
    "username,name,email,department,job_role\nj1,José,j@example.com,Vendas,sales\n".encode("cp1252"),
    b"username,name,email,department,job_role\n\x00\x01\x02,\x03,x,y,z\n",
])
def test_unknown_encodings_are_refused_with_a_reason(content, db):
    with pytest.raises(ImportFileError) as error:
        decode_csv_bytes(content)
    assert "UTF-8" in str(error.value)


def test_missing_column_and_empty_file(db):
    with pytest.raises(ImportFileError, match="job_role"):
        preview_import(b"username,name,email,department\nx,y,z@example.com,d\n")
    with pytest.raises(ImportFileError):
        preview_import(b"")
    with pytest.raises(ImportFileError):
        preview_import(HEADER.encode())


def test_row_errors_name_line_and_reason(create_user, db):
    create_user("existing1", email="existing@example.com")
    content = (HEADER
               + "dup1,甲,a@example.com,销售部,sales,,\n"
               + "dup1,乙,b@example.com,销售部,sales,,\n"
               + "new1,丙,existing@example.com,销售部,sales,,\n"
               + "new2,丁,not-an-email,销售部,sales,,\n"
               + "new3,戊,e@example.com,销售部,astronaut,,\n"
               + "new4,己,a@example.com,销售部,sales,nobody,\n"
               + "new5,,f@example.com,销售部,sales,,xx\n").encode()
    preview = preview_import(content)
    by_line = {row.line: row for row in preview.rows}
    assert by_line[2].status == "create"
    assert by_line[3].status == "error" and "已在第 2 行出现" in " ".join(by_line[3].errors)
    assert by_line[4].status == "error" and "existing1" in " ".join(by_line[4].errors)
    assert by_line[5].status == "error" and "not-an-email" in " ".join(by_line[5].errors)
    assert by_line[6].status == "error" and "astronaut" in " ".join(by_line[6].errors)
    errors7 = " ".join(by_line[7].errors)
    assert "nobody" in errors7 and "a@example.com" in errors7
    assert by_line[8].status == "error" and len(by_line[8].errors) == 2
    assert preview.has_errors
    with pytest.raises(ValueError):
        apply_import(preview)


def test_update_and_unchanged_rows(create_user, db):
    create_user("sales5", display_name="王芳", email="sales5@example.com", job_roles=["sales"],
                department="销售部")
    content = (HEADER + "sales5,王芳,sales5@example.com,销售部,sales,,\n"
               + "stock5,张伟,stock5@example.com,仓储物流部,warehouse,,\n").encode()
    preview = preview_import(content)
    assert [row.status for row in preview.rows] == ["unchanged", "create"]
    moved = (HEADER + "sales5,王芳,sales5@example.com,市场部,sales;management,,\n").encode()
    preview = preview_import(moved)
    assert preview.rows[0].status == "update"
    assert any("市场部" in change for change in preview.rows[0].changes)


def test_clean_file_imports_everything_in_one_go(db):
    before = _users(db)
    preview = preview_import((HEADER + GOOD_ROWS).encode())
    created = apply_import(preview)
    db.session.commit()
    assert _users(db) == before + 3
    assert len(created) == 3 and all(token for _user, token in created)
    sales = db.session.scalar(select(User).where(User.username == "sales5"))
    assert sales.manager.username == "mgr1" and sales.password_hash is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "users.import")).after \
        == {"created": 3, "updated": 0, "unchanged": 0}


def test_manager_may_be_on_a_later_line(db):
    content = (HEADER + "sales5,王芳,sales5@example.com,销售部,sales,mgr1,\n"
               + "mgr1,刘洋,mgr1@example.com,总经理办公室,management,,\n").encode()
    apply_import(preview_import(content))
    db.session.commit()
    sales = db.session.scalar(select(User).where(User.username == "sales5"))
    assert sales.manager.username == "mgr1"


def test_cli_dry_run_then_import(runner, tmp_path, db):
    path = tmp_path / "employees.csv"
    path.write_bytes((HEADER + GOOD_ROWS).encode("gb18030"))
    before = _users(db)
    result = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "create" in result.output and "Dry run" in result.output
    assert _users(db) == before
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _users(db) == before + 3
    assert len(re.findall(r"/set-password/\S+", result.output)) == 3
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0
    assert "0 to create" in result.output and "3 unchanged" in result.output


def test_cli_reports_errors_with_file_and_line_and_imports_nothing(runner, tmp_path, db):
    path = tmp_path / "employees.csv"
    path.write_text(HEADER + GOOD_ROWS + "bad1,坏,bad,销售部,sales,,\n", encoding="utf-8")
    before = _users(db)
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:5: error" in result.output
    assert _users(db) == before


def test_cli_unknown_encoding(runner, tmp_path, db):
    path = tmp_path / "employees.csv"
    path.write_bytes((HEADER + GOOD_ROWS).encode("utf-16"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1 and "UTF-16" in result.output


def _upload(client, content: bytes, filename="employees.csv"):
    return client.post("/admin/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_web_upload_preview_fix_and_import(login_as, client, db):
    login_as("admin1", roles=["admin"])
    bad = (HEADER + GOOD_ROWS + "oops1,错误,oops,销售部,sales,,\n").encode("gbk")
    response = _upload(client, bad)
    assert response.status_code == 303
    preview = client.get(response.location)
    assert preview.status_code == 422
    page = preview.data.decode()
    assert 'data-status="error"' in page and "oops" in page and 'id="confirm-import"' not in page
    # Posting the confirm for a file with errors imports nothing.
    assert client.post(response.location, data={}).status_code == 422
    assert db.session.scalar(select(User).where(User.username == "mgr1")) is None

    fixed = _upload(client, (HEADER + GOOD_ROWS).encode("gbk"))
    page = client.get(fixed.location)
    assert page.status_code == 200 and b'id="confirm-import"' in page.data
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page.data.decode()).group(1)
    done = client.post(fixed.location, data={"digest": digest})
    assert done.status_code == 200
    assert done.data.count(b"/set-password/") == 3
    assert db.session.scalar(select(User).where(User.username == "buyer5")).display_name == "李强"
    # The same upload cannot be applied twice.
    again = client.post(fixed.location, data={"digest": digest})
    assert again.status_code == 302


def test_web_upload_in_unknown_encoding_is_a_clear_4xx(login_as, client):
    login_as("admin1", roles=["admin"])
    response = _upload(client, (HEADER + GOOD_ROWS).encode("utf-16"))
    preview = client.get(response.location)
    assert preview.status_code == 422
    assert b"UTF-16" in preview.data and b'id="file-error"' in preview.data


def test_web_upload_refuses_other_file_types(login_as, client):
    login_as("admin1", roles=["admin"])
    response = _upload(client, b"\x89PNG\r\n", filename="photo.png")
    assert response.status_code == 400
    assert "仅支持导入 .csv 文件".encode() in response.data


def test_oversized_upload_is_413(login_as, client, app):
    login_as("admin1", roles=["admin"])
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    big = HEADER.encode() + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    # Encoded in memory: the test client's own encoder would spool this to a temporary file.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "big.csv"),
                                       "csrf_token": client.csrf_token()})
    response = client.post("/admin/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413, response.data.decode()[-1200:]
    assert "文件过大".encode() in response.data


def test_another_admin_cannot_open_my_upload(login_as, client, create_user):
    login_as("admin1", roles=["admin"])
    location = _upload(client, (HEADER + GOOD_ROWS).encode()).location
    client.post("/logout", data={})
    login_as("admin2", roles=["admin"])
    assert client.get(location).status_code == 404


@pytest.mark.parametrize("text,encoding", [
    ("username,name,email,department,job_role\nc1,陳大文,c1@example.com,銷售部,sales\n"
     "c2,黃志強,c2@example.com,採購部,purchasing\n", "big5"),
    ("username,name,email,department,job_role\nm1,Müller,m1@example.com,Vertrieb,sales\n",
     "latin-1"),
    ("username,name,email,department,job_role\ny1,山田太郎,y1@example.com,営業部,sales\n",
     "shift_jis"),
])
def test_other_encodings_are_refused_not_garbled(text, encoding, db):
    with pytest.raises(ImportFileError):
        decode_csv_bytes(text.encode(encoding))


def test_gbk_file_with_a_few_rare_characters_is_accepted(db):
    names = ["王芳", "李强", "张伟", "陈静", "刘洋", "赵磊", "孙丽", "周杰", "吴敏", "王喆"]
    rows = "".join(f"u{i},{name},u{i}@example.com,销售部,sales\n" for i, name in enumerate(names))
    text = "username,name,email,department,job_role\n" + rows
    assert decode_csv_bytes(text.encode("gbk")) == text


def test_oversized_csv_field_is_a_file_error(db):
    content = b'username,name,email,department,job_role\nx,"' + b"a" * 200_000 + b'",e,d,s\n'
    with pytest.raises(ImportFileError, match="2"):
        preview_import(content)


def test_rows_changing_an_admin_need_role_management(create_user, db):
    create_user("boss1", roles=["admin"], email="boss1@example.com", display_name="老板")
    content = (HEADER + "boss1,老板,new-boss@example.com,总经理办公室,management,,\n").encode()
    assert preview_import(content, may_change_admins=False).rows[0].status == "error"
    assert preview_import(content, may_change_admins=True).rows[0].status == "update"


def test_confirm_after_the_data_changed_shows_the_new_preview(login_as, client, create_user, db):
    login_as("admin1", roles=["admin"])
    location = _upload(client, (HEADER + GOOD_ROWS).encode()).location
    page = client.get(location).data.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    create_user("sales5", email="sales5@example.com", display_name="王芳", department="销售部",
                job_roles=["sales"])
    response = client.post(location, data={"digest": digest})
    assert response.status_code == 409
    assert db.session.scalar(select(User).where(User.username == "mgr1")) is None


def test_a_second_confirm_of_the_same_upload_imports_nothing(login_as, client, db):
    from lms.accounts.importer import EmployeeImportUpload

    login_as("admin1", roles=["admin"])
    location = _upload(client, (HEADER + GOOD_ROWS).encode()).location
    page = client.get(location).data.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    # Another request has just claimed the upload (the double click that got there first).
    upload = db.session.scalar(select(EmployeeImportUpload))
    db.session.execute(EmployeeImportUpload.__table__.update().values(applied_at=utcnow()))
    db.session.commit()
    db.session.expire(upload)
    response = client.post(location, data={"digest": digest})
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.username == "mgr1")) is None


def test_claiming_an_upload_succeeds_once(create_user, db):
    from lms.accounts.admin.imports import _claim
    from lms.accounts.importer import EmployeeImportUpload

    owner = create_user("admin7", roles=["admin"])
    upload = EmployeeImportUpload(token="t-claim", filename="a.csv", content=b"x",
                                  uploaded_by_id=owner.id)
    db.session.add(upload)
    db.session.commit()
    assert _claim(upload) is True
    assert _claim(upload) is False
