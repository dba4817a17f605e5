"""Course image uploads: the type comes from the bytes, SVGs with active content are refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from sqlalchemy import func, select

from lms.catalog import services
from lms.catalog.assets import AssetRejected, AssetTooLarge, check_image, safe_file_name
from lms.catalog.models import Course, CourseAsset
from tests.catalog.conftest import settings_data

BASE = "/manage/courses"


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
       b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11"
        b"\x11\x88\x88\xfe\x07\x00")
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       b'width="10" height="10"><title>\xe5\x9b\xbe</title><a xlink:href="https://example.com/">'
       b'<rect width="10" height="10" fill="#09c"/></a></svg>')
UNSAFE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "onclick-upper": b'<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK="x()"/></svg>',
    "foreignObject": (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div '
                      b'xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>'),
    "javascript-href": (b'<svg xmlns="http://www.w3.org/2000/svg" '
                        b'xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="java&#9;'
                        b'script:alert(1)"><rect/></a></svg>'),
    "javascript-href2": (b'<svg xmlns="http://www.w3.org/2000/svg"><a href=" JavaScript:x()">'
                         b'<rect/></a></svg>'),
    "animate-to-javascript": (b'<svg xmlns="http://www.w3.org/2000/svg"><a><set '
                              b'attributeName="href" to="javascript:alert(1)"/></a></svg>'),
    "entity": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
               b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">'
               b'<text>&b;</text></svg>'),
    "external-entity": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM '
                        b'"file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">'
                        b'<text>&x;</text></svg>'),
    "stylesheet": (b'<?xml-stylesheet href="https://evil.example/x.css"?>'
                   b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
}
NOT_IMAGES = {
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64,
    "html-as-png": b"<html><body><script>alert(document.cookie)</script></body></html>",
    "xhtml": b'<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>',
    "text": "只是一段文字".encode(),
    "broken-xml": b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
}


# --- checking bytes -------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type", "name"), [
    (png_bytes(), "image/png", "shot.png"),
    (JPEG, "image/jpeg", "shot.jpg"),
    (GIF, "image/gif", "shot.gif"),
    (WEBP, "image/webp", "shot.webp"),
    (SVG, "image/svg+xml", "shot.svg"),
    (b"\xef\xbb\xbf  \n" + SVG[SVG.index(b"<svg"):], "image/svg+xml", "shot.svg"),
])
def test_accepted_images_get_their_real_type(app, data, content_type, name):
    with app.test_request_context():
        # The extension follows the content, whatever the uploaded name said.
        assert check_image("Shot.BIN", data) == (name, content_type, data)


@pytest.mark.parametrize("case", sorted(UNSAFE_SVGS))
def test_svg_with_active_content_is_refused(app, case):
    with app.test_request_context(), pytest.raises(AssetRejected) as refused:
        check_image("drawing.svg", UNSAFE_SVGS[case])
    assert "SVG" in str(refused.value)


@pytest.mark.parametrize("case", sorted(NOT_IMAGES))
def test_other_files_are_refused(app, case):
    with app.test_request_context(), pytest.raises(AssetRejected):
        check_image("picture.png", NOT_IMAGES[case])


def test_size_limit_and_empty_file(app, monkeypatch):
    with app.test_request_context():
        with pytest.raises(AssetTooLarge):
            check_image("big.png", png_bytes(), max_bytes=20)
        monkeypatch.setitem(app.config, "COURSE_ASSET_MAX_BYTES", 30)
        with pytest.raises(AssetTooLarge):
            check_image("big.png", png_bytes())
        with pytest.raises(AssetRejected):
            check_image("empty.png", b"")


@pytest.mark.parametrize(("uploaded", "expected"), [
    ("Order List.PNG", "order-list.png"),
    ("C:\\Users\\me\\Desktop\\screen shot (2).png", "screen-shot-2.png"),
    ("../../etc/passwd", "passwd.png"),
    ("订单列表.png", "image.png"),
    ("Café-menü.png", "cafe-menu.png"),
    (".hidden", "hidden.png"),
    ("", "image.png"),
    ("a" * 300 + ".png", "a" * 60 + ".png"),
])
def test_safe_file_names(uploaded, expected):
    assert safe_file_name(uploaded, ".png") == expected


# --- the upload endpoint ----------------------------------------------------------------------


@pytest.fixture
def editing(make_course, login_as, db):
    """A trainer signed in, and a published course with a draft: (client, course)."""
    client = login_as("trainer1", roles=["trainer"])
    course = make_course("pictures")
    services.ensure_draft(course)
    db.session.commit()
    return client, course


def upload(client, course, data: bytes, name: str, json: bool = False, **fields):
    headers = {"Accept": "application/json"} if json else {}
    form = {"revision_id": str(course.draft_revision_id), "file": (io.BytesIO(data), name),
            **fields}
    return client.post(f"{BASE}/{course.code}/assets", data=form, headers=headers,
                       content_type="multipart/form-data")


def asset_count(db) -> int:
    return db.session.scalar(select(func.count(CourseAsset.id)))


def test_png_upload_is_stored_listed_and_served(editing, db, app):
    client, course = editing
    data = png_bytes(2, 2)
    response = upload(client, course, data, "订单 列表.png", json=True)
    assert response.status_code == 200
    assert response.json["name"] == "images/image.png"
    assert response.json["markdown"] == "![](images/image.png)"
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    asset_id = course.draft_revision.asset_map["images/image.png"]
    asset = db.session.get(CourseAsset, asset_id)
    assert (asset.content_type, asset.size, asset.data) == ("image/png", len(data), data)
    # Learners' published revision does not list the draft's new image.
    assert "images/image.png" not in course.published_revision.asset_map
    if "catalog.asset" in app.view_functions:
        served = client.get(response.json["url"])
        assert served.status_code == 200 and served.data == data
        assert served.headers["Content-Type"] == "image/png"
    # The editor lists it, and the preview resolves it to the served address.
    editor = client.get(f"{BASE}/pictures/").data.decode()
    assert "![](images/image.png)" in editor
    preview = client.post(f"{BASE}/pictures/preview", json={"text": "![图](images/image.png)"},
                          headers={"X-CSRFToken": client.csrf_token()})
    assert f"/assets/{asset_id}/image.png" in preview.json["html"]


def test_settings_open_in_another_tab_still_save_after_an_upload(editing, db):
    client, course = editing
    editor = client.get(f"{BASE}/pictures/").data
    draft = db.session.get(Course, course.id).draft_revision
    version = draft.lock_version
    assert upload(client, course, png_bytes(2, 1), "map.png", json=True).status_code == 200
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft_revision
    # The upload is not a settings edit: the settings' lock version is unchanged.
    assert draft.lock_version == version and "images/map.png" in draft.asset_map
    saved = client.post(f"{BASE}/pictures/settings",
                        data=settings_data(editor, title="上传后保存"))
    assert saved.status_code == 302
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft_revision
    # Saving the settings keeps the image the upload listed.
    assert draft.title == "上传后保存" and "images/map.png" in draft.asset_map
    # A settings form loaded after the upload offers the image as the cover.
    assert client.post(f"{BASE}/pictures/settings", data=settings_data(
        client.get(f"{BASE}/pictures/").data, cover="images/map.png")).status_code == 302


def test_same_name_other_content_gets_a_new_name_same_content_keeps_its_name(editing, db):
    client, course = editing
    first = upload(client, course, png_bytes(1, 1), "shot.png", json=True).json["name"]
    second = upload(client, course, png_bytes(3, 1), "shot.png", json=True).json["name"]
    again = upload(client, course, png_bytes(1, 1), "other.png", json=True).json["name"]
    assert (first, second, again) == ("images/shot.png", "images/shot-2.png", "images/shot.png")
    assert asset_count(db) == 2


def test_page_upload_redirects_back(editing, db):
    client, course = editing
    response = upload(client, course, GIF, "anim.gif")
    assert response.status_code == 302 and response.location.endswith(f"{BASE}/pictures/#images")
    response = upload(client, course, JPEG, "photo.jpeg", item="lesson-1")
    assert response.status_code == 302
    assert response.location == f"{BASE}/pictures/items/lesson-1"
    db.session.expire_all()
    assert set(db.session.get(Course, course.id).draft_revision.asset_map) == {
        "images/anim.gif", "images/photo.jpg"}


@pytest.mark.parametrize(("data", "name"), [
    (NOT_IMAGES["exe"], "setup.exe"),
    (NOT_IMAGES["html-as-png"], "innocent.png"),
    (UNSAFE_SVGS["script"], "drawing.svg"),
    (UNSAFE_SVGS["onload"], "drawing.svg"),
])
@pytest.mark.parametrize("json", [True, False])
def test_bad_uploads_are_refused_and_nothing_is_stored(editing, db, data, name, json):
    client, course = editing
    response = upload(client, course, data, name, json=json)
    assert response.status_code == 400
    if json:
        assert response.json["error"]
    else:
        assert b"alert-danger" in response.data
    assert asset_count(db) == 0
    db.session.expire_all()
    assert db.session.get(Course, course.id).draft_revision.asset_map == {}


def test_too_large_upload_is_refused(editing, db, app, monkeypatch):
    client, course = editing
    monkeypatch.setitem(app.config, "COURSE_ASSET_MAX_BYTES", 1000)
    response = upload(client, course, png_bytes() + bytes(range(256)) * 8, "big.png", json=True)
    assert response.status_code == 400 and "1000 B" in response.json["error"]
    assert asset_count(db) == 0


def test_upload_needs_a_file_and_the_current_draft(editing, db):
    client, course = editing
    response = client.post(f"{BASE}/pictures/assets", headers={"Accept": "application/json"},
                           data={"revision_id": str(course.draft_revision_id)})
    assert response.status_code == 400
    stale = client.post(f"{BASE}/pictures/assets", headers={"Accept": "application/json"},
                        content_type="multipart/form-data",
                        data={"revision_id": "1", "file": (io.BytesIO(GIF), "a.gif")})
    assert stale.status_code == 409
    services.discard_draft(course)
    db.session.commit()
    no_draft = upload(client, course, GIF, "a.gif", json=True)
    assert no_draft.status_code == 409
    assert asset_count(db) == 0
    assert client.post(f"{BASE}/nothing-here/assets", data={}).status_code == 404
