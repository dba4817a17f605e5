"""Reading manuals: stable and versioned URLs, the switcher, the old-version banner, images,
links from lessons, search (Chinese) and who may read what."""

from __future__ import annotations

import pytest

from lms.extensions import db as database
from tests.publishing.conftest import SALES

pytestmark = pytest.mark.usefixtures("english_messages")

SALES_1_1 = SALES.replace("由销售经理审批", "由销售经理或总经理审批")
GUIDE = "# 入门\n\n先登录系统。\n"


@pytest.fixture
def two_versions(publish_manual):
    """1.0 (sales, purchasing) and 1.1 (sales changed, purchasing removed, guide added)."""
    old = publish_manual("1.0", notes="首次发布。")
    new = publish_manual("1.1", {"guide.md": GUIDE, "sales.md": SALES_1_1}, notes="审批人变化。")
    return old, new


def test_latest_and_versioned_urls(client, two_versions):
    page = client.get("/manuals/erp-test/latest/sales")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "由销售经理或总经理审批" in html and "old-version-banner" not in html
    assert client.get("/manuals/erp-test/1.0/sales").status_code == 200
    assert "由销售经理审批" in client.get("/manuals/erp-test/1.0/sales").get_data(as_text=True)
    # A version or manual root opens its first chapter.
    assert client.get("/manuals/erp-test/latest/").headers["Location"].endswith(
        "/manuals/erp-test/latest/guide")
    assert client.get("/manuals/erp-test/1.0/").headers["Location"].endswith(
        "/manuals/erp-test/1.0/sales")
    assert client.get("/manuals/erp-test/").status_code == 302
    for missing in ("/manuals/erp-test/2.0/sales", "/manuals/erp-test/1.1/purchasing",
                    "/manuals/erp-test/v1/sales", "/manuals/nope/latest/",
                    "/manuals/erp-test/1.0/assets/images/none.png"):
        assert client.get(missing).status_code == 404, missing


def test_chapter_page_has_navigation_toc_permalinks_and_neighbours(client, two_versions):
    html = client.get("/manuals/erp-test/1.0/sales").get_data(as_text=True)
    assert 'href="/manuals/erp-test/1.0/purchasing"' in html  # chapter list and "next"
    assert 'rel="next"' in html and 'rel="prev"' not in html
    assert 'href="#销售订单审批"' in html  # in-page table of contents
    assert 'class="headerlink" href="#发货"' in html
    assert "/manuals/erp-test/versions" in html
    assert 'lang="zh-CN"' in html


def test_old_version_banner_links_to_latest_and_to_changes(client, two_versions):
    html = client.get("/manuals/erp-test/1.0/sales").get_data(as_text=True)
    assert "old-version-banner" in html
    assert "You are reading version 1.0; the latest is 1.1." in html
    assert "/manuals/erp-test/switch?to=latest&amp;chapter=sales" in html
    assert "/manuals/erp-test/changes?to=1.1&amp;from=1.0" in html


def test_switcher_keeps_the_chapter_or_falls_back_to_the_first(client, two_versions):
    same = client.get("/manuals/erp-test/switch?to=1.0&chapter=sales")
    assert same.headers["Location"].endswith("/manuals/erp-test/1.0/sales")
    latest = client.get("/manuals/erp-test/switch?to=latest&chapter=sales")
    assert latest.headers["Location"].endswith("/manuals/erp-test/latest/sales")
    gone = client.get("/manuals/erp-test/switch?to=1.1&chapter=purchasing", follow_redirects=True)
    assert gone.request.path == "/manuals/erp-test/1.1/guide"
    assert "Version 1.1 has no chapter “purchasing”" in gone.get_data(as_text=True)
    assert client.get("/manuals/erp-test/switch?to=9.9&chapter=sales").status_code == 404


