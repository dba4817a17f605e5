"""The trainers' manual editor: the list, new manuals, settings, chapters, images, preview,
locking, publishing from the web and its refusals, discarding the draft."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.extensions import db as database
from lms.publishing import services
from lms.publishing.models import Manual, ManualDraftChapter, ManualVersion
from tests.publishing.conftest import PNG, SALES

BASE = "/manuals/manage"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<rect width="10" height="10"/></svg>')


@pytest.fixture
def trainer(login_as):
    return login_as("trainer1", roles=["trainer"])


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for tests that read their wording (the default is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()


@pytest.fixture
def published(publish_manual):
    """erp-test 1.0 (sales, purchasing, images/receipt.png), published as from files."""
    publish_manual("1.0")
    return services.manual_by_code("erp-test")


def fresh_manual(code: str = "erp-test") -> Manual:
    database.session.expire_all()
    return services.manual_by_code(code)


def chapter_of(code: str, filename: str) -> ManualDraftChapter:
    return next(c for c in fresh_manual(code).draft_chapters if c.filename == filename)


def hidden(page: bytes, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page.decode())
    assert match, f"no hidden {name}"
    return match.group(1)


def textarea(page: bytes, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page.decode(), re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1)).lstrip("\r\n")


def input_value(page: bytes, name: str, id: str | None = None) -> str:
    """The value of the first input ``name`` (with ``id``, if given)."""
    attributes = rf'id="{id}"[^>]*name="{name}"' if id else rf'name="{name}"'
    match = re.search(rf'<input[^>]*{attributes}[^>]*value="([^"]*)"', page.decode())
    assert match, f"no input {name}"
    return unescape(match.group(1))


def settings_data(page: bytes, **changes) -> dict:
    data = {"lock_version": hidden(page, "lock_version"), "title": "新的手册标题",
            "summary": "新的简介", "language": "zh-CN", "access": "signed_in",
            "job_roles": ["sales"]}
    data.update(changes)
    return data


def chapter_url(code: str, chapter: ManualDraftChapter) -> str:
    return f"{BASE}/{code}/chapters/{chapter.id}"


def save_chapter(client, code: str, chapter: ManualDraftChapter, text: str, page: bytes):
    return client.post(chapter_url(code, chapter), data={
        "lock_version": hidden(page, "lock_version"), "source": text, "save": "1"})


def preview(client, code: str, payload):
    return client.post(f"{BASE}/{code}/preview", json=payload, headers={
        "X-CSRFToken": client.csrf_token(), "Accept": "application/json"})


def upload(client, code: str, data: bytes, name: str, *, json: bool = True, chapter=None):
    form = {"file": (io.BytesIO(data), name)}
    if chapter is not None:
        form["chapter"] = str(chapter)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"{BASE}/{code}/images", data=form, headers=headers,
                       content_type="multipart/form-data")


def publish_form(page: bytes, **changes) -> dict:
    data = {"version": input_value(page, "version"), "notes": "",
            "draft_hash": hidden(page, "draft_hash")}
    data.update(changes)
    return data


def version_count() -> int:
    return database.session.scalar(select(func.count(ManualVersion.id)))


# --- permissions ---------------------------------------------------------------------------


def test_learner_gets_403_everywhere(published, login_as):
    chapter = published.draft_chapters[0]
    client = login_as("learner1", roles=["learner"])
    gets = [f"{BASE}/", f"{BASE}/erp-test", chapter_url("erp-test", chapter),
            f"{BASE}/erp-test/draft-assets/images/receipt.png"]
    posts = [f"{BASE}/new", f"{BASE}/erp-test", f"{BASE}/erp-test/chapters",
             chapter_url("erp-test", chapter), chapter_url("erp-test", chapter) + "/move",
             chapter_url("erp-test", chapter) + "/delete", f"{BASE}/erp-test/images",
             f"{BASE}/erp-test/publish", f"{BASE}/erp-test/discard"]
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        response = client.post(url, data={"code": "x", "title": "x", "direction": "up",
                                          "version": "9.0"})
        assert response.status_code == 403, url
    response = preview(client, "erp-test", {"text": "# x"})
    assert response.status_code == 403 and response.json["error"]
    assert len(fresh_manual().draft_chapters) == 2 and version_count() == 1


def test_signed_out_visitor_is_sent_to_login(client, published):
    for url in (f"{BASE}/", f"{BASE}/erp-test"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


# --- the list and new manuals --------------------------------------------------------------


def test_empty_list_says_what_to_do(trainer):
    page = trainer.get(f"{BASE}/")
    assert page.status_code == 200
    assert b'id="no-manuals"' in page.data and b"lms manuals publish" in page.data
    assert f'action="{BASE}/new"'.encode() in page.data


def test_list_shows_versions_and_whether_the_draft_changed(trainer, published, publish_manual,
                                                           db, count_queries):
    publish_manual("1.0", code="same-guide")
    services.create_manual("new-guide", "新手册")
    chapter = published.draft_chapters[0]
    services.update_draft_chapter(chapter, chapter.source + "\n补充一句。\n",
                                  chapter.lock_version)
    db.session.commit()
    page = trainer.get(f"{BASE}/").data.decode()
    states = dict(re.findall(r'data-manual="([\w-]+)".*?data-state="(\w+)"', page, re.S))
    assert states == {"erp-test": "changed", "same-guide": "published",
                      "new-guide": "unpublished"}
    assert "ERP 测试手册" in page and "新手册" in page
    assert 'href="/manuals/erp-test/1.0/"' in page
    # The cheap hash the list uses is the one publishing compares.
    for manual in db.session.scalars(select(Manual)):
        assert services.draft_content_hash(manual) == services.draft_source(manual).content_hash()
    # The list's queries do not grow with the number of manuals.
    with count_queries() as few:
        trainer.get(f"{BASE}/")
    publish_manual("1.0", code="fourth-guide")
    with count_queries() as more:
        trainer.get(f"{BASE}/")
    assert len(more) == len(few)


def test_create_manual(trainer, db):
    response = trainer.post(f"{BASE}/new", data={"code": "sales-guide", "title": "销售手册"})
    assert response.status_code == 302 and response.location == f"{BASE}/sales-guide"
    manual = fresh_manual("sales-guide")
    assert manual.draft_settings["title"] == "销售手册" and manual.latest_version is None
    page = trainer.get(response.location)
    assert page.status_code == 200 and b'id="settings-form"' in page.data
    assert input_value(page.data, "version") == "1.0"


@pytest.mark.parametrize("code", ["Bad Code", "bad_code", "-dash", "x" * 61, "", "new",
                                  "manage"])
def test_bad_manual_code_is_refused(trainer, db, code):
    response = trainer.post(f"{BASE}/new", data={"code": code, "title": "手册"})
    assert response.status_code == 400 and b"invalid-feedback" in response.data
    assert db.session.scalar(select(func.count(Manual.id))) == 0


def test_taken_manual_code_is_refused(trainer, published, db):
    response = trainer.post(f"{BASE}/new", data={"code": "erp-test", "title": "另一本"})
    assert response.status_code == 400 and b"invalid-feedback" in response.data
    assert db.session.scalar(select(func.count(Manual.id))) == 1
    assert fresh_manual().draft_settings["title"] == "ERP 测试手册"


def test_unknown_manual_and_chapters_are_404(trainer, published, publish_manual):
    other = publish_manual("1.0", code="other-guide")
    foreign = other.manual.draft_chapters[0]
    assert trainer.get(f"{BASE}/nope").status_code == 404
    assert trainer.get(f"{BASE}/erp-test/chapters/999999").status_code == 404
    assert trainer.get(chapter_url("erp-test", foreign)).status_code == 404
    assert trainer.post(chapter_url("erp-test", foreign) + "/delete", data={}).status_code == 404
    assert trainer.post(chapter_url("erp-test", foreign), data={
        "lock_version": "1", "source": "# 改\n", "save": "1"}).status_code == 404
    assert trainer.get(f"{BASE}/erp-test/draft-assets/images/none.png").status_code == 404
    assert len(fresh_manual("other-guide").draft_chapters) == 2
    assert chapter_of("other-guide", foreign.filename).source == foreign.source


# --- settings ------------------------------------------------------------------------------


def test_settings_save_and_conflict(trainer, published, english):
    first = trainer.get(f"{BASE}/erp-test").data
    second = trainer.get(f"{BASE}/erp-test").data
    saved = trainer.post(f"{BASE}/erp-test", data=settings_data(first))
    assert saved.status_code == 302
    manual = fresh_manual()
    assert manual.draft_settings == {"title": "新的手册标题", "summary": "新的简介",
                                     "language": "zh-CN", "access": "signed_in",
                                     "job_roles": ["sales"]}
    assert manual.title == "ERP 测试手册"  # readers keep the published settings

    stale = trainer.post(f"{BASE}/erp-test", data=settings_data(
        second, title="另一个标题", language="en"))
    assert stale.status_code == 409
    assert b'id="conflict"' in stale.data and b"Someone else changed" in stale.data
    assert input_value(stale.data, "title", "settings-title") == "另一个标题"
    conflict = re.search(r'id="conflict".*?</table>', stale.data.decode(), re.S).group(0)
    assert "新的手册标题" in conflict and "另一个标题" in conflict and "English" in conflict
    assert fresh_manual().draft_settings["title"] == "新的手册标题"
    again = trainer.post(f"{BASE}/erp-test", data=settings_data(
        stale.data, title="另一个标题", language="en"))
    assert again.status_code == 302
    assert fresh_manual().draft_settings["title"] == "另一个标题"


@pytest.mark.parametrize("changes", [
    {"access": "public"},  # job roles for everyone
    {"language": "fr"}, {"access": "everyone"}, {"job_roles": ["astronaut"]}, {"title": ""},
    {"title": "长" * 201}, {"lock_version": ""},
])
def test_settings_refuse_bad_values_and_keep_the_input(trainer, published, changes):
    page = trainer.get(f"{BASE}/erp-test").data
    response = trainer.post(f"{BASE}/erp-test", data=settings_data(page, summary="保留的简介",
                                                                   **changes))
    assert response.status_code == 400
    assert textarea(response.data, "summary") == "保留的简介"
    assert fresh_manual().draft_settings["summary"] == "测试用的手册。"


# --- chapters: add, move, delete ------------------------------------------------------------


def test_add_move_delete_chapters(trainer, published, english):
    added = trainer.post(f"{BASE}/erp-test/chapters",
                         data={"filename": "inventory", "title": "库存管理"})
    assert added.status_code == 302
    manual = fresh_manual()
    assert [c.filename for c in manual.draft_chapters] == ["sales.md", "purchasing.md",
                                                           "inventory.md"]
    inventory = manual.draft_chapters[2]
    assert inventory.source == "# 库存管理\n"
    assert added.location == chapter_url("erp-test", inventory)

    for data in ({"filename": "sales", "title": "重复"}, {"filename": "Bad Name", "title": "x"},
                 {"filename": "search", "title": "x"}, {"filename": "ok", "title": ""}):
        refused = trainer.post(f"{BASE}/erp-test/chapters", data=data)
        assert refused.status_code == 400 and b"invalid-feedback" in refused.data, data
        assert input_value(refused.data, "filename") == data["filename"]
    assert len(fresh_manual().draft_chapters) == 3

    assert trainer.post(chapter_url("erp-test", inventory) + "/move",
                        data={"direction": "up"}).status_code == 302
    assert [c.filename for c in fresh_manual().draft_chapters] == [
        "sales.md", "inventory.md", "purchasing.md"]
    sales = chapter_of("erp-test", "sales.md")
    assert trainer.post(chapter_url("erp-test", sales) + "/move",
                        data={"direction": "up"}).status_code == 302  # already first
    assert trainer.post(chapter_url("erp-test", sales) + "/move",
                        data={"direction": "sideways"}).status_code == 400
    assert [c.filename for c in fresh_manual().draft_chapters] == [
        "sales.md", "inventory.md", "purchasing.md"]

    page = trainer.get(f"{BASE}/erp-test").data.decode()
    assert 'data-confirm="Delete the chapter inventory.md' in page
    deleted = trainer.post(chapter_url("erp-test", inventory) + "/delete", data={})
    assert deleted.status_code == 302
    manual = fresh_manual()
    assert [(c.filename, c.position) for c in manual.draft_chapters] == [
        ("sales.md", 0), ("purchasing.md", 1)]
    # Published versions keep what they had.
    assert [c.slug for c in manual.latest_version.chapters] == ["sales", "purchasing"]


# --- one chapter: editing, preview, locking --------------------------------------------------


def test_edit_chapter_saves(trainer, published):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales))
    assert page.status_code == 200
    assert textarea(page.data, "source") == SALES
    assert f'data-preview-url="{BASE}/erp-test/preview"'.encode() in page.data
    assert b'data-insert-into="source"' in page.data
    text = SALES.replace("由销售经理审批", "由销售总监审批").replace("\n", "\r\n")
    response = save_chapter(trainer, "erp-test", sales, text, page.data)
    assert response.status_code == 302
    chapter = chapter_of("erp-test", "sales.md")
    assert chapter.source == text.replace("\r\n", "\n") and chapter.lock_version == 2
    manual = fresh_manual()
    assert manual.draft_edited_on_web
    assert "由销售经理审批" in manual.latest_version.chapters[0].source


def test_chapter_without_title_is_refused_and_the_text_kept(trainer, published, english):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    text = "没有标题的一章。\n\n## 小节\n"
    response = save_chapter(trainer, "erp-test", sales, text, page)
    assert response.status_code == 400
    assert b'id="problems"' in response.data and b"first-level heading" in response.data
    assert textarea(response.data, "source") == text
    assert chapter_of("erp-test", "sales.md").source == SALES
    too_long = save_chapter(trainer, "erp-test", sales, "# 长\n" + "字" * 400_000, page)
    assert too_long.status_code == 400 and b"invalid-feedback" in too_long.data
    assert chapter_of("erp-test", "sales.md").source == SALES


def test_two_trainers_second_save_gets_409_with_text_and_diff(trainer, published, english):
    sales = chapter_of("erp-test", "sales.md")
    alice = trainer.get(chapter_url("erp-test", sales)).data
    bob = trainer.get(chapter_url("erp-test", sales)).data
    alice_text = SALES.replace("销售模块处理报价", "Alice 改的一行")
    assert save_chapter(trainer, "erp-test", sales, alice_text, alice).status_code == 302
    bob_text = SALES.replace("销售模块处理报价", "Bob <写的> 一行")
    conflict = save_chapter(trainer, "erp-test", sales, bob_text, bob)
    assert conflict.status_code == 409
    assert b"Someone else saved this chapter" in conflict.data
    assert textarea(conflict.data, "source") == bob_text
    diff = re.search(r'<pre class="diff-view" id="conflict-diff">(.*?)</pre>',
                     conflict.data.decode(), re.S).group(1)
    assert '<span class="diff-del">-Alice 改的一行、销售订单、发货和开票。</span>' in diff
    assert '<span class="diff-add">+Bob &lt;写的&gt; 一行、销售订单、发货和开票。</span>' in diff
    assert hidden(conflict.data, "lock_version") == "2"
    assert chapter_of("erp-test", "sales.md").source == alice_text
    # Saving again from the conflict page overwrites deliberately.
    again = save_chapter(trainer, "erp-test", sales, bob_text, conflict.data)
    assert again.status_code == 302
    assert chapter_of("erp-test", "sales.md").source == bob_text


def test_save_after_the_chapter_was_deleted_keeps_the_text(trainer, published, english):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    assert trainer.post(chapter_url("erp-test", sales) + "/delete", data={}).status_code == 302
    response = save_chapter(trainer, "erp-test", sales, "# 我的修改\n\n很重要。\n", page)
    assert response.status_code == 404
    assert b"no longer in the draft" in response.data
    assert textarea(response.data, "source") == "# 我的修改\n\n很重要。\n"


def test_preview_is_sanitised_and_resolves_chapters_and_images(trainer, published):
    purchasing = chapter_of("erp-test", "purchasing.md")
    text = ("# 预览\n\n<script>alert('x')</script>\n\n[点我](javascript:alert(1))\n\n"
            "<img src=x onerror=alert(1)>\n\n[见采购收货](purchasing.md#收货)\n\n"
            "![收货单](images/receipt.png)\n\n[没有这章](nope.md)\n")
    response = preview(trainer, "erp-test", {"text": text})
    assert response.status_code == 200
    html = response.json["html"]
    assert "<h1" in html and "预览" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert f'href="{chapter_url("erp-test", purchasing)}#收货"' in html
    image = re.search(r'<img[^>]*src="([^"]+)"', html).group(1)
    assert image == f"{BASE}/erp-test/draft-assets/images/receipt.png"
    assert 'class="unresolved-link"' in html  # nope.md
    served = trainer.get(image)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_preview_refuses_bad_requests(trainer, published):
    assert preview(trainer, "erp-test", {"text": "x" * 400_001}).status_code == 413
    assert preview(trainer, "erp-test", {"body": "x"}).status_code == 400
    assert preview(trainer, "erp-test", ["x"]).status_code == 400
    assert preview(trainer, "nope", {"text": "x"}).status_code == 404
    no_token = trainer.post(f"{BASE}/erp-test/preview", json={"text": "x"},
                            headers={"Accept": "application/json"})
    assert no_token.status_code == 400


def test_preview_button_works_without_javascript(trainer, published):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    response = trainer.post(chapter_url("erp-test", sales), data={
        "lock_version": hidden(page, "lock_version"), "preview": "1",
        "source": "# 预览一下\n\n<script>x()</script>\n\n![图](images/receipt.png)"})
    assert response.status_code == 200
    pane = re.search(r'id="preview"[^>]*>(.*?)</div>', response.data.decode(), re.S).group(1)
    assert "预览一下" in pane and "<script" not in pane and "/draft-assets/images/" in pane
    assert textarea(response.data, "source").startswith("# 预览一下")
    assert chapter_of("erp-test", "sales.md").source == SALES


# --- images --------------------------------------------------------------------------------


def test_png_upload_answers_its_markdown_and_is_listed(trainer, published):
    response = upload(trainer, "erp-test", PNG, "Order List.PNG")
    assert response.status_code == 200
    assert response.json["markdown"] == "![order-list](images/order-list.png)"
    assert response.json["replaced"] is False
    manual = fresh_manual()
    assert sorted(a.path for a in manual.draft_assets) == ["images/order-list.png",
                                                           "images/receipt.png"]
    editor = trainer.get(f"{BASE}/erp-test").data.decode()
    assert "![order-list](images/order-list.png)" in editor
    assert f'src="{BASE}/erp-test/draft-assets/images/order-list.png"' in editor
    # Without JavaScript the page reloads: back to the chapter the upload came from.
    sales = chapter_of("erp-test", "sales.md")
    plain = upload(trainer, "erp-test", PNG, "receipt.png", json=False, chapter=sales.id)
    assert plain.status_code == 302 and plain.location == chapter_url("erp-test", sales)


@pytest.mark.parametrize(("data", "name"), [
    (b"just some text, not a picture", "fake.png"),
    (SVG, "drawing.svg"),
    (b"", "empty.png"),
])
def test_non_raster_uploads_are_refused(trainer, published, data, name):
    response = upload(trainer, "erp-test", data, name)
    assert response.status_code == 400 and response.json["error"]
    page = upload(trainer, "erp-test", data, name, json=False)
    assert page.status_code == 400
    assert [a.path for a in fresh_manual().draft_assets] == ["images/receipt.png"]


def test_upload_without_a_file_is_refused(trainer, published):
    response = trainer.post(f"{BASE}/erp-test/images", data={},
                            headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["error"]


# --- publishing ----------------------------------------------------------------------------


def test_publish_from_the_web_renders_the_pdf_and_opens_the_reader(trainer, published, db):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    new_text = SALES.replace("由销售经理审批", "由销售总监审批")
    assert save_chapter(trainer, "erp-test", sales, new_text, page).status_code == 302
    editor = trainer.get(f"{BASE}/erp-test").data
    assert input_value(editor, "version") == "1.1"
    assert b"data-busy-text" in editor
    response = trainer.post(f"{BASE}/erp-test/publish",
                            data=publish_form(editor, notes="审批人改为销售总监。"))
    assert response.status_code == 302, response.data[:2000]
    assert response.location == "/manuals/erp-test/1.1/sales"
    version = db.session.scalar(select(ManualVersion).where(ManualVersion.version == "1.1"))
    assert [c.slug for c in version.chapters] == ["sales", "purchasing"]
    assert "由销售总监审批" in version.chapters[0].source
    assert version.pdf_blob is not None and version.pdf_pages >= 1
    assert version.notes == "审批人改为销售总监。"
    assert version.published_by.username == "trainer1"
    manual = fresh_manual()
    assert manual.latest_version.version == "1.1" and not manual.draft_edited_on_web
    reader = trainer.get(response.location)
    assert reader.status_code == 200 and "由销售总监审批" in reader.get_data(as_text=True)
    assert b'data-state="published"' in trainer.get(f"{BASE}/erp-test").data


def refused_publication(trainer, english, **changes):
    editor = trainer.get(f"{BASE}/erp-test").data
    response = trainer.post(f"{BASE}/erp-test/publish",
                            data=publish_form(editor, notes="说明要保留", **changes))
    assert response.status_code == 400
    assert input_value(response.data, "version") == changes.get("version",
                                                                input_value(editor, "version"))
    assert textarea(response.data, "notes") == "说明要保留"
    assert version_count() == 1
    return re.search(r'id="publish-refused">(.*?)</div>', response.data.decode(),
                     re.S).group(1)


def test_publishing_identical_sources_is_refused(trainer, published, english):
    message = refused_publication(trainer, english)
    assert "Nothing changed since version 1.0" in message


@pytest.mark.parametrize(("version", "expected"), [
    ("1.0", "Version 1.0 of this manual is already published"),
    ("1.0.0", "Version 1.0.0 of this manual is already published"),
    ("v2", "“v2” is not a version number"),
    ("1.0-beta", "is not a version number"),
])
def test_bad_or_taken_version_numbers_are_refused(trainer, published, english, version,
                                                  expected):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    assert save_chapter(trainer, "erp-test", sales, SALES + "\n新内容\n", page).status_code == 302
    assert expected in refused_publication(trainer, english, version=version)


def test_draft_problems_are_listed_and_refused(trainer, published, english):
    sales = chapter_of("erp-test", "sales.md")
    services.update_draft_chapter(sales, "没有标题。\n\n![缺图](images/missing.png)\n",
                                  sales.lock_version)
    database.session.commit()
    editor = trainer.get(f"{BASE}/erp-test").data.decode()
    assert 'id="publish-problems"' in editor
    message = refused_publication(trainer, english, version="1.1")
    assert "The draft cannot be published yet:" in message
    items = re.findall(r"<li>(.*?)</li>", message)
    assert "sales.md:1: a chapter starts with a &#39;# title&#39; heading" in items
    assert "sales.md:3: image images/missing.png is not in the manual" in items


def test_publishing_a_draft_changed_since_the_page_was_loaded_is_refused(trainer, published,
                                                                          english):
    editor = trainer.get(f"{BASE}/erp-test").data
    sales = chapter_of("erp-test", "sales.md")
    services.update_draft_chapter(sales, SALES + "\n别人加的\n", sales.lock_version)
    database.session.commit()
    response = trainer.post(f"{BASE}/erp-test/publish", data=publish_form(editor))
    assert response.status_code == 409 and b"The draft changed since you opened" in response.data
    assert version_count() == 1
    assert hidden(response.data, "draft_hash") == services.draft_content_hash(fresh_manual())


def test_a_new_manual_without_chapters_cannot_be_published(trainer, english):
    trainer.post(f"{BASE}/new", data={"code": "empty-guide", "title": "空手册"})
    editor = trainer.get(f"{BASE}/empty-guide").data
    assert b'id="publish-manual"' in editor and b"disabled" in editor
    response = trainer.post(f"{BASE}/empty-guide/publish", data=publish_form(editor))
    assert response.status_code == 400 and b"the manual has no chapters" in response.data
    assert version_count() == 0


# --- discarding the draft ------------------------------------------------------------------


def test_discard_draft_goes_back_to_the_latest_version(trainer, published):
    sales = chapter_of("erp-test", "sales.md")
    page = trainer.get(chapter_url("erp-test", sales)).data
    save_chapter(trainer, "erp-test", sales, "# 改掉\n", page)
    trainer.post(f"{BASE}/erp-test/chapters", data={"filename": "extra", "title": "多出来的"})
    upload(trainer, "erp-test", PNG, "new.png")
    editor = trainer.get(f"{BASE}/erp-test").data
    assert b'id="discard-draft"' in editor and b'data-state="changed"' in editor
    response = trainer.post(f"{BASE}/erp-test/discard", data={})
    assert response.status_code == 302
    manual = fresh_manual()
    assert [c.filename for c in manual.draft_chapters] == ["sales.md", "purchasing.md"]
    assert manual.draft_chapters[0].source == SALES
    assert [a.path for a in manual.draft_assets] == ["images/receipt.png"]
    assert services.draft_content_hash(manual) == manual.latest_version.content_hash
    assert not manual.draft_edited_on_web


def test_a_never_published_draft_cannot_be_discarded(trainer, english):
    trainer.post(f"{BASE}/new", data={"code": "fresh-guide", "title": "新手册"})
    editor = trainer.get(f"{BASE}/fresh-guide").data
    assert b'id="discard-draft"' not in editor
    response = trainer.post(f"{BASE}/fresh-guide/discard", data={})
    assert response.status_code == 400
    assert b"There is no published version to go back to." in response.data
    assert fresh_manual("fresh-guide") is not None


def test_editor_pages_have_no_inline_scripts_or_styles(trainer, published):
    sales = chapter_of("erp-test", "sales.md")
    for url in (f"{BASE}/", f"{BASE}/erp-test", chapter_url("erp-test", sales)):
        html = trainer.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+=|\sstyle=|<style", html), url
