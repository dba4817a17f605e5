"""The "what changed" comparison: blocks, words (Chinese too), chapters, caps, the macro."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import render_template_string

from lms.core.markdown import render_markdown
from lms.publishing.diff import (
    Block,
    ChapterText,
    DiffLimits,
    Segment,
    compare_versions,
    diff_words,
    extract_blocks,
    tokenize,
)

GUIDE = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "manuals-zh" \
    / "softwareGuide"


def chapter(slug: str, markdown: str, title: str | None = None) -> ChapterText:
    return ChapterText(slug, title or slug, render_markdown(markdown).html)


def only_chapter(old: str, new: str, **limits):
    """Compare one chapter's two Markdown versions; return its ChapterChange."""
    kwargs = {"limits": DiffLimits(**limits)} if limits else {}
    (change,) = compare_versions([chapter("c", old)], [chapter("c", new)], **kwargs)
    return change


# --------------------------------------------------------------------------- tokens

def test_tokenizer_splits_chinese_by_character_and_keeps_words_and_numbers_whole():
    assert tokenize("审批金额超过 50,000.00 元，见 SO-0003。") == [
        "审", "批", "金", "额", "超", "过", " ", "50,000.00", " ", "元", "，",
        "见", " ", "SO-0003", "。"]
    assert tokenize("Sales Order  v2.1 user_name (draft)") == [
        "Sales", " ", "Order", "  ", "v2.1", " ", "user_name", " ", "(", "draft", ")"]
    # Chinese right against Latin: the run stops at the first CJK character.
    assert tokenize("点击ERP按钮3次") == ["点", "击", "ERP", "按", "钮", "3", "次"]
    # Trailing punctuation is not part of the number; nothing is ever lost.
    assert tokenize("共 20,000.") == ["共", " ", "20,000", "."]
    text = "混合 text，带\t全角：（ＡＢＣ）and 1.5%…"
    assert "".join(tokenize(text)) == text


def test_two_character_chinese_change_shows_exactly_those_characters():
    segments, word_level = diff_words("采购订单金额超过两万元需要审批",
                                      "采购订单金额超过五万元需要经理审批")
    assert word_level
    assert segments == (
        Segment("equal", "采购订单金额超过"), Segment("delete", "两"), Segment("insert", "五"),
        Segment("equal", "万元需要"), Segment("insert", "经理"), Segment("equal", "审批"))


def test_changed_number_is_one_phrase_and_adjacent_words_merge():
    segments, _ = diff_words("审批金额超过 20,000 元", "审批金额超过 50,000 元")
    assert segments == (Segment("equal", "审批金额超过 "), Segment("delete", "20,000"),
                        Segment("insert", "50,000"), Segment("equal", " 元"))
    segments, _ = diff_words("approve orders over 20,000 yuan",
                             "approve orders above 50,000 yuan")
    assert segments == (Segment("equal", "approve orders "), Segment("delete", "over 20,000"),
                        Segment("insert", "above 50,000"), Segment("equal", " yuan"))


# --------------------------------------------------------------------------- blocks

def test_blocks_of_rendered_markdown():
    html = render_markdown(
        "# 销售 {#sales}\n\n说明[^1]和 **加粗**。\n\n| 单号 | 金额 |\n| --- | --- |\n"
        "| SO-1 | 100 |\n\n- 一\n    - 一点一\n\n```\nx = 1\n  y = 2\n```\n\n"
        "!!! warning \"注意\"\n    小心\n\n<img src=\"a/b.png\" alt=\"截图\">\n\n[^1]: 脚注。\n"
    ).html
    assert extract_blocks(html) == [
        Block("heading", "销售", 1, "sales"),
        Block("paragraph", "说明[1]和 加粗。"),
        Block("table_row", "单号 | 金额"),
        Block("table_row", "SO-1 | 100"),
        Block("list_item", "一"),
        Block("list_item", "一点一"),
        Block("code", "x = 1\n  y = 2"),
        Block("admonition_title", "注意"),
        Block("paragraph", "小心"),
        Block("image", "截图"),
        Block("footnote", "脚注。", anchor="fn:1"),
    ]


def test_heading_permalinks_are_not_text():
    """Published chapters carry a ``¶`` link in every heading (publishing.rendering)."""
    html = ('<h2 id="订单审批">订单审批<a class="headerlink" href="#订单审批" title="链接">¶</a>'
            "</h2>\n<p>正文。</p>")
    assert extract_blocks(html) == [Block("heading", "订单审批", 2, "订单审批"),
                                    Block("paragraph", "正文。")]