def test_images_are_served_with_type_and_etag(client, two_versions):
    response = client.get("/manuals/erp-test/1.0/assets/images/receipt.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    # A version's file never changes, but access may be narrowed later: a day in caches.
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    again = client.get("/manuals/erp-test/1.0/assets/images/receipt.png",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    latest = client.get("/manuals/erp-test/latest/assets/images/receipt.png")
    assert latest.headers["Cache-Control"] == "public, no-cache"
    assert latest.headers["ETag"] == response.headers["ETag"]


def test_a_version_without_pdf_says_so(client, two_versions):
    response = client.get("/manuals/erp-test/1.0/manual.pdf")
    assert response.status_code == 404
    assert "published without a PDF" in response.get_data(as_text=True)


def test_heading_links_find_the_chapter_in_the_latest_version(client, two_versions):
    found = client.get("/manuals/erp-test/latest/find/销售订单审批")
    assert found.headers["Location"].endswith(
        "/manuals/erp-test/latest/sales#%E9%94%80%E5%94%AE%E8%AE%A2%E5%8D%95%E5%AE%A1%E6%89%B9")
    missing = client.get("/manuals/erp-test/latest/find/收货", follow_redirects=True)
    assert missing.request.path == "/manuals/erp-test/latest/guide"
    assert "not in the current version" in missing.get_data(as_text=True)


def test_lesson_links_to_a_manual_resolve_once_it_is_published(app, db, two_versions):
    from lms.catalog.rendering import manual_link

    with app.test_request_context():
        assert manual_link("manual:erp-test#发货") == \
            "/manuals/erp-test/latest/find/%E5%8F%91%E8%B4%A7"
        assert manual_link("manual:erp-test") == "/manuals/erp-test/latest/"
        assert manual_link("manual:unknown-manual#x") is None


@pytest.mark.parametrize("query, chapters", [
    ("审批", ["sales", "purchasing"]), ("销售订单", ["sales"]), ("收货", ["sales", "purchasing"]),
    ("ＥＲＰ", []), ("两万元 审批", ["purchasing"]), ("100%", []),
])
def test_search_finds_chinese_terms_in_a_version(client, publish_manual, query, chapters):
    publish_manual("1.0")
    response = client.get("/manuals/erp-test/latest/search", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = [slug for slug in ("sales", "purchasing") if f"/latest/{slug}#" in html]
    assert found == chapters
    if chapters:
        assert f"<mark>{query.split()[0]}</mark>" in html


def test_search_highlights_and_links_to_the_heading(client, two_versions):
    html = client.get("/manuals/erp-test/1.0/search?q=审批").get_data(as_text=True)
    assert 'href="/manuals/erp-test/1.0/sales#销售订单审批"' in html
    assert "销售订单<mark>审批</mark>" in html
    assert "两万元需要<mark>审批</mark>" in html  # purchasing's paragraph, only in 1.0
    latest = client.get("/manuals/erp-test/latest/search?q=两万元").get_data(as_text=True)
    assert 'id="no-results"' in latest
    assert client.get("/manuals/erp-test/latest/search?q=").status_code == 200
    assert client.get("/manuals/erp-test/latest/search?q=x&page=999999999999").status_code == 200


def test_search_folds_width_and_case(client, publish_manual):
    publish_manual("1.0", {"a.md": "# ERP 概览\n\n订单号 SO-0003 的状态。\n"})
    html = client.get("/manuals/erp-test/latest/search?q=ｓｏ－０００３").get_data(as_text=True)
    assert "<mark>SO-0003</mark>" in html
    assert "<mark>ERP</mark>" in client.get(
        "/manuals/erp-test/latest/search?q=erp").get_data(as_text=True)


READER_URLS = ["/manuals/erp-test/latest/sales", "/manuals/erp-test/1.0/sales",
               "/manuals/erp-test/latest/search?q=审批",
               "/manuals/erp-test/1.0/assets/images/receipt.png",
               "/manuals/erp-test/versions", "/manuals/erp-test/switch?to=1.0&chapter=sales",
               "/manuals/erp-test/latest/find/发货", "/manuals/erp-test/1.0/manual.pdf"]


def test_a_signed_in_manual_sends_visitors_to_login(client, publish_manual):
    publish_manual("1.0", access="signed_in")
    for url in READER_URLS + ["/manuals/erp-test/changes"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert "ERP 测试手册" not in client.get("/manuals/").get_data(as_text=True)


def test_job_roles_restrict_a_manual(client, login_as, publish_manual):
    publish_manual("1.0", access="signed_in", job_roles=["purchasing"])
    login_as("seller", job_roles=["sales"])
    for url in READER_URLS + ["/manuals/erp-test/changes"]:
        assert client.get(url).status_code == 403, url
    assert "ERP 测试手册" not in client.get("/manuals/").get_data(as_text=True)
    client.post("/logout", data={})
    login_as("buyer", job_roles=["purchasing"])
    assert client.get("/manuals/erp-test/latest/sales").status_code == 200
    assert "ERP 测试手册" in client.get("/manuals/").get_data(as_text=True)
    client.post("/logout", data={})
    login_as("trainer1", roles=("trainer",))
    assert client.get("/manuals/erp-test/latest/sales").status_code == 200


def test_public_manual_is_open_to_visitors(client, two_versions):
    assert client.get("/manuals/").status_code == 200
    assert "ERP 测试手册" in client.get("/manuals/").get_data(as_text=True)
    assert client.get("/manuals/erp-test/latest/sales").status_code == 200


def test_chapter_page_query_count_does_not_grow_with_chapters(client, publish_manual,
                                                             count_queries):
    many = {f"c{n}.md": f"# 第 {n} 章\n\n## 小节\n\n内容。\n" for n in range(1, 31)}
    publish_manual("1.0", many)
    publish_manual("1.1", {**many, "c1.md": "# 第 1 章\n\n改过。\n"})
    client.get("/manuals/erp-test/1.0/c5")
    with count_queries() as statements:
        assert client.get("/manuals/erp-test/1.0/c5").status_code == 200
    assert len(statements) <= 6, statements


def test_manual_list_and_empty_state(client, db):
    html = client.get("/manuals/").get_data(as_text=True)
    assert "No manual is open to visitors" in html
    database.session.rollback()


def test_an_old_version_keeps_its_own_access(client, login_as, publish_manual):
    publish_manual("1.0", access="signed_in", job_roles=["finance"])
    publish_manual("1.1", {"sales.md": SALES_1_1}, access="public")
    assert client.get("/manuals/erp-test/latest/sales").status_code == 200
    for url in ("/manuals/erp-test/1.0/sales", "/manuals/erp-test/1.0/assets/images/receipt.png",
                "/manuals/erp-test/1.0/search?q=审批", "/manuals/erp-test/switch?to=1.0",
                "/manuals/erp-test/changes?from=1.0&to=1.1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    html = client.get("/manuals/erp-test/latest/sales").get_data(as_text=True)
    assert '<option value="1.0"' not in html  # the switcher offers only what one may read
    assert "Version 1.0" not in client.get("/manuals/erp-test/versions").get_data(as_text=True)
    login_as("seller", job_roles=["sales"])
    assert client.get("/manuals/erp-test/1.0/sales").status_code == 403
    client.post("/logout", data={})
    login_as("accountant", job_roles=["finance"])
    assert client.get("/manuals/erp-test/1.0/sales").status_code == 200
    assert client.get("/manuals/erp-test/changes?from=1.0&to=1.1").status_code == 200


def test_changes_default_to_the_version_just_before(client, publish_manual):
    publish_manual("1.0")
    publish_manual("1.9", {"sales.md": SALES + "\n1.9 的段落。\n"})
    publish_manual("1.10", {"sales.md": SALES + "\n1.10 的段落。\n"})
    html = client.get("/manuals/erp-test/changes?to=1.9").get_data(as_text=True)
    assert "from version 1.0 to 1.9" in html
    assert "from version 1.9 to 1.10" in client.get(
        "/manuals/erp-test/changes").get_data(as_text=True)
    first = client.get("/manuals/erp-test/changes?to=1.0").get_data(as_text=True)
    assert "Both sides are version 1.0" in first
    backwards = client.get("/manuals/erp-test/changes?from=1.10&to=1.0")
    assert backwards.status_code == 302 and "from=1.0" in backwards.headers["Location"]
    assert client.get("/manuals/erp-test/changes?from=2.0").status_code == 404
    assert client.get("/manuals/erp-test/changes?to=abc").status_code == 404


def test_a_replaced_screenshot_is_a_change(client, publish_manual):
    from tests.publishing.conftest import PNG

    publish_manual("1.0")
    other_png = PNG[:-12] + bytes(12)  # same name, other bytes
    publish_manual("1.1", images={"images/receipt.png": other_png})
    html = client.get("/manuals/erp-test/changes?from=1.0&to=1.1").get_data(as_text=True)
    assert "采购管理" in html and "<ins" in html and "<del" in html


def test_manual_list_and_versions_page_queries_do_not_grow(client, publish_manual,
                                                          create_user, count_queries):
    for n in range(4):
        publish_manual(f"1.{n}", {"sales.md": SALES + f"\n第 {n} 版。\n"}, code=f"m{n}")
        publish_manual(f"1.{n + 1}", {"sales.md": SALES + f"\n第 {n} 版，修订。\n"},
                       code="erp-test")
    client.get("/manuals/")
    with count_queries() as statements:
        assert client.get("/manuals/").status_code == 200
    assert len(statements) <= 3, statements
    with count_queries() as statements:
        assert client.get("/manuals/erp-test/versions").status_code == 200
    assert len(statements) <= 6, statements
