"""Bank export as GIFT and Moodle XML: re-importing an export gives the same content hashes,
Chinese and every special character survive, and what GIFT cannot carry is named."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.assessment.convert import VersionFields
from lms.assessment.exporting import (
    bank_to_gift,
    bank_to_moodle_xml,
    export_bank,
    gift_warnings,
    number_text,
)
from lms.assessment.gift import parse_gift
from lms.assessment.importing import apply_import, preview_import
from lms.assessment.models import Question, QuestionImage
from lms.assessment.services import find_bank, get_or_create_bank, save_question, version_fields_of

DATA = Path(__file__).parent / "data"
GIFT_FILE = DATA / "all_constructs.zh.gift"
XML_FILE = DATA / "moodle_all_types.zh.xml"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "gift-peg"


def hashes(bank_name: str) -> dict[tuple[str, str], str]:
    """Content hashes of the bank's questions, with image ids replaced by the images' sha256:
    every bank keeps its own copy of an image, so the ids differ from bank to bank."""
    from lms.extensions import db

    def portable(version) -> str:
        fields = version_fields_of(version)
        if "question-image:" not in repr(fields):
            return version.content_hash
        sha = dict(db.session.execute(select(QuestionImage.id, QuestionImage.sha256)).all())
        text = re.sub(r"question-image:(\d+)/", lambda m: f"question-image:{sha[int(m[1])]}/",
                      fields.text)
        return VersionFields(fields.kind, text, fields.text_format, fields.data,
                             fields.general_feedback).content_hash()

    bank = find_bank(bank_name)
    questions = db.session.scalars(select(Question).where(Question.bank_id == bank.id))
    return {(q.category.name, q.title): portable(q.current_version) for q in questions}


def import_into(bank_name: str, data: bytes, filename: str) -> None:
    apply_import(data, bank_name, accept_partial=True, filename=filename)


def round_trip(source_bank: str, file_format: str) -> dict[tuple[str, str], str]:
    """Export ``source_bank`` and import the file into a new bank; that bank's hashes."""
    bank = find_bank(source_bank)
    if file_format == "gift":
        import_into(source_bank + " 副本", bank_to_gift(bank).encode("utf-8"), "copy.gift")
    else:
        import_into(source_bank + " 副本", bank_to_moodle_xml(bank), "copy.xml")
    return hashes(source_bank + " 副本")


@pytest.mark.parametrize("file_format", ["gift", "moodle_xml"])
@pytest.mark.parametrize("source", [GIFT_FILE, XML_FILE], ids=["from-gift", "from-xml"])
def test_reimporting_an_export_gives_the_same_questions(source, file_format):
    import_into("原题库", source.read_bytes(), source.name)
    original = hashes("原题库")
    assert len(original) in (13, 9)
    copy = round_trip("原题库", file_format)
    if source == XML_FILE and file_format == "gift":
        # GIFT carries no image bytes (its export says so): into another bank, the question
        # comes back without its image.
        with_image = ("Default for ERP101/销售管理", "订单审批")
        assert copy.pop(with_image) != original.pop(with_image)
    assert copy == original


@pytest.mark.parametrize("file_format", ["gift", "moodle_xml"])
def test_the_gift_corpus_survives_both_formats(file_format):
    for number, path in enumerate(sorted(CORPUS.glob("*.gift"))):
        import_into(f"c{number}", path.read_bytes(), path.name)
        if find_bank(f"c{number}") is not None:
            assert round_trip(f"c{number}", file_format) == hashes(f"c{number}"), path.name