# --------------------------------------------------------------------------- chapters

def test_added_removed_changed_and_unchanged_chapters_in_the_new_order():
    old = [chapter("intro", "# 简介\n\n欢迎。"), chapter("legacy", "# 旧流程\n\n作废。"),
           chapter("sales", "# 销售\n\n订单需要审批。"), chapter("stock", "# 库存\n\n盘点。")]
    new = [chapter("intro", "# 简介\n\n欢迎。"), chapter("sales", "# 销售\n\n订单需要经理审批。"),
           chapter("finance", "# 财务\n\n记账。\n\n对账。"), chapter("stock", "# 库存\n\n盘点。")]
    changes = compare_versions(old, new)
    assert [(c.slug, c.status) for c in changes] == [
        ("intro", "unchanged"), ("legacy", "removed"), ("sales", "changed"),
        ("finance", "added"), ("stock", "unchanged")]
    removed, changed, added = changes[1], changes[2], changes[3]
    assert removed.title == "legacy" and removed.counts.removed == 2 and not removed.blocks
    assert added.old_title is None and added.counts.added == 3 and not added.blocks
    assert changed.counts.changed == 1 and changed.counts.total == 1
    (block,) = changed.blocks
    assert block.status == "changed" and block.inline == "订单需要<ins>经理</ins>审批。"
    assert block.context == Block("heading", "销售", 1, "销售")


def test_removed_chapter_at_the_start_stays_first():
    changes = compare_versions([chapter("a", "甲"), chapter("b", "乙")], [chapter("b", "乙")])
    assert [(c.slug, c.status) for c in changes] == [("a", "removed"), ("b", "unchanged")]


def test_renamed_and_formatting_only_chapters_are_changed_without_blocks():
    (renamed,) = compare_versions([chapter("a", "正文", "旧名")], [chapter("a", "正文", "新名")])
    assert renamed.status == "changed" and renamed.renamed and renamed.old_title == "旧名"
    change = only_chapter("点击 [确定](a.md) 按钮。", "点击 **[确定](b.md)** 按钮。")
    assert change.status == "changed" and change.formatting_only and not change.blocks


def test_duplicate_slugs_are_refused():
    with pytest.raises(ValueError):
        compare_versions([chapter("a", "x"), chapter("a", "y")], [])


def test_moved_paragraph_is_flagged_on_both_sides_and_counted_once():
    first, second, third = ("采购订单由采购员创建。", "订单提交后进入审批流程。",
                            "审批通过的订单可以收货入库。")
    change = only_chapter(f"# 采购\n\n{first}\n\n{second}\n\n{third}",
                          f"# 采购\n\n{second}\n\n{third}\n\n{first}")
    assert [(b.status, b.moved, b.block.text) for b in change.blocks] == [
        ("removed", True, first), ("added", True, first)]
    assert change.counts.moved == 1 and change.counts.added == change.counts.removed == 0


def test_changed_table_row_is_one_block_with_a_cell_level_diff():
    table = "# 审批\n\n| 单据 | 限额 | 审批人 |\n| --- | --- | --- |\n| 采购订单 | {} | 经理 |\n" \
            "| 销售订单 | 信用额度 | 销售经理 |\n"
    change = only_chapter(table.format("20,000"), table.format("50,000"))
    (block,) = change.blocks
    assert block.kind == "table_row" and block.status == "changed"
    assert block.old.text == "采购订单 | 20,000 | 经理"
    assert block.inline == "采购订单 | <del>20,000</del><ins>50,000</ins> | 经理"
    assert block.old_side == "采购订单 | <del>20,000</del> | 经理"
    assert block.new_side == "采购订单 | <ins>50,000</ins> | 经理"


def test_dissimilar_replacement_is_a_deletion_plus_an_insertion():
    change = only_chapter("# 发货\n\n库存不足时不能发货。", "# 发货\n\n仓库每月底盘点一次。")
    assert [b.status for b in change.blocks] == ["removed", "added"]
    assert change.blocks[0].new_side == "" and change.blocks[1].old_side == ""


