"""The shared Markdown renderer: extensions, anchors, link resolution, sanitising, real manuals."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lms.core.markdown import Heading, render_markdown, slugify_heading

MANUALS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "testdata" / "manuals-zh"
MANUAL_FILES = sorted(MANUALS_DIR.glob("*/*.md"))

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class _Page(HTMLParser):
    """Tags with their attributes, and the visible text, of rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found for name, found in self.elements
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]

    def attribute_names(self) -> set[str]:
        return {name for _, attrs in self.elements for name in attrs}


def assert_no_active_content(html: str) -> None:
    page = _Page(html)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "style", "iframe", "object", "embed"}, tags
    assert not {name for name in page.attribute_names() if name.startswith("on")}
    assert "style" not in page.attribute_names()
    for tag, attrs in page.elements:
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), (tag, attrs)


# ----------------------------------------------------------------------------- extensions

def test_tables_render_with_alignment_as_classes_not_styles():
    html = render_markdown("| 物料 | 数量 |\n|:-----|-----:|\n| 螺栓 | 12 |\n").html
    page = _Page(html)
    assert [tag for tag, _ in page.elements][:4] == ["table", "thead", "tr", "th"]
    assert page.find("th", **{"class": "text-left"}) and page.find("td", **{"class": "text-right"})
    assert "style" not in html and "螺栓" in page.text


def test_admonition_with_chinese_title():
    html = render_markdown('!!! tip "小提示"\n    先保存草稿，再提交审批。\n').html
    assert '<div class="admonition tip">' in html
    assert '<p class="admonition-title">小提示</p>' in html
    assert "先保存草稿，再提交审批。" in html


def test_fenced_code_keeps_language_class_and_escapes_markup():
    html = render_markdown("```python\nif qty < 10 and '<b>':\n    pass\n```\n").html
    assert '<pre><code class="language-python">' in html
    assert "qty &lt; 10" in html and "&lt;b&gt;" in html and "<b>" not in html


def test_footnotes():
    html = render_markdown("过账后不能修改[^1]。\n\n[^1]: 只能冲销。\n").html
    page = _Page(html)
    assert page.find("sup", id="fnref:1") and page.find("li", id="fn:1")
    assert page.find("a", **{"class": "footnote-ref", "href": "#fn:1"})
    assert page.find("a", **{"class": "footnote-backref", "href": "#fnref:1"})
    assert page.find("div", **{"class": "footnote"}) and "只能冲销。" in page.text


# ----------------------------------------------------------------------------- anchors

@pytest.mark.parametrize(("text", "slug"), [
    ("销售订单的审批", "销售订单的审批"),
    ("1. 创建 Sales Order（草稿）", "1-创建-sales-order草稿"),
    ("ＡＢＣ　全角：测试", "abc-全角测试"),
    ("采购、入库，出库。（含退货）", "采购入库出库含退货"),
    ("  Sales -- Order  ", "sales-order"),
    ("What's new?", "whats-new"),
    ("？！……", "section"),
    ("", "section"),
])
def test_slugify_heading(text, slug):
    assert slugify_heading(text) == slug


def test_slugify_heading_custom_separator():
    assert slugify_heading("1. 创建 Sales Order", "_") == "1_创建_sales_order"


def test_chinese_headings_get_readable_anchors_and_are_listed_in_order():
    source = "# 销售\n\n## 销售订单的审批\n\n### 1. 创建 Sales Order（草稿）\n\n#### 审批 & 过账\n"
    rendered = render_markdown(source)
    assert '<h2 id="销售订单的审批">销售订单的审批</h2>' in rendered.html
    assert '<h3 id="1-创建-sales-order草稿">' in rendered.html
    assert rendered.headings == [
        Heading(1, "销售", "销售"),
        Heading(2, "销售订单的审批", "销售订单的审批"),
        Heading(3, "1-创建-sales-order草稿", "1. 创建 Sales Order（草稿）"),
        Heading(4, "审批-过账", "审批 & 过账"),
    ]


def test_duplicate_headings_get_dash_numbered_anchors():
    source = "## 审核\n\n## 审核\n\n## 审核\n\n## 其他 {: #审核-4 }\n\n## 审核\n"
    anchors = [heading.anchor for heading in render_markdown(source).headings]
    # The explicit id is kept and the generated ones step around it.
    assert anchors == ["审核", "审核-2", "审核-3", "审核-4", "审核-5"]
    assert len(set(anchors)) == len(anchors)


