"""Question import: preview (new/update/unchanged/rejected with reasons), partial imports only
when confirmed, encodings, the GIFT corpus, Moodle XML exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.assessment.gift import GiftError, parse_gift
from lms.assessment.importing import (
    ImportPreview,
    QuestionFileError,
    apply_import,
    decode_gift_bytes,
    detect_format,
    preview_import,
)
from lms.assessment.models import Question, QuestionBank, QuestionVersion
from lms.assessment.services import find_bank

DATA = Path(__file__).parent / "data"
GIFT_FILE = DATA / "all_constructs.zh.gift"
BAD_GIFT = DATA / "one_bad_question.zh.gift"
XML_FILE = DATA / "moodle_all_types.zh.xml"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "gift-peg"


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for assertions on their wording (the default locale is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()


def stored(bank_name: str) -> dict[tuple[str, str], QuestionVersion]:
    bank = find_bank(bank_name)
    questions = [] if bank is None else bank_questions_of(bank)
    return {(q.category.name, q.title): q.current_version for q in questions}


def bank_questions_of(bank: QuestionBank) -> list[Question]:
    from lms.extensions import db

    return list(db.session.scalars(select(Question).where(Question.bank_id == bank.id)))


def count_rows(model) -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_gift_preview_lists_every_question_as_new():
    preview = preview_import(GIFT_FILE.read_bytes(), GIFT_FILE.name, "ERP 基础")
    assert preview.format == "gift" and not preview.has_problems
    assert [(e.index, e.title, e.kind, e.category, e.status) for e in preview.entries] == [
        (1, "订单状态", "single_choice", "基础/单选", "new"),
        (2, "多选权重", "multiple_choice", "基础/单选", "new"),
        (3, "负库存", "true_false", "基础/判断", "new"),
        (4, "凭证平衡", "true_false", "基础/判断", "new"),
        (5, "全称", "short_answer", "基础/填空", "new"),
        (6, "缺词", "short_answer", "基础/填空", "new"),
        (7, "税额", "numeric", "基础/数值", "new"),
        (8, "区间", "numeric", "基础/数值", "new"),
        (9, "多个数值答案", "numeric", "基础/数值", "new"),
        (10, "配对", "matching", "基础/其他", "new"),
        (11, "问答", "essay", "基础/其他", "new"),
        (12, "说明", "description", "基础/其他", "new"),
        (13, "转义 : 冒号", "single_choice", "基础/其他", "new"),
    ]
    assert preview.entries[0].line == 7 and preview.entries[0].tags == ["销售", "订单"]
    assert preview.kinds() == {"single_choice": 2, "multiple_choice": 1, "true_false": 2,
                               "short_answer": 2, "numeric": 3, "matching": 1, "essay": 1,
                               "description": 1}


def test_gift_import_stores_chinese_text_and_every_construct(db):
    result = apply_import(GIFT_FILE.read_bytes(), "ERP 基础", filename="q.gift")
    db.session.commit()
    assert (result.created, result.updated, result.unchanged, result.rejected) == (13, 0, 0, [])
    versions = stored("ERP 基础")
    choice = versions[("基础/单选", "订单状态")]
    assert choice.data["choices"][2] == {"id": "c3", "text": "已关闭", "fraction": -50.0,
                                         "feedback": "关闭的订单不能再处理。"}
    assert choice.general_feedback == "销售订单：新建 → 审批 → 发货。"
    assert versions[("基础/判断", "负库存")].data == {
        "correct": False, "feedback_right": "对。", "feedback_wrong": "错：出库前会检查库存。"}
    assert versions[("基础/数值", "区间")].data["answers"] == [
        {"value": 100.0, "tolerance": 10.0, "fraction": 100.0, "feedback": ""}]
    assert versions[("基础/数值", "多个数值答案")].data["wrong_feedback"] == "请用 1000 × 13% 计算"
    assert versions[("基础/其他", "配对")].data["pairs"][3] == {"id": "p4", "question": "",
                                                                "answer": "人力资源"}
    escaped = versions[("基础/其他", "转义 : 冒号")]
    assert escaped.text == ("特殊字符：波浪号 ~、等号 =、井号 #、大括号 { }、冒号 :、反斜杠 \\ "
                            "与换行\n第二行。")
    assert escaped.data["choices"][0]["text"] == "答案里的 = 与 # 都是字面字符"
    assert versions[("基础/填空", "缺词")].text == "采购订单必须经过 _____ 才能发给供应商。"
    question = db.session.scalar(select(Question).where(Question.title == "订单状态"))
    assert question.tags == ["销售", "订单"]


def test_reimporting_the_same_file_changes_nothing(db):
    apply_import(GIFT_FILE.read_bytes(), "ERP 基础", filename="q.gift")
    versions_before = count_rows(QuestionVersion)
    preview = preview_import(GIFT_FILE.read_bytes(), "q.gift", "ERP 基础")
    assert {e.status for e in preview.entries} == {"unchanged"}
    result = apply_import(preview, "ERP 基础")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 13)
    assert count_rows(QuestionVersion) == versions_before


def test_a_changed_question_is_an_update(db):
    apply_import(BAD_GIFT.read_bytes(), "测验", accept_partial=True, filename="bad.gift")
    changed = BAD_GIFT.read_text().replace("{TRUE}", "{FALSE}")
    preview = preview_import(changed.encode(), "bad.gift", "测验")
    assert [(e.title, e.status) for e in preview.entries] == [
        ("好题一", "unchanged"), ("坏题", "rejected"), ("好题二", "update")]
    result = apply_import(preview, "测验", accept_partial=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert stored("测验")[("测验/第一章", "好题二")].number == 2


def test_one_bad_gift_question_is_rejected_with_its_line(english):
    preview = preview_import(BAD_GIFT.read_bytes(), BAD_GIFT.name, "测验")
    assert preview.has_problems
    assert [(e.index, e.title, e.status, e.line) for e in preview.entries] == [
        (1, "好题一", "new", 4), (2, "坏题", "rejected", 6), (3, "好题二", "new", 8)]
    assert preview.entries[1].reason == "answer weight %abc% is not a number"
    assert preview.entries[1].category == "测验/第一章"


def test_apply_refuses_a_file_with_problems_unless_confirmed(db):
    preview = preview_import(BAD_GIFT.read_bytes(), BAD_GIFT.name, "测验")
    with pytest.raises(ValueError):
        apply_import(preview, "测验")
    with pytest.raises(ValueError):
        apply_import(BAD_GIFT.read_bytes(), "测验", filename=BAD_GIFT.name)
    assert find_bank("测验") is None and count_rows(Question) == 0

    result = apply_import(preview, "测验", accept_partial=True)
    db.session.commit()
    assert result.counts == {"single_choice": 1, "true_false": 1}
    assert [e.title for e in result.rejected] == ["坏题"]
    assert sorted(stored("测验")) == [("测验/第一章", "好题一"), ("测验/第一章", "好题二")]


def test_a_blank_line_inside_braces_is_one_rejected_question(english):
    text = "::前::第一题{TRUE}\n\n::断开::题干{\n=甲\n\n~乙\n}\n\n::后::第三题{FALSE}\n"
    preview = preview_import(text.encode(), "x.gift")
    assert [(e.title, e.status, e.line) for e in preview.entries] == [
        ("前", "new", 1), ("断开", "rejected", 3), ("后", "new", 9)]
    assert "blank line inside the answer block" in preview.entries[1].reason


def test_an_unclosed_brace_does_not_swallow_the_questions_after_it():
    text = "::坏::题干{=甲 ~乙\n\n::好一::{TRUE}题\n\n::好二::第二{FALSE}\n"
    preview = preview_import(text.encode(), "x.gift")
    assert [(e.title, e.status) for e in preview.entries] == [
        ("坏", "rejected"), ("好一", "new"), ("好二", "new")]


def test_questions_under_an_unreadable_category_are_rejected(english):
    text = ("$CATEGORY: 甲\n::紧跟::{TRUE}\n\n::下一题::题干{TRUE}\n\n"
            "$CATEGORY: 乙\n\n::乙题::题{T}\n")
    preview = preview_import(text.encode(), "x.gift")
    assert [(e.title, e.kind, e.status, e.category) for e in preview.entries] == [
        ("$CATEGORY: 甲", "category", "rejected", "默认"),
        ("下一题", "", "rejected", "默认"),
        ("乙题", "true_false", "new", "乙")]
    assert preview.entries[0].reason == "$CATEGORY must be followed by a blank line"
    assert preview.entries[1].reason == "it follows the unreadable $CATEGORY line 1"


def test_shared_checks(english):
    text = ("::同名::第一{TRUE}\n\n::同名::第二{FALSE}\n\n"
            "::权重::多选{~%50%甲 ~%40%乙 ~丙}\n\n"
            "::没题干::{TRUE}\n\n"
            "没有标题的题目，标题取自题干的开头部分，最多四十个字符，后面的就截掉了，再补几个字让它够长{TRUE}\n\n"
            "没有标题的题目，标题取自题干的开头部分，最多四十个字符，后面的就截掉了，再补几个字让它够长{FALSE}\n\n"
            f"::{'长' * 201}::题干{{TRUE}}\n")
    preview = preview_import(text.encode(), "x.gift")
    assert [(e.status, e.reason) for e in preview.entries] == [
        ("new", ""),
        ("rejected", "question no. 1 of this file has the same title in the same category"),
        ("rejected", "the positive weights of this multiple-answer question add up to 90%, "
                     "not 100%"),
        ("rejected", "the question has no text"),
        ("new", ""),
        ("new", ""),
        ("rejected", "the title is longer than 200 characters"),
    ]
    made_up = "没有标题的题目，标题取自题干的开头部分，最多四十个字符，后面的就截掉了，再补几个"
    assert len(made_up) == 40
    made_up += "…"
    assert [e.title for e in preview.entries[4:6]] == [made_up, made_up + " (2)"]


def test_weights_that_round_to_100_are_fine():
    text = "::三分::选{~%33.33333%甲 ~%33.33333%乙 ~%33.33333%丙 ~%-100%丁}\n"
    assert not preview_import(text.encode(), "x.gift").has_problems


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_gift_encodings(encoding):
    data = GIFT_FILE.read_text(encoding="utf-8").encode(encoding)
    preview = preview_import(data, "q.gift")
    expected = preview_import(GIFT_FILE.read_bytes(), "q.gift")
    assert [e.question for e in preview.entries] == [e.question for e in expected.entries]
    assert preview.entries[0].title == "订单状态"


def test_unreadable_bytes_are_a_file_error():
    with pytest.raises(QuestionFileError):
        decode_gift_bytes(bytes(range(256)))


def test_format_from_content_when_the_name_says_nothing():
    assert preview_import(XML_FILE.read_bytes(), "").format == "moodle_xml"
    assert preview_import(GIFT_FILE.read_bytes(), "upload").format == "gift"


def test_moodle_xml_preview_and_import(db, english):
    preview = preview_import(XML_FILE.read_bytes(), XML_FILE.name, "ERP101")
    assert preview.format == "moodle_xml" and preview.has_problems
    assert [(e.index, e.status) for e in preview.entries] == [
        (index, "rejected" if 9 <= index <= 13 else "new") for index in range(1, 15)]
    first = preview.entries[0]
    assert (first.title, first.category, first.line) == ("订单审批", "Default for ERP101/销售管理",
                                                         26)
    # Its image is imported with it: listed, and no problem.
    assert (first.reason, first.image_names, preview.image_count) == ("", ["订单流程.png"], 1)
    with pytest.raises(ValueError):
        apply_import(preview, "ERP101")
    assert count_rows(Question) == 0

    result = apply_import(preview, "ERP101", accept_partial=True)
    assert result.counts == {"single_choice": 1, "multiple_choice": 1, "true_false": 1,
                             "short_answer": 2, "numeric": 1, "matching": 1, "essay": 1,
                             "description": 1}
    assert [e.title for e in result.rejected] == ["折旧计算", "拖放填空", "完形填空", "随机题",
                                                  "没有正确答案"]
    versions = stored("ERP101")
    assert versions[("Default for ERP101/销售管理", "主数据（多选）")].data["choices"][0][
        "fraction"] == 33.33333
    question = db.session.scalar(select(Question).where(Question.title == "订单审批"))
    assert question.tags == ["销售", "信用管理"]


def test_broken_xml_is_a_file_error(english):
    with pytest.raises(QuestionFileError, match="line 3: The XML is not well-formed"):
        preview_import(b"<?xml version='1.0'?>\n<quiz>\n<question></quiz>", "x.xml")


def test_only_problems_with_reasons():
    preview = ImportPreview("gift", [])
    assert not preview.has_problems and preview.kinds() == {}


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.gift")), ids=lambda p: p.name)
def test_gift_corpus_previews_without_crashing(path):
    data = path.read_bytes()
    preview = preview_import(data, path.name, "corpus")
    try:
        expected = len(parse_gift(decode_gift_bytes(data)))
    except GiftError:
        expected = None
    if expected is not None:
        assert len(preview.entries) == expected
    for entry in preview.entries:
        assert entry.title
        assert entry.status in ("new", "rejected")
        assert (entry.status == "rejected") <= bool(entry.reason)


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"<?xml version='1.0'?><quiz/>", "export.txt", "moodle_xml"),
    ("<?xml version='1.0'?><quiz/>".encode("utf-16"), "", "moodle_xml"),
    ("\ufeff<quiz></quiz>".encode("utf-16-be"), "", "moodle_xml"),
    ("::题::{TRUE}".encode("utf-16-be"), "", "gift"),
    ("::题::{TRUE}".encode("utf-16"), "moodle-export.txt", "gift"),
    (b"<quiz/>", "bank.gift", "gift"),
])
def test_detect_format(data, name, expected):
    assert detect_format(data, name) == expected


def test_embedded_files_named_in_gift_are_reported(english):
    text = ('::图::[html]<p>看图：<img src\\="@@PLUGINFILE@@/%E5%9B%BE.png"></p>{\n'
            '=<p>甲</p>#<a href\\="@@PLUGINFILE@@/说明.pdf">说明</a>\n~乙\n}\n')
    entry = preview_import(text.encode(), "x.gift").entries[0]
    assert (entry.status, entry.question.text) == ("new", "<p>看图：</p>")
    assert entry.question.answers[0].feedback == "<a>说明</a>"
    assert entry.reason == (
        "embedded file 图.png is not imported (upload it to the course and link it); "
        "embedded file 说明.pdf is not imported (upload it to the course and link it)")


def test_an_update_without_a_preview_bank_counts_as_update():
    apply_import(BAD_GIFT.read_bytes(), "测验", accept_partial=True, filename="bad.gift")
    changed = BAD_GIFT.read_text().replace("{TRUE}", "{FALSE}").encode()
    preview = preview_import(changed, "bad.gift")  # no bank named: every entry says "new"
    result = apply_import(preview, "测验", accept_partial=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