def test_changed_block_carries_the_nearest_heading_of_the_new_version():
    old = "# 销售\n\n概述。\n\n## 订单审批\n\n金额超过限额需要审批。\n\n### 发货\n\n发货。"
    new = old.replace("订单审批", "订单的审批").replace("限额", "信用额度")
    change = only_chapter(old, new)
    heading, paragraph = change.blocks
    assert heading.kind == "heading" and heading.new.anchor == "订单的审批"
    assert heading.context == Block("heading", "销售", 1, "销售")
    assert paragraph.context == Block("heading", "订单的审批", 2, "订单的审批")
    assert paragraph.inline == "金额超过<del>限额</del><ins>信用额度</ins>需要审批。"


def test_deleted_block_gets_the_heading_where_it_was():
    change = only_chapter("# 甲\n\n## 乙\n\n这一段将被删除掉。\n\n## 丙\n\n留。",
                          "# 甲\n\n## 乙\n\n## 丙\n\n留。")
    (block,) = change.blocks
    assert block.status == "removed" and block.context.anchor == "乙"


def test_text_is_escaped_in_every_form():
    html = "<p>在 &lt;script&gt;alert('x')&lt;/script&gt; 之后 &amp; 之前</p>"
    (change,) = compare_versions([ChapterText("c", "c", "<p>旧</p>")],
                                 [ChapterText("c", "c", html)])
    block = change.blocks[-1]
    assert block.status == "added"
    assert block.new.text == "在 <script>alert('x')</script> 之后 & 之前"
    for markup in (block.inline, block.new_side, block.inline_html("<b>", "<i>")):
        assert "<script>" not in markup and "&lt;script&gt;" in str(markup)
    assert "&amp; 之前" in block.new_side
    # Labels are escaped too unless they are Markup already (translations from Jinja are).
    assert '<span class="visually-hidden mdiff-label">&lt;i&gt; </span>' in \
        block.inline_html("<b>", "<i>")


def test_pathological_chapter_is_capped_not_hung():
    # Alternating blocks make SequenceMatcher cubic: ~5 s for 1,000 blocks without the cap.
    old = "\n\n".join(str(i % 2) for i in range(6000))
    new = "\n\n".join(str(i % 3) for i in range(6000))
    started = time.perf_counter()
    change = only_chapter(old, new)
    assert time.perf_counter() - started < 10  # generous: a hang would take minutes
    assert change.status == "changed" and change.simplified


def test_over_budget_chapter_still_aligns_on_unique_blocks():
    old = "\n\n".join(f"第 {i} 段内容" for i in range(40))
    new = old.replace("第 7 段内容", "第 7 段新内容").replace("第 30 段内容\n\n", "")
    change = only_chapter(old, new, max_blocks=10)
    assert change.simplified
    # Blocks only: the edited paragraph is a deletion plus an insertion, no word diff.
    assert [(b.status, b.block.text) for b in change.blocks] == [
        ("removed", "第 7 段内容"), ("added", "第 7 段新内容"), ("removed", "第 30 段内容")]


def test_over_budget_word_diff_falls_back_to_one_deletion_and_insertion():
    old, new = "甲乙丙丁戊己庚辛", "甲乙X丙丁Y戊己庚辛"
    segments, word_level = diff_words(old, new, limits=DiffLimits(max_item_work=1))
    assert not word_level
    # The common start and end are still kept around one deletion and one insertion.
    assert segments == (Segment("equal", "甲乙"), Segment("delete", "丙丁"),
                        Segment("insert", "X丙丁Y"), Segment("equal", "戊己庚辛"))
    assert diff_words(old, new) == ((Segment("equal", "甲乙"), Segment("insert", "X"),
                                     Segment("equal", "丙丁"), Segment("insert", "Y"),
                                     Segment("equal", "戊己庚辛")), True)


# --------------------------------------------------------------------------- real manual