# ----------------------------------------------------------------------------- sanitising

@pytest.mark.parametrize(("source", "gone"), [
    ("正文<script>alert('x')</script>", "alert"),
    ("[点我](javascript:alert(1))", "javascript"),
    ('<a href="javascript:alert(1)">点我</a>', "javascript"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ('段落\n{: onclick="steal()" }', "onclick"),
    ('## 标题 {: onmouseover="steal()" }', "onmouseover"),
    ('<iframe src="https://evil.example/"></iframe>', "iframe"),
    ("<style>body{display:none}</style>正文", "display"),
    ('<p style="position:fixed">正文</p>', "style"),
    ('<span style="color:red">正文</span>', "style"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ("<svg><script>alert(1)</script></svg>", "alert"),
    ("<form action=/x><input name=q></form>", "input"),
])
def test_dangerous_input_is_removed(source, gone):
    html = render_markdown(source).html
    assert gone not in html.lower()
    assert_no_active_content(html)


def test_harmless_raw_html_survives_and_links_get_rel():
    html = render_markdown('按 <kbd>F5</kbd> 刷新，<a href="https://erp.example/">打开</a>').html
    assert "<kbd>F5</kbd>" in html
    assert '<a href="https://erp.example/" rel="noopener noreferrer">打开</a>' in html
    assert "target=" not in html


# ----------------------------------------------------------------------------- links

def test_resolver_sees_relative_and_manual_targets_only():
    calls: list[str] = []

    def resolve(target: str) -> str:
        calls.append(target)
        return "/resolved/" + target.replace(":", "/")

    source = (
        "![截图](images/a.png) [销售](sales.md#审批) [手册](manual:erp-operation#销售订单)\n"
        "[外链](https://erp.example/x) [邮件](mailto:help@example.com) [本页](#x)\n"
        "<support@example.com> [脚注][^1]\n\n"
        '<img src="\\baseConfig\\1.1.png" alt="原始">\n\n'
        "[^1]: 注。\n"
    )
    html = render_markdown(source, resolve_link=resolve).html
    assert calls == [
        "images/a.png", "sales.md#审批", "manual:erp-operation#销售订单", "\\baseConfig\\1.1.png",
    ]
    page = _Page(html)
    assert page.find("img", src="/resolved/images/a.png", alt="截图")
    assert page.find("a", href="/resolved/sales.md#审批")
    assert page.find("a", href="/resolved/manual/erp-operation#销售订单")
    assert page.find("img", src="/resolved/\\baseConfig\\1.1.png")
    assert page.find("a", href="https://erp.example/") or page.find("a", href="https://erp.example/x")
    assert page.find("a", href="mailto:help@example.com") and page.find("a", href="#x")
    assert page.find("a", href="mailto:support@example.com")


def test_unresolvable_targets_become_spans():
    source = (
        "见 [销售手册](manual:missing#x) 和 ![流程图](images/flow.png)。\n\n"
        '<a href="manual:gone">原始链接</a> <img src="gone.png" alt="原始图">\n'
    )
    html = render_markdown(source, resolve_link=lambda target: None).html
    page = _Page(html)
    assert '<span class="unresolved-link">销售手册</span>' in html
    assert '<span class="unresolved-image">流程图</span>' in html
    assert '<span class="unresolved-image">原始图</span>' in html
    # A raw <a> keeps its element (its end tag may live elsewhere) but not its href.
    assert page.find("a", **{"class": "unresolved-link"})
    assert not page.find("img") and not [a for a in page.find("a") if a.get("href")]


def test_without_resolver_relative_links_stay_and_manual_links_are_unresolved():
    html = render_markdown(
        "[下一课](lesson-2.md#练习) ![图](img/a.png) [手册](manual:erp#销售) [空]()"
    ).html
    assert '<a href="lesson-2.md#练习" rel="noopener noreferrer">下一课</a>' in html
    assert 'src="img/a.png"' in html
    assert '<span class="unresolved-link">手册</span>' in html
    assert '<span class="unresolved-link">空</span>' in html


def test_attr_list_cannot_swap_in_a_target_past_the_resolver():
    calls: list[str] = []
    html = render_markdown(
        '[x](https://ok.example/){: href="manual:secret" }',
        resolve_link=lambda target: calls.append(target) or None,
    ).html
    assert calls == ["manual:secret"]
    assert '<span class="unresolved-link">x</span>' in html


# ----------------------------------------------------------------------------- vuepress

def test_vuepress_containers_become_admonitions():
    source = "::: warning 注意\n\n过账后 **不能** 修改。\n\n:::\n\n::: tip\n先保存。\n:::\n\n之后\n"
    html = render_markdown(source).html
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">注意</p>' in html and "<strong>不能</strong>" in html
    assert '<p class="admonition-title">Tip</p>' in html and "<p>先保存。</p>" in html
    assert ":::" not in html and "<p>之后</p>" in html


# ----------------------------------------------------------------------------- real manuals

def test_the_real_manuals_are_there():
    assert len(MANUAL_FILES) == 18, MANUALS_DIR


@pytest.mark.parametrize("path", MANUAL_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_real_manual_renders_safely_with_chinese_anchors(path):
    source = path.read_text(encoding="utf-8")
    rendered = render_markdown(source, resolve_link=lambda target: "/m/" + target)
    assert_no_active_content(rendered.html)
    assert "<script" not in rendered.html.lower()

    assert rendered.headings, "every manual page has headings"
    page = _Page(rendered.html)
    for heading in rendered.headings:
        assert heading.anchor and page.find(f"h{heading.level}", id=heading.anchor)
        for run in CJK_RUN.findall(heading.text):
            assert run in heading.anchor, heading
    anchors = [heading.anchor for heading in rendered.headings]
    assert len(set(anchors)) == len(anchors)


@pytest.mark.parametrize(
    "path",
    [path for path in MANUAL_FILES if ":::" in path.read_text(encoding="utf-8")],
    ids=lambda path: path.name,
)
def test_vuepress_blocks_in_real_manuals_degrade_readably(path):
    source = path.read_text(encoding="utf-8")
    html = render_markdown(source).html
    text = _Page(html).text
    assert ":::" not in html
    inside = False
    for line in source.splitlines():
        fence = re.match(r"^\s*:{3,}\s*(\w*)\s*(.*?)\s*$", line)
        if fence:
            inside = bool(fence.group(1))
            if inside and fence.group(2):
                assert f'<p class="admonition-title">{fence.group(2)}</p>' in html
            continue
        if inside and not line.lstrip().startswith("<"):
            for run in CJK_RUN.findall(line):
                assert run in text, (path.name, line)


def test_mkdocs_admonitions_keep_their_tables():
    html = render_markdown((MANUALS_DIR / "jumpserver" / "user_list.md").read_text("utf-8")).html
    assert re.search(r'<div class="admonition tip">\s*<table>', html)
    assert "<td>MFA</td>" in html


def test_softwareguide_cross_references_hit_our_anchors():
    """The VuePress guide links to ``page.html#中文标题``; our anchors must match its slugs."""
    guide = MANUALS_DIR / "softwareGuide"
    anchors = {
        path.stem: {heading.anchor for heading in render_markdown(path.read_text("utf-8")).headings}
        for path in guide.glob("*.md")
    }
    found: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    for path in guide.glob("*.md"):
        for page, anchor in re.findall(r"\]\(([\w-]+)\.html#([^)\s]+)\)", path.read_text("utf-8")):
            (found if anchor in anchors[page] else missing).append((page, anchor))
    assert len(found) == 18  # the corpus is pinned (SOURCES.tsv), so this is exact
    # Both are broken in the source itself: neither page has such a heading.
    assert sorted(set(missing)) == [("inventory", "质量验收"), ("sale", "出库发货")]


def test_softwareguide_raw_images_go_through_the_resolver():
    calls: list[str] = []
    source = (MANUALS_DIR / "softwareGuide" / "base-config.md").read_text("utf-8")
    html = render_markdown(source, resolve_link=lambda t: calls.append(t) or "/files/x.png").html
    assert "\\baseConfig\\ckinfo\\1.1.png" in calls  # raw <img>, Windows-style path
    assert "/baseConfig/ckinfo/1.1.png" in calls  # Markdown link to the same figure
    assert "\\baseConfig" not in html
