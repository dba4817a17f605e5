"""Publishing manual versions: frozen sources, HTML, images and search; refusals; order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db as database
from lms.publishing import publish, services
from lms.publishing.immutability import PublishedVersionIsImmutable
from lms.publishing.models import ManualChapter, ManualSearchSection, ManualVersion
from lms.publishing.source import ManualSourceError, read_manual_folder
from lms.publishing.versions import is_version, next_versions, sort_key, version_key
from tests.publishing.conftest import PURCHASING, SALES, write_manual

pytestmark = pytest.mark.usefixtures("english_messages")


def test_versions_sort_as_numbers_not_text():
    numbers = ["1.10", "1.9", "1.2.1", "2.0", "1.2", "0.9"]
    assert sorted(numbers, key=version_key) == ["0.9", "1.2", "1.2.1", "1.9", "1.10", "2.0"]
    assert sorted(numbers, key=sort_key) == sorted(numbers, key=version_key)
    assert version_key("1.2") == version_key("1.2.0")
    for bad in ("1", "v1.0", "1.0.0.0", "01.2", "1.x", "", "latest", "1.0-beta"):
        assert not is_version(bad)
    assert next_versions("1.9") == ["1.10", "1.9.1", "2.0"]
    assert next_versions(None) == ["1.0"]


def test_publish_freezes_sources_html_images_and_hash(publish_manual):
    row = publish_manual("1.0", notes="首次发布。")
    assert [c.slug for c in row.chapters] == ["sales", "purchasing"]
    assert [c.title for c in row.chapters] == ["销售管理", "采购管理"]
    sales, purchasing = row.chapters
    assert sales.source == SALES
    assert 'id="销售订单审批"' in sales.html
    # Cross-references are relative, so the same HTML serves /latest/ and /1.0/.
    assert 'href="purchasing#收货"' in sales.html
    assert 'src="assets/images/receipt.png"' in purchasing.html
    assert 'class="headerlink"' in sales.html
    assert [h[1] for h in sales.headings] == ["销售管理", "销售订单审批", "发货"]
    assert [a.path for a in row.assets] == ["images/receipt.png"]
    assert len(row.content_hash) == 64 and row.notes_html == "<p>首次发布。</p>"
    assert row.manual.latest_version_id == row.id and row.manual.access == "public"
    sections = database.session.scalar(select(func.count()).select_from(ManualSearchSection)
                                       .where(ManualSearchSection.version_id == row.id))
    assert sections == 6  # each chapter: its title and two sections


def test_published_rows_cannot_be_changed(publish_manual):
    row = publish_manual("1.0")
    row.notes = "改过的说明"
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()
    chapter = database.session.scalar(select(ManualChapter))
    chapter.html = "<p>篡改</p>"
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()
    database.session.delete(database.session.scalar(select(ManualVersion)))
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()


def test_existing_number_and_identical_sources_are_refused(publish_manual):
    publish_manual("1.0")
    with pytest.raises(services.PublishRefused, match="already published"):
        publish_manual("1.0", {"sales.md": SALES + "\n新增一句。\n", "purchasing.md": PURCHASING})
    database.session.rollback()
    with pytest.raises(services.PublishRefused, match="already published"):
        publish_manual("1.0.0", {"sales.md": SALES + "\n新增。\n", "purchasing.md": PURCHASING})
    database.session.rollback()
    with pytest.raises(services.PublishRefused, match="identical"):
        publish_manual("1.1")
    database.session.rollback()
    with pytest.raises(services.PublishRefused, match="not a version number"):
        publish_manual("1.1-rc", {"sales.md": SALES + "\n新增。\n", "purchasing.md": PURCHASING})
    database.session.rollback()
    assert database.session.scalar(select(func.count()).select_from(ManualVersion)) == 1


def test_latest_is_the_highest_number_not_the_last_published(publish_manual):
    publish_manual("1.9")
    newest = publish_manual("1.10", {"sales.md": SALES + "\n1.10 的内容。\n",
                                     "purchasing.md": PURCHASING})
    backport = publish_manual("1.9.1", {"sales.md": SALES + "\n补丁。\n",
                                        "purchasing.md": PURCHASING})
    manual = backport.manual
    assert manual.latest_version_id == newest.id
    assert [v.version for v in services.versions_of(manual)] == ["1.10", "1.9.1", "1.9"]


def test_a_folder_with_problems_changes_nothing(tmp_path, db):
    folder = write_manual(tmp_path, {"sales.md": "没有标题的章节\n\n![图](images/missing.png)\n"},
                          access="everyone", job_roles="sales", unknown=1)
    with pytest.raises(ManualSourceError) as error:
        read_manual_folder(folder)
    text = str(error.value)
    assert "unknown field 'unknown'" in text
    assert "access must be one of" in text
    assert "job_roles must be a list" in text
    assert "sales.md:1: a chapter starts with a '# title' heading" in text
    assert "sales.md:3: image images/missing.png is not in the manual" in text
    assert services.manual_by_code("erp-test") is None


def test_unknown_job_roles_and_bad_images_are_reported(tmp_path, db):
    folder = write_manual(tmp_path, job_roles=["sales", "astronaut"], access="signed_in")
    with pytest.raises(ManualSourceError, match="unknown job roles: astronaut"):
        publish.publish_from_folder(folder, "1.0", publisher=None, with_pdf=False)
    folder = write_manual(tmp_path / "b", images={"images/receipt.png": b"not a png"})
    with pytest.raises(ManualSourceError, match="not a PNG, JPEG, GIF or WebP image"):
        read_manual_folder(folder)


def test_web_edits_are_not_overwritten_by_files(publish_manual, tmp_path):
    row = publish_manual("1.0")
    manual = row.manual
    chapter = manual.draft_chapters[0]
    services.update_draft_chapter(chapter, SALES + "\n网页上的修改。\n", chapter.lock_version)
    database.session.commit()
    folder = write_manual(tmp_path / "again", {"sales.md": SALES + "\n文件里的修改。\n",
                                               "purchasing.md": PURCHASING})
    with pytest.raises(services.PublishRefused, match="web editor"):
        publish.publish_from_folder(folder, "1.1", publisher=None, with_pdf=False)
    database.session.rollback()
    forced = publish.publish_from_folder(folder, "1.1", publisher=None, with_pdf=False,
                                          force=True)
    assert "文件里的修改" in forced.chapters[0].source


def test_overlay_rebuilds_an_earlier_release(tmp_path, db):
    folder = write_manual(tmp_path)
    (folder / "history" / "1.0").mkdir(parents=True)
    (folder / "history" / "1.0" / "purchasing.md").write_text(
        PURCHASING.replace("两万元", "一万元"), encoding="utf-8")
    old = read_manual_folder(folder, folder / "history" / "1.0")
    new = read_manual_folder(folder)
    assert "一万元" in old.chapters[1].source and "两万元" in new.chapters[1].source
    assert old.chapters[0] == new.chapters[0]
    assert old.content_hash() != new.content_hash()


def test_export_writes_the_draft_back_to_files(publish_manual, tmp_path):
    row = publish_manual("1.0")
    written = services.export_manual(row.manual, tmp_path / "out")
    again = read_manual_folder(tmp_path / "out")
    assert len(written) == 4
    assert again.content_hash() == services.draft_source(row.manual).content_hash()


def test_no_rows_can_be_added_to_or_bulk_changed_in_a_published_version(publish_manual):
    from sqlalchemy import update

    from lms.publishing.models import ManualAsset, ManualBlob

    row = publish_manual("1.0")
    database.session.add(ManualChapter(version_id=row.id, position=9, slug="injected",
                                       title="注入", source="# 注入\n", html="<p>x</p>",
                                       headings=[]))
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()
    blob = database.session.scalar(select(ManualBlob))
    database.session.add(ManualAsset(version_id=row.id, path="images/x.png",
                                     content_type="image/png", blob=blob))
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.execute(update(ManualChapter).values(html="bulk"))
    database.session.rollback()
    blob = database.session.scalar(select(ManualBlob))
    blob.data = b"changed"
    with pytest.raises(PublishedVersionIsImmutable):
        database.session.flush()
    database.session.rollback()


def test_titles_are_plain_text_and_not_too_long(publish_manual, tmp_path):
    row = publish_manual("1.0", {"a.md": "# 使用 **ERP** 的 `SO` 单据\n\n正文。\n"})
    assert row.chapters[0].title == "使用 ERP 的 SO 单据"
    folder = write_manual(tmp_path / "long", {"a.md": "前言\n\n# " + "长" * 301 + "\n"})
    with pytest.raises(ManualSourceError, match="a.md:3: the title is longer than 300"):
        read_manual_folder(folder)


def test_links_to_other_manuals_are_relative_to_the_chapter_page(publish_manual):
    row = publish_manual("1.0", {"a.md": "# 链接\n\n[审批](manual:erp-operation#采购订单审批)\n"})
    assert 'href="../../erp-operation/latest/find/%E9%87%87' in row.chapters[0].html


def test_a_colspan_with_a_unicode_digit_does_not_break_the_pdf(app):
    from lms.database import utcnow
    from lms.publishing.pdf import PdfChapter, PdfDocument, build_pdf_html

    document = PdfDocument(
        code="x", title="测试", version="1.0", published_at=utcnow(), company="", language="zh-CN",
        chapters=[PdfChapter("a", "表格", '<h1 id="a">表格</h1><table><tr><td colspan="²">x</td>'
                             '<td colspan="99999999">y</td></tr></table>')], assets={})
    with app.app_context():
        html = build_pdf_html(document)  # raised ValueError on int("²") before
    assert 'colspan="²"' in html and "<td" in html


def test_the_company_travels_with_the_sources(publish_manual):
    row = publish_manual("1.0", company="上海恒远商贸有限公司")
    assert "company: 上海恒远商贸有限公司" in row.manual_yml
    manual = row.manual
    assert services.draft_source(manual).company == "上海恒远商贸有限公司"
    services.update_draft_settings(manual, {"company": ""}, manual.draft_lock_version)
    services.discard_draft(manual)
    assert services.draft_source(manual).company == "上海恒远商贸有限公司"


def test_the_editor_saves_the_company(client, login_as, publish_manual):
    from tests.catalog.conftest import hidden

    publish_manual("1.0")
    login_as("editor", roles=("trainer",))
    page = client.get("/manuals/manage/erp-test")
    response = client.post("/manuals/manage/erp-test", data={
        "lock_version": hidden(page.data, "lock_version"), "title": "ERP 测试手册",
        "summary": "", "company": "恒远商贸", "language": "zh-CN", "access": "public"})
    assert response.status_code == 302, response.data[:300]
    assert services.draft_source(services.manual_by_code("erp-test")).company == "恒远商贸"
