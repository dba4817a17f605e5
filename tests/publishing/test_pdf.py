"""The manual PDF, checked on the real file: pages, outline, fonts, text, links, limits.

Each rendered document is made once per module (a render takes seconds) and read back with
poppler's tools and pypdf.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
import tinycss2
from flask_babel import force_locale
from PIL import Image

from lms.core.markdown import render_markdown
from lms.publishing.pdf import (
    BASE_URL,
    CjkFontMissing,
    PdfChapter,
    PdfDocument,
    PdfError,
    RenderedPdf,
    build_pdf_html,
    check_cjk_font,
    fetch_url_for,
    render_pdf,
)
from lms.publishing.pdf_worker import AssetRefused

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "manuals-zh"
STYLESHEET = Path(__file__).resolve().parents[2] / "lms" / "publishing" / "pdf.css"
PUBLISHED = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
ROWS = 120  # enough rows of the price list to run over two pages


def resolve(target: str) -> str | None:
    """What the publisher's resolver does for a PDF: chapters to ``<slug>.html``."""
    if target.startswith("images/"):
        return target
    path, _, fragment = target.partition("#")
    if not path.endswith(".md"):
        return None
    page = path.removesuffix(".md") + ".html"
    return f"{page}#{fragment}" if fragment else page


def png_bytes(width: int = 1600, height: int = 500) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


SALES = """# 销售管理

## 订单审批

超过信用额度的订单需要销售经理审批[^1]。审批后的出库见[月度盘点](inventory.md#月度盘点)。

![订单列表](images/订单 列表.png)

::: tip 提示
客户未经审核时不能下单。
:::

!!! warning "注意"
    审批通过后订单不能再修改数量。

### 信用额度检查

```
SELECT 客户, 信用额度 FROM 客户档案;
```

## 价格表

| 物料编码 | 物料名称 | 单价 |
| --- | --- | ---: |
""" + "\n".join(f"| M-{i:04d} | 办公用品{i} | {i * 3}.50 |" for i in range(1, ROWS + 1)) + """

[^1]: 审批权限在系统设置中按角色分配。
"""

INVENTORY = """# 库存管理

## 月度盘点

每月末盘点一次，差异需财务确认[^1]。订单的审批规则见[订单审批](sales.md#订单审批)，
全部销售流程见[销售管理](sales.md)。

### 盘点差异

| 仓库 | 账面数量 | 实盘数量 | 差异 | 原因 | 责任人 | 处理方式 | 备注 |
| --- | --- | --- | --- | --- | --- | --- | --- |
| 一号仓库 | 100 | 98 | -2 | 破损 | 张三 | 报损 | 需要拍照留存并由仓库主管签字确认 |

[^1]: 财务部在次月五日前完成确认。
"""


def chapter(slug: str, source: str) -> tuple[PdfChapter, list]:
    rendered = render_markdown(source, resolve_link=resolve)
    title = rendered.headings[0].text
    return PdfChapter(slug=slug, title=title, html=rendered.html), rendered.headings


@pytest.fixture(scope="module")
def chinese(app, tmp_path_factory):
    """The Chinese manual: two chapters, one image, a long table, footnotes."""
    sales, sales_headings = chapter("sales", SALES)
    inventory, inventory_headings = chapter("inventory", INVENTORY)
    document = PdfDocument(
        code="erp-ops", title="ERP 操作手册", version="2.1", published_at=PUBLISHED,
        company="华东制造有限公司", language="zh-CN", chapters=[sales, inventory],
        assets={"images/订单 列表.png": ("image/png", png_bytes())},
    )
    with app.app_context():
        rendered = render_pdf(document)
    path = tmp_path_factory.mktemp("pdf") / "manual.pdf"
    path.write_bytes(rendered.data)
    return rendered, path, {"sales": sales_headings, "inventory": inventory_headings}