TRICKY_TEXTS = [
    "[html]像格式标签开头的文字",
    "行首 // 不是注释\n// 这一行也不是\n\n空行之后的第二段",
    "反斜杠 \\ 和 \\n 字面量，还有 \\\\ 两个",
    "$CATEGORY: 不是类别",
    "::不是标题:: 以及 ####、~、=、#、{、}、: 与 -> 箭头",
    "  前面的空格会被去掉？不会，只有首尾。中间  两个空格保留\t制表符",
    "CDATA 结束符 ]]> 与 <b>标签</b> & 符号",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
@pytest.mark.parametrize("file_format", ["gift", "moodle_xml"])
def test_special_characters_round_trip(text, file_format):
    text = text.strip()
    bank = get_or_create_bank("特殊字符")
    fields = [
        VersionFields("single_choice", text, "moodle", {"choices": [
            {"id": "c1", "text": text, "fraction": 100.0, "feedback": text},
            {"id": "c2", "text": "[plain]" + text, "fraction": -33.5, "feedback": ""}]}, text),
        VersionFields("true_false", text, "html", {
            "correct": True, "feedback_right": "", "feedback_wrong": text}, ""),
        VersionFields("short_answer", text, "markdown", {"answers": [
            {"text": "答案 " + text.replace("->", "→"), "fraction": 100.0, "feedback": ""},
            {"text": "零分", "fraction": 0.0, "feedback": text.replace("->", "→")}]}, ""),
        VersionFields("numeric", text, "plain", {"answers": [
            {"value": -0.00001, "tolerance": 1e-7, "fraction": 100.0, "feedback": text},
            {"value": 12345678.9, "tolerance": 0.0, "fraction": 12.5, "feedback": ""}],
            "wrong_feedback": text}, text),
        VersionFields("matching", text, "moodle", {"pairs": [
            {"id": "p1", "question": text.replace("->", "→"), "answer": text},
            {"id": "p2", "question": "乙", "answer": "二"},
            {"id": "p3", "question": "", "answer": "干扰项"}]}, ""),
        VersionFields("essay", text, "html", {}, text),
        VersionFields("description", text, "markdown", {}, ""),
    ]
    for number, field in enumerate(fields):
        save_question(bank, "类别/子类 ~ = #", f"题 {number} :: {text[:10].strip()}", field)
    assert round_trip("特殊字符", file_format) == hashes("特殊字符")


def test_gift_export_reads_like_a_person_wrote_it():
    import_into("ERP 基础", GIFT_FILE.read_bytes(), GIFT_FILE.name)
    exported = bank_to_gift(find_bank("ERP 基础"))
    assert exported.startswith("// ERP 基础: exported from Praxis\n")
    assert "$CATEGORY: $course$/top/基础/单选\n" in exported
    assert ("// [tag:销售] [tag:订单]\n::订单状态::新建的销售订单，审批前处于什么状态？{\n"
            "=待审批#正确：先审批再发货。\n~已发货#不对，还没审批。\n"
            "~%-50%已关闭#关闭的订单不能再处理。\n####销售订单：新建 → 审批 → 发货。\n}\n"
            ) in exported
    assert "::负库存::系统允许库存为负数。{FALSE#错：出库前会检查库存。#对。}" in exported
    assert "::区间::安全库存设在 90 到 110 之间都算对：{#\n=100:10\n}" in exported
    assert "::说明::[markdown]以下题目考查 **总账** 模块。\n" in exported
    assert ("\\~、等号 \\=、井号 \\#、大括号 \\{ \\}、冒号 \\:、反斜杠 \\\\ 与换行\\n第二行"
            in exported)
    assert len(parse_gift(exported)) == 13


def test_moodle_xml_export_has_moodles_shape():
    import_into("ERP101", XML_FILE.read_bytes(), XML_FILE.name)
    exported = bank_to_moodle_xml(find_bank("ERP101"))
    assert exported.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    root = ET.fromstring(exported)
    assert [q.get("type") for q in root] == [
        "category", "multichoice", "multichoice", "truefalse", "shortanswer", "category",
        "numerical", "matching", "essay", "description", "shortanswer"]
    assert root[0].findtext("category/text") == "$course$/top/Default for ERP101/销售管理"
    choice = root[1]
    assert choice.findtext("name/text") == "订单审批"
    assert choice.find("questiontext").get("format") == "html"
    assert choice.findtext("single") == "true"
    assert [(a.get("fraction"), a.findtext("text")) for a in choice.findall("answer")][0] == (
        "100", "<p>进入待审批状态</p>")
    assert [t.findtext("text") for t in choice.findall("tags/tag")] == ["销售", "信用管理"]
    assert "<text><![CDATA[<p>客户的<strong>信用额度</strong>" in exported.decode("utf-8")
    numeric = root[6]
    assert [(a.findtext("text"), a.findtext("tolerance")) for a in numeric.findall("answer")] \
        == [("130", "0.5"), ("1130", "0"), ("*", "0")]
    true_false = root[3]
    assert [(a.findtext("text"), a.get("fraction"), a.findtext("feedback/text"))
            for a in true_false.findall("answer")] == [
        ("true", "0", "错了：负库存会被拒绝。"), ("false", "100", "对：系统拒绝负库存。")]


def test_what_gift_cannot_carry_is_named(english):
    bank = get_or_create_bank("警告")
    save_question(bank, None, "多选一对", VersionFields("multiple_choice", "选", "moodle", {
        "choices": [{"id": "c1", "text": "甲", "fraction": 100.0, "feedback": ""},
                    {"id": "c2", "text": "乙", "fraction": -50.0, "feedback": ""}]}, ""))
    save_question(bank, None, "箭头", VersionFields("short_answer", "填", "moodle", {
        "answers": [{"text": "a->b", "fraction": 100.0, "feedback": ""}]}, ""))
    export = export_bank(bank, "gift")
    assert export.count == 2
    assert export.warnings == [
        "默认/多选一对: GIFT reads a multiple-answer question with one right answer back as "
        "single-answer",
        "默认/箭头: GIFT reads -> in a short answer as a matching pair"]
    assert export_bank(bank, "moodle_xml").warnings == []


def test_warnings_for_matching_and_descriptions(english):
    matching = parse_gift("::配::题{=甲 -> 一 =乙 -> 二 =丙 -> 三}")[0]
    matching.matches[0].question = "a->b"
    assert gift_warnings(matching) == ["GIFT cannot write -> on the left of a matching pair"]
    description = parse_gift("说明")[0]
    description.general_feedback = "反馈"
    assert gift_warnings(description) == ["GIFT has no general feedback for a description"]


def test_archived_questions_are_not_exported():
    import_into("归档", GIFT_FILE.read_bytes(), GIFT_FILE.name)
    bank = find_bank("归档")
    question = bank_questions_first(bank)
    question.archived = True
    assert export_bank(bank, "gift").count == 12


def bank_questions_first(bank) -> Question:
    from lms.extensions import db

    return db.session.scalars(select(Question).where(Question.bank_id == bank.id)
                              .order_by(Question.id)).first()


@pytest.mark.parametrize(("value", "text"), [
    (100.0, "100"), (1e-05, "0.00001"), (-2.5, "-2.5"), (33.33333, "33.33333"),
    (1e20, "100000000000000000000"), (0.0, "0")])
def test_numbers_are_written_exactly(value, text):
    assert number_text(value) == text
    assert float(text) == value


def test_preview_of_an_export_into_its_own_bank_is_all_unchanged():
    import_into("自身", XML_FILE.read_bytes(), XML_FILE.name)
    bank = find_bank("自身")
    for data, name in ((bank_to_gift(bank).encode(), "x.gift"),
                       (bank_to_moodle_xml(bank), "x.xml")):
        preview = preview_import(data, name, "自身")
        assert {entry.status for entry in preview.entries} == {"unchanged"}, name


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for assertions on their wording (the default locale is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()
