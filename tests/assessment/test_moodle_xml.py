"""Moodle XML reader: every supported type from a Moodle-shaped export, in Chinese; what it
reports instead of importing; files it refuses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lms.assessment.moodle_xml import XmlFileError, category_path, parse_moodle_xml

DATA = Path(__file__).parent / "data"
ALL_TYPES = DATA / "moodle_all_types.zh.xml"


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for assertions on their wording (the default locale is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()


def quiz(*questions: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return (declaration + "\n<quiz>\n" + "\n".join(questions) + "\n</quiz>\n").encode("utf-8")


def question(qtype: str, body: str, name: str = "题目", text: str = "<p>题干</p>",
             text_format: str = "html") -> str:
    return (f'<question type="{qtype}"><name><text>{name}</text></name>'
            f'<questiontext format="{text_format}"><text><![CDATA[{text}]]></text></questiontext>'
            f"{body}</question>")


def answer(fraction: str, text: str, feedback: str = "", text_format: str = "html") -> str:
    return (f'<answer fraction="{fraction}" format="{text_format}"><text><![CDATA[{text}]]>'
            f'</text><feedback format="html"><text><![CDATA[{feedback}]]></text></feedback>'
            "</answer>")


def test_every_supported_type_of_a_moodle_export():
    parsed = parse_moodle_xml(ALL_TYPES.read_bytes())
    by_title = {q.title: q for q in parsed.questions}
    assert [q.kind for q in parsed.questions] == [
        "single_choice", "multiple_choice", "true_false", "short_answer", "numeric",
        "matching", "essay", "description", "short_answer"]

    choice = by_title["订单审批"]
    assert choice.category == "Default for ERP101/销售管理"
    assert choice.text_format == "html"
    assert [(a.text, a.fraction) for a in choice.answers] == [
        ("<p>进入待审批状态</p>", 100.0), ("<p>直接发货</p>", 0.0),
        ("<p>自动取消 &amp; 通知客户</p>", 0.0)]
    assert choice.answers[1].feedback == "<p>不对，发货前必须通过信用检查。</p>"
    assert choice.general_feedback == "<p>超出信用额度的订单需要<em>财务经理</em>审批。</p>"
    assert parsed.tags[choice.line] == ["销售", "信用管理"]

    multiple = by_title["主数据（多选）"]
    assert [a.fraction for a in multiple.answers] == [33.33333, 33.33333, 33.33333, -100.0]

    true_false = by_title["负库存"]
    assert (true_false.answers[0].text, true_false.text_format) == ("false", "moodle")
    assert true_false.answers[0].feedback == "对：系统拒绝负库存。"
    assert true_false.wrong_feedback == "错了：负库存会被拒绝。"
    assert true_false.general_feedback == "库存不能为负，出库前要检查可用量。"

    short = by_title["ERP 全称"]
    assert [(a.text, a.fraction) for a in short.answers] == [("企业资源计划", 100.0),
                                                             ("资源计划", 50.0)]

    numeric = by_title["增值税"]
    assert numeric.category == "Default for ERP101/财务"
    assert [(n.value, n.tolerance, n.fraction) for n in numeric.numeric] == [
        (130.0, 0.5, 100.0), (1130.0, 0.0, 50.0)]
    assert numeric.wrong_feedback == "用 1000 × 13% 计算。"  # the "*" answer

    matching = by_title["凭证类型"]
    assert [(m.question, m.answer) for m in matching.matches] == [
        ("<p>收到客户货款</p>", "收款凭证"), ("<p>支付供应商货款</p>", "付款凭证"),
        ("<p>计提折旧</p>", "转账凭证"), ("", "结账凭证")]

    assert by_title["月结流程"].general_feedback == "<p>要点：对账、计提、结转、关账。</p>"
    assert by_title["财务说明"].text_format == "markdown"
    # A plain-text question stays plain text; "<" arrives unescaped from the XML entity.
    assert by_title["物料编码"].text == '物料编码前缀 "RM" 表示什么？ (a < b)'
    assert by_title["物料编码"].text_format == "plain"


def test_questions_carry_the_line_of_their_element():
    data = ALL_TYPES.read_bytes()
    lines = data.decode().split("\n")
    for parsed in parse_moodle_xml(data).questions:
        assert lines[parsed.line - 1].strip().startswith("<question type=")


def test_embedded_image_is_kept_with_its_question(english):
    parsed = parse_moodle_xml(ALL_TYPES.read_bytes())
    choice = next(q for q in parsed.questions if q.title == "订单审批")
    (image,) = parsed.images[choice.line]
    assert (image.name, image.content_type) == ("订单流程.png", "image/png")
    assert image.data.startswith(b"\x89PNG")
    # The URL-encoded reference now names the checked image, until the import stores it.
    assert "@@PLUGINFILE@@" not in choice.text
    assert (f'<img src="question-image:sha256-{image.sha256}/'
            '%E8%AE%A2%E5%8D%95%E6%B5%81%E7%A8%8B.png" alt="订单流程"') in choice.text
    assert [p for p in parsed.problems if p.line == choice.line] == []


def test_nothing_is_dropped_silently(english):
    data = ALL_TYPES.read_bytes()
    parsed = parse_moodle_xml(data)
    elements = [q for q in ET.fromstring(data) if q.get("type") != "category"]
    rejected = [p for p in parsed.problems if p.rejected]
    assert len(parsed.questions) + len(rejected) == len(elements) == 14
    assert {(p.title, p.kind, p.reason) for p in rejected} == {
        ("折旧计算", "calculated", "calculated questions are not supported"),
        ("拖放填空", "ddwtos",
         "drag-and-drop and select-missing-word questions are not supported"),
        ("完形填空", "cloze", "embedded-answer (cloze) questions are not supported"),
        ("随机题", "random",
         "random questions are not supported: use a quiz draw from a category"),
        ("没有正确答案", "multichoice", "no answer of this choice question gives credit"),
    }
    notes = {p.title: p.reason for p in parsed.problems if not p.rejected}
    assert notes["主数据（多选）"] == "1 hint(s) not imported: this portal does not show hints"
    assert "case-sensitive" in notes["物料编码"]
    assert [p.index for p in parsed.problems if p.rejected] == [9, 10, 11, 12, 13]


@pytest.mark.parametrize(("body", "reason"), [
    (answer("100", "唯一答案"), "a choice question needs at least 2 answers"),
    (answer("100", "") + answer("0", "乙"), "empty answer in a choice question"),
    (answer("100", "甲") + answer("abc", "乙"), "answer grade abc is not a number"),
    (answer("150", "甲") + answer("0", "乙"), "answer grade 150% is outside -100..100"),
])
def test_broken_choice_questions_are_rejected(english, body, reason):
    parsed = parse_moodle_xml(quiz(question("multichoice", "<single>true</single>" + body)))
    assert parsed.questions == []
    assert [(p.reason, p.rejected) for p in parsed.problems] == [(reason, True)]


@pytest.mark.parametrize(("qtype", "body", "reason"), [
    ("numerical", answer("100", "一百", text_format="moodle_auto_format"),
     "numeric answer 一百 is not a number"),
    ("numerical", answer("100", "１３０", text_format="moodle_auto_format"),
     "numeric answer １３０ is not a number"),
    ("numerical", answer("100", "*"), "a numeric answer * (any number) that gives credit is "
                                      "not supported"),
    ("shortanswer", answer("0", "甲"), "no answer of this short-answer question gives credit"),
    ("truefalse", answer("100", "true") + answer("100", "false"),
     "a true/false question needs the answers true and false, exactly one of them right"),
    ("matching", '<subquestion format="html"><text>甲</text><answer><text>一</text></answer>'
                 '</subquestion><subquestion format="html"><text>乙</text><answer><text>二'
                 "</text></answer></subquestion>",
     "a matching question needs at least 3 pairs, 2 with a question"),
])
def test_questions_that_fail_validation_are_rejected(english, qtype, body, reason):
    parsed = parse_moodle_xml(quiz(question(qtype, body)))
    assert [(p.reason, p.kind) for p in parsed.problems] == [(reason, qtype)]


def test_old_style_files_still_read():
    """Localised true/false texts (true first), answers outside <text>, <category>path</...>."""
    old = quiz(
        "<question type=\"category\"><category>$course$/旧题库</category></question>",
        question("truefalse", '<answer fraction="0"><text>对</text></answer>'
                              '<answer fraction="100"><text>错</text></answer>'),
        question("numerical", '<answer fraction="100">42<tolerance>1</tolerance></answer>',
                 name="旧数值"))
    parsed = parse_moodle_xml(old)
    true_false, numeric = parsed.questions
    assert true_false.answers[0].text == "false" and true_false.category == "旧题库"
    assert (numeric.numeric[0].value, numeric.numeric[0].tolerance) == (42.0, 1.0)


def test_untitled_rejected_questions_are_named_by_their_text():
    parsed = parse_moodle_xml(quiz(question("calculated", "", name="", text="<p>原值 {a} 元</p>")))
    assert parsed.problems[0].title == "原值 {a} 元"


def test_markdown_images_go_and_links_keep_their_words():
    text = "看 ![图](@@PLUGINFILE@@/a.png) 与 [说明](@@PLUGINFILE@@/b.pdf)。"
    parsed = parse_moodle_xml(quiz(question("essay", "", text=text, text_format="markdown")))
    assert parsed.questions[0].text == "看  与 说明。"
    assert len(parsed.problems) == 2


def test_plain_text_answers_in_an_html_question_are_escaped():
    answers = answer("100", "a < b", text_format="plain_text") + answer("0", "<b>粗</b>")
    parsed = parse_moodle_xml(quiz(question("multichoice", answers)))
    assert [a.text for a in parsed.questions[0].answers] == ["a &lt; b", "<b>粗</b>"]


def test_notes_for_parts_that_are_left_out(english):
    body = ('<single>true</single><shuffleanswers>false</shuffleanswers>'
            '<correctfeedback format="html"><text>答对了，真棒！</text></correctfeedback>'
            + answer("100", '<img src="@@PLUGINFILE@@/a.png">甲') + answer("0", "乙"))
    essay = ("<attachments>1</attachments><graderinfo format=\"html\"><text>看要点</text>"
             "</graderinfo>")
    units = (answer("100", "5", text_format="moodle_auto_format")
             + "<units><unit><multiplier>1</multiplier><unit_name>米</unit_name></unit></units>")
    parsed = parse_moodle_xml(quiz(question("multichoice", body, name="选择"),
                                   question("essay", essay, name="问答"),
                                   question("numerical", units, name="长度")))
    notes = [(p.title, p.reason) for p in parsed.problems]
    assert all(not p.rejected for p in parsed.problems) and len(parsed.questions) == 3
    assert parsed.questions[0].answers[0].text == "甲"
    assert notes == [
        ("选择", "embedded file a.png is not imported (upload it to the course and link it)"),
        ("选择", "the question asks to keep its choices in order; the quiz's shuffle setting "
                 "decides here"),
        ("选择", "the correctfeedback text is not imported: this portal gives per-answer and "
                 "general feedback only"),
        ("问答", "file attachments to the answer are not supported: learners answer with text"),
        ("问答", "the information for graders is not imported"),
        ("长度", "units (米) are not imported: learners answer with the number only"),
    ]


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="GB18030"?>',
                                         '<?xml version="1.0" encoding="GBK"?>'])
def test_declared_chinese_encodings(declaration):
    text = quiz(question("essay", "", name="中文编码", text="<p>简述。</p>"),
                declaration=declaration).decode("utf-8")
    parsed = parse_moodle_xml(text.encode("gb18030"))
    assert (parsed.questions[0].title, parsed.questions[0].text) == ("中文编码", "<p>简述。</p>")


def test_utf16_with_bom():
    text = quiz(question("essay", "", name="十六位"), declaration='<?xml version="1.0" '
                'encoding="UTF-16"?>').decode("utf-8")
    assert parse_moodle_xml(text.encode("utf-16")).questions[0].title == "十六位"


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    b"\n<quiz><question type=\"essay\"><name><text>&lol2;</text></name></question></quiz>",
    b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<quiz><question type=\"essay\"><name><text>&x;</text></name></question></quiz>",
    b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd"><quiz/>',
])
def test_doctype_and_entities_are_refused(english, data):
    with pytest.raises(XmlFileError, match="DOCTYPE or entity declaration"):
        parse_moodle_xml(data)


def test_broken_xml_names_its_line(english):
    with pytest.raises(XmlFileError) as raised:
        parse_moodle_xml(b"<?xml version=\"1.0\"?>\n<quiz>\n<question type=\"essay\">\n</quiz>\n")
    assert raised.value.line == 4
    assert str(raised.value) == "line 4: The XML is not well-formed: mismatched tag"


def test_other_xml_is_not_a_question_file(english):
    with pytest.raises(XmlFileError, match="no <quiz> element"):
        parse_moodle_xml(b"<html><body/></html>")
    with pytest.raises(XmlFileError, match="not valid UTF-8"):
        parse_moodle_xml(b"<quiz>\xff\xfe\xfd</quiz>")


@pytest.mark.parametrize(("path", "expected"), [
    ("$course$/top/Default for ERP101/销售", "Default for ERP101/销售"),
    ("$course$/Default for testhead/Multichoice", "Default for testhead/Multichoice"),
    ("$system$/top", None),
    ("$cat1$/top/公司题库/", "公司题库"),
    ("top/财务", "财务"),
    ("财务/总账", "财务/总账"),
    ("  ", None),
])
def test_category_paths(path, expected):
    assert category_path(path) == expected