@pytest.fixture(scope="module")
def english(app, tmp_path_factory):
    """English labels; its one chapter also tries to load /etc/passwd and a web image."""
    html = ('<h1 id="orders">Orders</h1>\n<p>Screens:</p>\n'
            '<p><img src="file:///etc/passwd" alt="passwd"></p>\n'
            '<p><img src="http://example.com/logo.png" alt="remote"></p>\n'
            '<p><img src="images/screen.png" alt="own"></p>\n'
            '<h2 id="approval">Approval</h2><p>See <a href="#orders">orders</a>.</p>')
    document = PdfDocument(
        code="erp-ops", title="ERP Operations", version="3.0", published_at=PUBLISHED,
        company="", language="en", chapters=[PdfChapter("orders", "Orders", html)],
        assets={"images/screen.png": ("image/png", png_bytes(300, 200)),
                "images/unused.png": ("image/png", png_bytes(10, 10))},
    )
    with app.app_context():
        rendered = render_pdf(document)
    path = tmp_path_factory.mktemp("pdf") / "manual-en.pdf"
    path.write_bytes(rendered.data)
    return rendered, path


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def page_text(path: Path, page: int | None = None) -> str:
    """Text in content-stream order (``-layout`` would drop the spaces in "第 2 页")."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return run("pdftotext", "-raw", *pages, str(path), "-")


def page_texts(path: Path, count: int) -> list[str]:
    return [page_text(path, number) for number in range(1, count + 1)]


def outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int]]:
    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield level, item.title, reader.get_destination_page_number(item) + 1

    return list(walk(reader.outline, 1))


# --------------------------------------------------------------------------- the file


def test_page_count_matches_pdfinfo(chinese):
    rendered, path, _ = chinese
    info = run("pdfinfo", str(path))
    assert re.search(rf"^Pages:\s+{rendered.pages}$", info, re.M)
    # Cover, contents, the sales chapter (its price list spans pages), inventory.
    assert rendered.pages >= 5
    assert re.search(r"^Title:\s+ERP 操作手册$", info, re.M)
    assert re.search(r"^Author:\s+华东制造有限公司$", info, re.M)


def test_result_carries_the_hash_of_its_bytes(chinese):
    import hashlib

    rendered, _, _ = chinese
    assert isinstance(rendered, RenderedPdf)
    assert rendered.data.startswith(b"%PDF-")
    assert rendered.sha256 == hashlib.sha256(rendered.data).hexdigest()


def test_outline_follows_the_headings(chinese):
    _, path, headings = chinese
    expected = []
    for slug in ("sales", "inventory"):
        title, *rest = headings[slug]
        expected.append((1, title.text))
        expected.extend((heading.level, heading.text) for heading in rest)
    found = outline(pypdf.PdfReader(path))
    assert [(level, title) for level, title, _page in found] == expected
    assert expected[:4] == [(1, "销售管理"), (2, "订单审批"), (3, "信用额度检查"), (2, "价格表")]
    pages = {title: page for _level, title, page in found}
    assert pages["销售管理"] == 3  # after the cover and the contents
    assert pages["库存管理"] > pages["价格表"]


def test_chinese_font_is_embedded_as_a_subset(chinese):
    _, path, _ = chinese
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    rows = {line.split()[0]: line for line in fonts}
    sans = [name for name in rows if re.fullmatch(r"[A-Z]{6}\+Noto-?Sans-?CJK-?SC(-Bold)?", name)]
    mono = [name for name in rows if re.fullmatch(r"[A-Z]{6}\+Noto-?Sans-?Mono-?CJK-?SC", name)]
    assert sans and mono, fonts
    for name in sans + mono:
        assert re.search(r"\byes\s+yes\s+yes\b", rows[name]), rows[name]  # emb, sub, uni
    assert not any("JP" in name for name in rows)


def test_text_has_headings_contents_header_and_footer(chinese):
    rendered, path, _ = chinese
    pages = page_texts(path, rendered.pages)
    cover, contents = pages[0], pages[1]
    assert "ERP 操作手册" in cover and "华东制造有限公司" in cover and "2.1" in cover
    assert "版本" in cover and "发布日期" in cover and "2025年3月1日" in cover
    assert "第 1 页" not in cover  # the cover has no footer

    assert "目录" in contents
    for title, page in (("销售管理", 3), ("订单审批", 3), ("价格表", 3), ("月度盘点", None)):
        match = re.search(rf"{title}[\s.]{{5,}}?(\d+)", contents)
        assert match, (title, contents)
        if page:
            assert int(match[1]) == page
    assert f"第 2 页 / 共 {rendered.pages} 页" in contents

    everything = "".join(pages)
    for heading in ("订单审批", "信用额度检查", "价格表", "库存管理", "月度盘点", "盘点差异"):
        assert heading in everything
    assert "审批权限在系统设置中按角色分配" in everything  # a footnote
    assert "提示" in everything and "注意" in everything  # admonition titles
    assert "SELECT 客户, 信用额度 FROM 客户档案;" in everything  # a code block

    # The price list runs on: a later page, with nothing but table rows in its body, shows
    # the manual and chapter titles in its running header and the table's header row again.
    continued = [text for text in pages if "M-0100" in text]
    assert continued and "M-0001" not in continued[0]
    lines = continued[0].splitlines()
    assert "ERP 操作手册 销售管理" in lines
    assert "物料编码 物料名称 单价" in lines


def test_chapters_start_pages_and_headings_never_end_one(chinese):
    rendered, path, headings = chinese
    reader = pypdf.PdfReader(path)
    pages = page_texts(path, rendered.pages)
    titles = {heading.text for chapter in headings.values() for heading in chapter}
    for level, title, page in outline(reader):
        if level == 1:  # a chapter: its title is the first thing on its page
            assert pages[page - 1].splitlines()[0] == title
    for text in pages[2:]:
        # In pdftotext's -raw order the body comes first, then header and footer.
        body = text.splitlines()[:-2]
        assert body and body[-1] not in titles, body[-3:]


def test_images_are_scaled_to_the_page(chinese):
    _, path, _ = chinese
    images = run("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) == 1
    columns = images[0].split()
    width, x_ppi = int(columns[3]), int(columns[12])
    assert width == 1600
    # 1600 px drawn across at most the 174 mm between the margins.
    assert x_ppi >= 1600 / (174 / 25.4) - 1


def test_internal_links_point_at_the_right_pages(chinese):
    _, path, _ = chinese
    reader = pypdf.PdfReader(path)
    destinations = {name: reader.get_destination_page_number(dest) + 1
                    for name, dest in reader.named_destinations.items()}
    links: dict[int, set[str]] = {}
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation["/Subtype"] != "/Link":
                continue
            target = annotation.get("/Dest")
            if target is None and "/A" in annotation and annotation["/A"]["/S"] == "/GoTo":
                target = annotation["/A"]["/D"]
            if target is not None:
                links.setdefault(number, set()).add(str(target))
    # Contents → chapters and their sections.
    assert {"sales", "sales--订单审批", "sales--价格表", "inventory", "inventory--月度盘点"} \
        <= links[2]
    # Sales → inventory, inventory → sales (a heading and the chapter), footnotes both ways.
    assert "inventory--月度盘点" in links[3] and "sales--fn:1" in links[3]
    assert {"sales--订单审批", "sales"} <= links[destinations["inventory--月度盘点"]]
    assert destinations["sales--订单审批"] == 3
    assert destinations["inventory--fn:1"] == destinations["inventory"]
    for targets in links.values():
        assert targets <= destinations.keys()


def test_english_labels(english):
    rendered, path = english
    pages = page_texts(path, rendered.pages)
    assert "Version" in pages[0] and "Publication date" in pages[0]
    assert "March 1, 2025" in pages[0]
    assert "Contents" in pages[1]
    assert f"Page 2 of {rendered.pages}" in pages[1]
    assert f"Page 3 of {rendered.pages}" in pages[2]


# --------------------------------------------------------------------------- resources


def test_fetcher_serves_only_the_documents_assets():
    picture = png_bytes(20, 20)
    fetch = fetch_url_for({"images/订单 列表.png": ("image/png", picture)})
    response = fetch(BASE_URL + "images/%E8%AE%A2%E5%8D%95%20%E5%88%97%E8%A1%A8.png")
    assert response.read() == picture
    assert response.content_type == "image/png"
    for url in ("file:///etc/passwd", "http://example.com/logo.png",
                "https://example.com/images/订单 列表.png", BASE_URL + "images/missing.png",
                BASE_URL + "../../etc/passwd", "data:image/png;base64,iVBORw0KGgo="):
        with pytest.raises(AssetRefused):
            fetch(url)


def test_pdf_renders_without_refused_images(english):
    rendered, path = english
    images = run("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) == 1  # only the document's own screen.png
    assert re.search(r"\b300\s+200\b", images[0])
    text = page_text(path)
    assert "root:" not in text
    assert "Approval" in text


# --------------------------------------------------------------------------- the HTML


def test_ids_are_prefixed_and_links_rewritten(app):
    sales = PdfChapter("sales", "销售", (
        '<h1 id="销售">销售</h1><h2 id="审批">审批</h2>'
        '<p><a href="#%E5%AE%A1%E6%89%B9">编码的</a> <a href="#审批">未编码</a> '
        '<a href="inventory.html#%E7%9B%98%E7%82%B9">盘点</a> <a href="inventory.html">库存</a> '
        '<a href="finance.html#x">不在本手册</a> <a href="https://example.com/a?b=1&amp;c=2">外部'
        '</a><sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>'
        '<div class="footnote"><ol><li id="fn:1"><p>注</p></li></ol></div>'))
    inventory = PdfChapter("inventory", "库存", '<h1 id="总览">总览</h1><h2 id="盘点">盘点</h2>')
    with app.app_context():
        html = build_pdf_html(PdfDocument(
            code="m", title="手册", version="1", published_at=PUBLISHED, company="",
            language="zh-CN", chapters=[sales, inventory], assets={}))
    assert '<html lang="zh-CN">' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert {"sales", "sales--销售", "sales--审批", "sales--fnref:1", "sales--fn:1", "inventory",
            "inventory--总览", "inventory--盘点"} <= set(ids)
    hrefs = re.findall(r'\bhref="([^"]+)"', html)
    from urllib.parse import unquote

    assert [unquote(h) for h in hrefs].count("#sales--审批") == 3  # contents + two links
    assert "#inventory--盘点" in [unquote(h) for h in hrefs]
    assert "#inventory" in hrefs
    assert "https://example.com/a?b=1&amp;c=2" in html
    assert not any("finance" in h for h in hrefs)
    assert ">不在本手册</a>" in html  # the text stays, without a link
    # The Markdown title repeats the chapter title: shown once, its anchor kept.
    assert html.count(">销售<") == 2  # contents and the chapter title
    assert '<h1 class="chapter-title" id="sales--销售">' in html
    # The inventory chapter's own h1 differs from its title, so it stays.
    assert '<h1 id="inventory--总览">总览</h1>' in html


def test_wide_tables_are_marked_and_long_ones_keep_their_header(app):
    inventory, _ = chapter("inventory", INVENTORY)
    sales, _ = chapter("sales", SALES)
    with app.app_context():
        html = build_pdf_html(PdfDocument(
            code="m", title="手册", version="1", published_at=PUBLISHED, company="",
            language="zh-CN", chapters=[sales, inventory], assets={}))
    assert html.count('<table class="wide-table">') == 1  # the 8 columns of 盘点差异
    assert html.count("<thead>") == 2


def test_stylesheet_fonts_end_in_noto_cjk_and_never_justify():
    rules = tinycss2.parse_stylesheet(STYLESHEET.read_text(), skip_comments=True,
                                      skip_whitespace=True)
    stacks: list[str] = []

    def declarations(content):
        for item in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                                   skip_whitespace=True):
            if item.type == "declaration":
                yield item
            elif item.type == "at-rule" and item.content:
                yield from declarations(item.content)
            elif item.type == "qualified-rule":
                yield from declarations(item.content)

    for rule in rules:
        if rule.content is None:
            continue
        for declaration in declarations(rule.content):
            value = tinycss2.serialize(declaration.value).strip()
            if declaration.lower_name == "font-family":
                stacks.append(value)
            assert not (declaration.lower_name == "text-align" and "justify" in value)
    assert stacks
    css = STYLESHEET.read_text()
    assert re.search(r"h1, h2, h3, h4, h5, h6 \{[^}]*break-after: avoid;", css)
    assert re.search(r"\.chapter \{[^}]*break-before: page;", css)
    assert re.search(r"img \{[^}]*max-width: 100%;", css)
    for stack in stacks:
        assert re.search(r'"Noto Sans (Mono )?CJK SC"$', stack), stack
    assert any("Mono" in stack for stack in stacks)


# --------------------------------------------------------------------------- failures


def test_missing_cjk_font_is_reported(tmp_path, monkeypatch):
    check_cjk_font()  # installed here
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                      "<fontconfig></fontconfig>\n")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    with pytest.raises(CjkFontMissing, match="fonts-noto-cjk"):
        check_cjk_font()


def small_document() -> PdfDocument:
    return PdfDocument(code="m", title="手册", version="1", published_at=PUBLISHED,
                       company="", language="zh-CN",
                       chapters=[PdfChapter("a", "第一章", "<p>正文</p>")], assets={})


def test_worker_timeout(app):
    with app.app_context(), force_locale("en"):
        with pytest.raises(PdfError, match="took longer than 0.01 seconds"):
            render_pdf(small_document(), timeout=0.01)


def test_worker_memory_limit(app):
    with app.app_context(), force_locale("en"), pytest.raises(PdfError) as raised:
        render_pdf(small_document(), memory_mb=64)
    assert "64 MB" in str(raised.value)


# --------------------------------------------------------------------------- real input


def test_real_chinese_manual_chapter(app, tmp_path):
    source = (TESTDATA / "softwareGuide" / "sale.md").read_text(encoding="utf-8")
    rendered = render_markdown(source, resolve_link=resolve)
    document = PdfDocument(
        code="software-guide", title="软件操作指南", version="1.0", published_at=PUBLISHED,
        company="", language="zh-CN",
        chapters=[PdfChapter("sale", rendered.headings[0].text, rendered.html)], assets={})
    with app.app_context():
        pdf = render_pdf(document)
    path = tmp_path / "sale.pdf"
    path.write_bytes(pdf.data)
    text = page_text(path)
    assert "销售出库" in text and "销售下单" in text
    titles = [title for _level, title, _page in outline(pypdf.PdfReader(path))]
    assert titles[:3] == ["销售管理", "销售出库", "销售下单"]