def test_real_chinese_chapter_with_one_sentence_changed_and_one_paragraph_deleted():
    source = (GUIDE / "purchase.md").read_text(encoding="utf-8")
    sentence = "需要从此模块添加要采购的产品，并完成采购订单。"
    deleted = ("当您填写了 **生产批号**、**生产日期**、**有效期** 这三项之后，在 **质量验收** "
               "模块中，系统会自动帮您填充上此信息。")
    assert source.count(sentence) == 1 and source.count(deleted) == 1
    changed = source.replace(sentence, "需要从此模块添加要采购的产品，并提交采购订单。")
    changed = changed.replace(deleted + "\n", "")
    (change,) = compare_versions([chapter("purchase", source, "采购管理")],
                                 [chapter("purchase", changed, "采购管理")])
    assert change.status == "changed" and not change.simplified
    assert (change.counts.changed, change.counts.removed, change.counts.added) == (1, 1, 0)
    edited, removed = change.blocks
    assert edited.segments == (
        Segment("equal", "需要从此模块添加要采购的产品，并"), Segment("delete", "完成"),
        Segment("insert", "提交"), Segment("equal", "采购订单。"))
    assert edited.context.text == "采购下单" and edited.context.anchor == "采购下单"
    assert removed.status == "removed"
    assert removed.old.text == ("当您填写了 生产批号、生产日期、有效期 这三项之后，在 质量验收 "
                                "模块中，系统会自动帮您填充上此信息。")
    assert removed.context.text == "添加采购产品"


def test_whole_real_guide_against_itself_is_unchanged():
    chapters = [chapter(path.stem, path.read_text(encoding="utf-8"))
                for path in sorted(GUIDE.glob("*.md"))]
    assert chapters
    assert {c.status for c in compare_versions(chapters, chapters)} == {"unchanged"}


# --------------------------------------------------------------------------- the macro

MACRO = ('{% from "publishing/_diff.html" import chapter_changes %}'
         '{{ chapter_changes(changes, "1.0", "1.1", chapter_url, layout) }}')


def chapter_url(slug: str, anchor: str | None = None) -> str:
    return f"/manuals/erp/latest/{slug}" + (f"#{anchor}" if anchor else "")


@pytest.fixture
def sample_changes():
    old = [chapter("purchasing", "# 采购\n\n## 审批\n\n采购订单金额超过两万元需要审批。\n\n"
                   "旧的 `<b>` 说明段落<script>x</script>。", "采购"),
           chapter("legacy", "# 旧流程\n\n作废。", "旧流程"),
           chapter("intro", "# 简介", "简介")]
    new = [chapter("intro", "# 简介", "简介"),
           chapter("purchasing", "# 采购\n\n## 审批\n\n采购订单金额超过五万元需要经理审批。",
                   "采购"),
           chapter("finance", "# 财务\n\n记账。", "财务")]
    return compare_versions(old, new)


@pytest.mark.parametrize("layout", ["inline", "side"])
def test_macro_renders_badges_links_and_changes(app, monkeypatch, sample_changes, layout):
    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    with app.test_request_context():
        html = render_template_string(MACRO, changes=sample_changes, chapter_url=chapter_url,
                                      layout=layout)
    for badge in ("Unchanged", "Changed", "Chapter removed", "New chapter"):
        assert f">{badge}</span>" in html
    assert '<a href="/manuals/erp/latest/purchasing">采购</a>' in html
    assert '<a href="/manuals/erp/latest/finance">财务</a>' in html
    assert 'href="/manuals/erp/latest/legacy"' not in html  # a removed chapter has no page
    assert 'under “<a href="/manuals/erp/latest/purchasing#审批">审批</a>”' in html
    assert "1 block changed · 1 block deleted" in html
    hidden_del = '<del><span class="visually-hidden mdiff-label">deleted: </span>两</del>'
    hidden_ins = '<ins><span class="visually-hidden mdiff-label">inserted: </span>五</ins>'
    assert hidden_del in html and hidden_ins in html
    assert "&lt;b&gt;" in html and "<script>" not in html
    if layout == "side":
        assert "Version 1.0" in html and "Version 1.1" in html and "mdiff-sides" in html
        # The old column has deletions only, the new one insertions only.
        old_column = html.split('class="mdiff-side mdiff-old"')[1].split("mdiff-new")[0]
        assert "<del>" in old_column and "<ins>" not in old_column
    else:
        assert "mdiff-sides" not in html
        assert f"采购订单金额超过{hidden_del}{hidden_ins}万元需要" in html


def test_macro_in_chinese(app, sample_changes):
    with app.test_request_context():
        html = render_template_string(MACRO, changes=sample_changes, chapter_url=chapter_url,
                                      layout="inline")
    assert "<del>" in html and "<ins>" in html and "mdiff-badge-removed" in html


def test_stylesheet_marks_changes_without_relying_on_colour():
    css = (Path(__file__).resolve().parents[2] / "lms" / "static" / "css"
           / "manual-diff.css").read_text(encoding="utf-8")
    assert "line-through" in css and "underline" in css and "@media (min-width" in css
