"""GIFT parser: the GIFT-grammar-PEG.js test corpus, Chinese text, escapes and broken input."""

from __future__ import annotations

import json
import math
import pickle
import random
from pathlib import Path

import pytest

from lms.assessment.gift import GiftError, GiftQuestion, NumericAnswer, parse_gift

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "gift-peg"
CORPUS_FILES = sorted(CORPUS.glob("*.gift"))

# Where the corpus encodes behaviour Moodle does not have, the parser follows Moodle: for
# exactly these fields the test asserts the value Moodle's importer produces (derived from
# question/format/gift/format.php and question/format.php) instead of the corpus's value.
# The test fails if an entry stops being needed, so the list cannot go stale.
TF_ORDER = (
    "Moodle reads {TRUE#a#b} as #feedback-if-wrong#feedback-if-right (split_truefalse_comment,"
    " its test_import_truefalse, the GIFT docs); the corpus as #if-true#if-false"
)
LINE_BREAK = (
    "Moodle joins a question's lines with \\n and keeps the break (the moodle format shows it"
    " as <br>); the corpus joins lines of moodle-format text with a space"
)
BLANK_THEN_PUNCTUATION = (
    "Moodle puts _____ exactly where the answer block was (substr_replace); the corpus adds a"
    " space between the blank and the punctuation after it"
)
LINES_TRIMMED = (
    "Moodle's file import trims every line (qformat_default::readquestions), losing"
    " indentation and markdown's two-space line breaks; the corpus keeps them (as does"
    " Moodle's unit test, which calls readquestion directly and so skips the trimming)"
)
MOODLE_DIFFERS: dict[tuple[str, int, str], tuple[object, str]] = {
    ("TFTwoFeedback.gift", 1, "answers[0].feedback"): ("", TF_ORDER),
    ("TFTwoFeedback.gift", 1, "wrong_feedback"): ("feedback for true", TF_ORDER),
    ("TFTwoFeedback.gift", 2, "answers[0].feedback"): ("feedback for false", TF_ORDER),
    ("TFTwoFeedback.gift", 2, "wrong_feedback"): ("", TF_ORDER),
    ("escapeAll.gift", 0, "answers[6].feedback"): (
        "Correct! \\ (backslash) is not a control character. BUT,\n"
        "it is used to escape the control characters.", LINE_BREAK),
    ("giftFormatPhpExamples.gift", 5, "text"): (
        "Match the following countries with their corresponding\ncapitals.", LINE_BREAK),
    ("giftFormatPhpExamples.gift", 8, "text"): (
        "Jesus Christ was from _____.", BLANK_THEN_PUNCTUATION),
    ("giftFormatPhpExamples.gift", 9, "numeric[1].feedback"): (
        "He was born in 1822.\nYou get 50% credit for being close.", LINE_BREAK),
    ("markdown.gift", 1, "text"): ("multiline2\nmarkdown", LINES_TRIMMED),
    ("markdown.gift", 2, "text"): (
        "nested lists\n- item 1\n- nested item 1\n- item 2", LINES_TRIMMED),
    ("multiLineFeedback1.gift", 0, "answers[1].feedback"): (
        "feedback comment on this wrong answer\non multiple lines", LINE_BREAK),
    ("multiLineFeedback1.gift", 0, "general_feedback"): (
        "Global feedback split\non multiple lines", LINE_BREAK),
    ("numerical1.gift", 2, "text"): (
        "What is the value of pi (to 3 decimal places)? _____.", BLANK_THEN_PUNCTUATION),
    ("numerical1.gift", 3, "text"): (
        "What is the value of pi times -1 (to 3 decimal places)? _____.",
        BLANK_THEN_PUNCTUATION),
    ("numerical1.gift", 4, "text"): (
        "What is the value of pi (to 3 decimal places)? _____.", BLANK_THEN_PUNCTUATION),
    ("numerical1.gift", 5, "text"): (
        "What is the value of pi times -1 (to 3 decimal places)? _____.",
        BLANK_THEN_PUNCTUATION),
    ("numerical1.gift", 6, "text"): (
        "Give me a number from 1 to 5. _____.", BLANK_THEN_PUNCTUATION),
    ("numerical1.gift", 7, "text"): ("Pick a number from -5 to 5. _____.", BLANK_THEN_PUNCTUATION),
    ("options1.gift", 1, "text"): (
        "Japanese characters originally\ncame from what country?", LINE_BREAK),
    ("options1.gift", 2, "text"): (
        "The American holiday of Thanksgiving is\ncelebrated on the _____ Thursday of November.",
        LINE_BREAK),
    ("options1.gift", 8, "text"): ("Jesus Christ was from _____.", BLANK_THEN_PUNCTUATION),
    ("options1.gift", 13, "answers[5].feedback"): (
        "Correct! \\ (backslash) is not a control character. BUT,\nit is used to escape the"
        " control characters. So, to specify\na literal backslash, you must escape it with a"
        " backslash\n(as shown in this example).", LINE_BREAK),
    ("shortAnswer1.gift", 1, "text"): ("Two plus two equals _____.", BLANK_THEN_PUNCTUATION),
    ("symbolsAll.gift", 0, "text"): (
        "Here's a question that has symbols inside,\nsuch as `-=[];',./~!@#$%^&*()_+{}|:\"<>?",
        LINE_BREAK),
    ("totara_moodle_pre_content.gift", 0, "text"): (
        "<p>What would running the test method print?</p>\n<pre>\npublic void test() {\n"
        "method1();\nmethod2();\nmethod3();\n}\n</pre>", LINES_TRIMMED),
    ("type_inferred_multiline_markdown.gift", 0, "text"): (
        "stem line1\nstem line2", LINES_TRIMMED),
    ("type_inferred_multiline_markdown.gift", 0, "answers[0].text"): (
        "answer1 line1\nanswer1 line2", LINES_TRIMMED),
    ("type_inferred_multiline_markdown.gift", 0, "answers[1].text"): (
        "answer2 line1\nanswer2 line2", LINES_TRIMMED),
}


def _peg_text(value: dict | None) -> str:
    return "" if value is None else value["text"]


def _peg_fraction(choice: dict) -> float:
    if choice["weight"] is not None:
        return float(choice["weight"])
    return 100.0 if choice["isCorrect"] else 0.0


def _peg_number(spec: dict) -> tuple[float, float]:
    if spec["type"] == "simple":
        return float(spec["number"]), 0.0
    if spec["type"] == "range":
        return float(spec["number"]), float(spec["range"])
    low, high = float(spec["numberLow"]), float(spec["numberHigh"])
    return (low + high) / 2, (high - low) / 2


def _choice_kind(answers: list[tuple[str, float, str]], has_right_answer: bool) -> str:
    credited = [fraction for _, fraction, _ in answers if fraction > 0]
    if has_right_answer or credited == [100.0]:
        return "single_choice"
    return "multiple_choice"


def _fields(scalars: dict[str, object], answers=(), matches=(), numeric=()) -> dict[str, object]:
    """Flatten one question into ``{"answers[0].text": ..., ...}`` so each value is compared
    (and, where Moodle differs from the corpus, excepted) on its own."""
    out = dict(scalars)
    out["answers"] = len(answers)
    for index, (text, fraction, feedback) in enumerate(answers):
        out[f"answers[{index}].text"] = text
        out[f"answers[{index}].fraction"] = fraction
        out[f"answers[{index}].feedback"] = feedback
    out["matches"] = len(matches)
    for index, (question, answer) in enumerate(matches):
        out[f"matches[{index}].question"] = question
        out[f"matches[{index}].answer"] = answer
    out["numeric"] = len(numeric)
    for index, (value, tolerance, fraction, feedback) in enumerate(numeric):
        out[f"numeric[{index}].value"] = value
        out[f"numeric[{index}].tolerance"] = tolerance
        out[f"numeric[{index}].fraction"] = fraction
        out[f"numeric[{index}].feedback"] = feedback
    return out


def peg_to_fields(items: list[dict]) -> tuple[list[dict[str, object]], str | None]:
    """Map the corpus's expected parse to our fields; also return a category set after the
    last question (it applies to no question of the file, so the test probes it).

    GIFT-grammar-PEG.js -> ours:
    * ``type``: MC -> single_choice/multiple_choice by our rule (an ``=`` answer, or exactly
      one answer worth 100 % and no other credit, is single), TF -> true_false, Short ->
      short_answer, Numerical -> numeric, Matching -> matching, Essay, Description.
      ``Category`` items are not questions: their ``title`` becomes the ``category`` of the
      questions after them.
    * ``title`` null -> "". ``stem`` -> ``text`` and ``text_format``. ``globalFeedback`` ->
      ``general_feedback`` (null -> ""). Feedback null -> "".
    * choices: ``weight`` is our ``fraction``; without a weight ``isCorrect`` means 100, else 0.
    * TF: ``isTrue`` -> the one answer "true"/"false". ``trueFeedback`` is shown to whoever
      answers "true", so for a true statement it is our (right-answer) feedback and
      ``falseFeedback`` our ``wrong_feedback``; for a false statement the other way round.
    * Numerical: ``simple`` n -> n ± 0, ``range`` n, r -> n ± r, ``high-low`` -> its middle
      ± half its width. A ``*`` choice (Moodle's "any other number") -> ``wrong_feedback``.
    * matchPairs -> ``matches`` (subquestion text, subanswer).
    * Not compared, because our API has no place for them: ``id`` and ``tags`` (from
      ``// [id:..]`` comments), ``hasEmbeddedAnswers`` (visible as "_____" in the text), and
      the format of each answer and feedback (only the question text's format is kept).
    """
    questions: list[dict[str, object]] = []
    category: str | None = None
    trailing_category: str | None = None
    for item in items:
        kind = item["type"]
        if kind == "Category":
            category = trailing_category = item["title"]
            continue
        trailing_category = None
        scalars: dict[str, object] = {
            "title": item["title"] or "",
            "text": item["stem"]["text"],
            "text_format": item["stem"]["format"],
            "category": category,
            "general_feedback": _peg_text(item.get("globalFeedback")),
            "wrong_feedback": "",
        }
        answers: list[tuple[str, float, str]] = []
        matches: list[tuple[str, str]] = []
        numeric: list[tuple[float, float, float, str]] = []
        if kind in ("MC", "Short"):
            answers = [(choice["text"]["text"], _peg_fraction(choice),
                        _peg_text(choice["feedback"])) for choice in item["choices"]]
            has_right_answer = any(choice["isCorrect"] for choice in item["choices"])
            scalars["kind"] = (_choice_kind(answers, has_right_answer) if kind == "MC"
                               else "short_answer")
        elif kind == "TF":
            scalars["kind"] = "true_false"
            true_feedback = _peg_text(item["trueFeedback"])
            false_feedback = _peg_text(item["falseFeedback"])
            if item["isTrue"]:
                answers = [("true", 100.0, true_feedback)]
                scalars["wrong_feedback"] = false_feedback
            else:
                answers = [("false", 100.0, false_feedback)]
                scalars["wrong_feedback"] = true_feedback
        elif kind == "Matching":
            scalars["kind"] = "matching"
            matches = [(pair["subquestion"]["text"], pair["subanswer"])
                       for pair in item["matchPairs"]]
        elif kind == "Numerical":
            scalars["kind"] = "numeric"
            choices = item["choices"]
            if isinstance(choices, dict):  # the short form {#n}, {#n:r}, {#a..b}
                numeric = [(*_peg_number(choices), 100.0, "")]
            for choice in choices if isinstance(choices, list) else ():
                if "type" in choice["text"]:
                    numeric.append((*_peg_number(choice["text"]), _peg_fraction(choice),
                                    _peg_text(choice["feedback"])))
                else:
                    assert choice["text"]["text"] == "*" and not choice["isCorrect"]
                    scalars["wrong_feedback"] = _peg_text(choice["feedback"])
        else:
            scalars["kind"] = {"Essay": "essay", "Description": "description"}[kind]
        questions.append(_fields(scalars, answers, matches, numeric))
    return questions, trailing_category


def ours_to_fields(question: GiftQuestion) -> dict[str, object]:
    scalars = {
        "kind": question.kind,
        "title": question.title,
        "text": question.text,
        "text_format": question.text_format,
        "category": question.category,
        "general_feedback": question.general_feedback,
        "wrong_feedback": question.wrong_feedback,
    }
    return _fields(
        scalars,
        [(answer.text, answer.fraction, answer.feedback) for answer in question.answers],
        [(pair.question, pair.answer) for pair in question.matches],
        [(answer.value, answer.tolerance, answer.fraction, answer.feedback)
         for answer in question.numeric],
    )


def _same(left: object, right: object) -> bool:
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


def test_corpus_is_complete():
    """The corpus is read, not skipped: every .gift file has its .json."""
    assert len(CORPUS_FILES) == 51, CORPUS
    assert all(path.with_suffix(".json").is_file() for path in CORPUS_FILES)


@pytest.mark.parametrize("gift_path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_file(gift_path: Path):
    source = gift_path.read_text(encoding="utf-8")
    peg = json.loads(gift_path.with_suffix(".json").read_text(encoding="utf-8"))
    expected, trailing_category = peg_to_fields(peg)

    questions = parse_gift(source)

    assert len(questions) == len(expected)
    problems: list[str] = []
    excepted: set[tuple[str, int, str]] = set()
    for index, (question, wanted) in enumerate(zip(questions, expected, strict=True)):
        got = ours_to_fields(question)
        for key in sorted(set(got) | set(wanted)):
            where = (gift_path.name, index, key)
            if where in MOODLE_DIFFERS:
                excepted.add(where)
                moodle_value = MOODLE_DIFFERS[where][0]
                if _same(wanted.get(key), moodle_value):
                    problems.append(f"q{index} {key}: the corpus now agrees with Moodle")
                if not _same(got.get(key), moodle_value):
                    problems.append(f"q{index} {key}: got {got.get(key)!r}, "
                                    f"Moodle gives {moodle_value!r}")
            elif not _same(got.get(key), wanted.get(key)):
                problems.append(f"q{index} {key}: got {got.get(key)!r}, "
                                f"corpus {wanted.get(key)!r}")
    unused = {where for where in MOODLE_DIFFERS if where[0] == gift_path.name} - excepted
    assert not unused, f"exceptions that match no field: {sorted(unused)}"
    assert not problems, "\n".join(problems)

    if trailing_category is not None:
        probe = parse_gift(source + "\n\nProbe question {}")
        assert probe[-1].category == trailing_category


# --- Our own cases --------------------------------------------------------------------------


def only(source: str) -> GiftQuestion:
    questions = parse_gift(source)
    assert len(questions) == 1, questions
    return questions[0]


def answers_of(question: GiftQuestion) -> list[tuple[str, float, str]]:
    return [(answer.text, answer.fraction, answer.feedback) for answer in question.answers]


def test_chinese_single_choice():
    question = only(
        "::销售订单::在系统中，销售订单审核后下一步是什么？{\n"
        "  =生成销售出库单#正确！出库单由订单下推生成。\n"
        "  ~直接开具发票#错误：需要先出库。\n"
        "  ~删除订单\n"
        "}"
    )
    assert question.kind == "single_choice"
    assert question.title == "销售订单"
    assert question.text == "在系统中，销售订单审核后下一步是什么？"
    assert answers_of(question) == [
        ("生成销售出库单", 100, "正确！出库单由订单下推生成。"),
        ("直接开具发票", 0, "错误：需要先出库。"),
        ("删除订单", 0, ""),
    ]


def test_full_width_lookalikes_are_ordinary_text():
    # ～ ＝ ＃ ｛ ｝ ： look like GIFT's control characters but are not them.
    question = only("下列写法哪个正确？｛不是答案块｝：{=甲＝乙＃丙 ~丁～戊：己}")
    assert question.text == "下列写法哪个正确？｛不是答案块｝："
    assert answers_of(question) == [("甲＝乙＃丙", 100, ""), ("丁～戊：己", 0, "")]


def test_ideographic_space_is_text_not_whitespace():
    # Moodle trims with PHP's trim(), which leaves U+3000 alone; so do we.
    question = only("\u3000\u3000请说明库存盘点的步骤。{}")
    assert question.kind == "essay"
    assert question.text == "\u3000\u3000请说明库存盘点的步骤。"


def test_chinese_file_with_category_and_every_kind():
    source = (
        "// 仓储模块测验\n"
        "$CATEGORY: $course$/top/仓储管理\n"
        "\n"
        "::盘点::盘点差异必须经过审批才能过账。{TRUE#错：差异需要审批。#对！}\n"
        "\n"
        "入库单的英文缩写是{=GRN =%50%入库单}。\n"
        "\n"
        "安全库存 120 件，现有 80 件，还差多少件？{#40}\n"
        "\n"
        "请将单据与模块配对。{\n"
        "=销售出库单 -> 销售管理\n"
        "=采购入库单 -> 采购管理\n"
        "=调拨单 -> 仓储管理\n"
        "= -> 财务管理\n"
        "}\n"
        "\n"
        "请简述先进先出法。{####参考：先入库的先发出。}\n"
        "\n"
        "以下内容适用于后面的题目。\n"
    )
    questions = parse_gift(source)
    assert [q.kind for q in questions] == [
        "true_false", "short_answer", "numeric", "matching", "essay", "description"]
    assert {q.category for q in questions} == {"$course$/top/仓储管理"}
    assert [q.line for q in questions] == [4, 6, 8, 10, 17, 19]
    true_false, short, numeric, matching, essay, description = questions
    assert answers_of(true_false) == [("true", 100, "对！")]
    assert true_false.wrong_feedback == "错：差异需要审批。"
    assert short.text == "入库单的英文缩写是_____。"
    assert answers_of(short) == [("GRN", 100, ""), ("入库单", 50, "")]
    assert numeric.numeric == [NumericAnswer(40.0, 0.0, 100.0, "")]
    assert [(m.question, m.answer) for m in matching.matches] == [
        ("销售出库单", "销售管理"), ("采购入库单", "采购管理"), ("调拨单", "仓储管理"),
        ("", "财务管理")]
    assert essay.general_feedback == "参考：先入库的先发出。"
    assert description.text == "以下内容适用于后面的题目。"


def test_escapes_in_text_title_answers_and_feedback():
    question = only(
        "::第\\:1\\:题::Literal \\~ \\= \\# \\{ \\} \\: \\\\ and a\\nbreak"
        "{=a\\=b#right\\#1 ~c\\~d#wrong\\: \\{no\\}}"
    )
    assert question.title == "第:1:题"
    assert question.text == "Literal ~ = # { } : \\ and a\nbreak"
    assert answers_of(question) == [("a=b", 100, "right#1"), ("c~d", 0, "wrong: {no}")]


def test_other_backslashes_are_kept():
    # Only \~ \= \# \{ \} \: \\ \n are escapes; LaTeX and Windows paths keep their backslashes.
    assert only("LaTeX \\frac12, path C:\\temp, 50\\% off{}").text == (
        "LaTeX \\frac12, path C:\\temp, 50\\% off")
    # "\\\\n" is an escaped backslash followed by a plain "n", not a line break.
    assert only("a \\\\n b{}").text == "a \\n b"


def test_line_endings_bom_and_question_lines():
    source = "\ufeff::一::第一题{T}\r\n\r\n// 注释\r\n第二题{F}\r\n"
    first, second = parse_gift(source)
    assert (first.title, first.text, first.line) == ("一", "第一题", 1)
    assert (second.text, second.line) == ("第二题", 4)
    old_mac = parse_gift("Q1{T}\r\rQ2{F}\r")
    assert [(q.text, q.line) for q in old_mac] == [("Q1", 1), ("Q2", 3)]


def test_lines_are_trimmed_as_moodle_does():
    # Moodle's importer trims every line, so write \n to keep markdown line breaks and indents.
    assert only("[markdown]line one  \n    indented{}").text == "line one\nindented"
    assert only("[markdown]line one  \\n    indented{}").text == "line one  \n    indented"


def test_true_false_feedback_order_follows_moodle():
    question = only("地球绕太阳转。{TRUE#答错时显示#答对时显示}")
    assert answers_of(question) == [("true", 100, "答对时显示")]
    assert question.wrong_feedback == "答错时显示"
    question = only("太阳绕地球转。{F#只有答错的反馈}")
    assert answers_of(question) == [("false", 100, "")]
    assert question.wrong_feedback == "只有答错的反馈"
    # Moodle compares case-sensitively: {true} is a short answer "true".
    assert only("Lower case{true}").kind == "short_answer"


@pytest.mark.parametrize(("block", "kind"), [
    ("{=a ~b}", "single_choice"),
    ("{=a =b ~c}", "single_choice"),  # Moodle: any "=" makes it single, each "=" fully right
    ("{~%100%a ~b}", "single_choice"),
    ("{~%50%a ~%50%b ~%-100%c}", "multiple_choice"),
    ("{~%100%a ~%50%b ~c}", "multiple_choice"),
    ("{~%50%a ~b}", "multiple_choice"),
    ("{=a ~%50%b ~c}", "single_choice"),
])
def test_single_or_multiple_choice(block: str, kind: str):
    assert only("Choose." + block).kind == kind


def test_weights_and_missing_word_blank():
    question = only("Grant is {~buried ~%33.33333%entombed =in the tomb ~%-50%living} there.")
    assert question.text == "Grant is _____ there."
    assert [answer.fraction for answer in question.answers] == [0, 33.33333, 100, -50]
    assert only("{=Asia} is the largest continent.").text == "_____ is the largest continent."


def test_text_formats():
    question = only("[html]<b>粗体</b>{=[plain]<i>a</i>#[markdown]*fb* ~b####[plain]总体}")
    assert (question.text, question.text_format) == ("<b>粗体</b>", "html")
    assert answers_of(question)[0] == ("<i>a</i>", 100, "*fb*")
    assert question.general_feedback == "总体"
    unknown = only("[foo]bar{}")
    assert (unknown.text, unknown.text_format) == ("[foo]bar", "moodle")


def test_numeric_forms():
    assert only("Pi?{#3.141..3.142}").numeric[0].value == pytest.approx(3.1415)
    assert only("Pi?{#3.141..3.142}").numeric[0].tolerance == pytest.approx(0.0005)
    assert only("Neg?{#-5..5}").numeric == [NumericAnswer(0.0, 5.0, 100.0, "")]
    question = only("Year?{#\n=1822:0#对\n=%50%1822:2#接近\n~#不对\n}")
    assert question.numeric == [
        NumericAnswer(1822.0, 0.0, 100.0, "对"), NumericAnswer(1822.0, 2.0, 50.0, "接近")]
    assert question.wrong_feedback == "不对"
    old_style = only("One to five?{#=3:2 =%0%*#Completely wrong}")
    assert old_style.numeric == [NumericAnswer(3.0, 2.0, 100.0, "")]
    assert old_style.wrong_feedback == "Completely wrong"


def test_comments_inside_a_question_and_urls():
    question = only("See http://example.com {\n// not an answer\n=a\n~b\n}")
    assert question.text == "See http://example.com"
    assert len(question.answers) == 2


TOO_FEW_PAIRS = "a matching question needs at least 3 pairs, 2 with a question"
PRELUDE = "// 第一题\n::Q1::1+1=2 {T}\n\n// 下一题\n// [id:7]\n"  # the bad question is line 6


@pytest.mark.parametrize(("bad", "reason"), [
    ("库存盘点的第一步是？{\n=冻结库存\n~直接调整", "unclosed answer block {"),
    ("Answers split by a blank line {\n=a\n\n~b\n}", "unclosed answer block {"),
    ("No opening =a}", "} without an opening {"),
    ("Two blocks {=a} and {=b}", "more than one answer block (write \\{ \\} for literal braces)"),
    ("Nested {=a {b}", "{ inside an answer block (write \\{ for a literal brace)"),
    ("::标题没有结束 {T}", "unclosed question title ::"),
    ("Only a tilde {~}", "empty answer in a choice question"),
    ("One choice {~%100%only}", "a choice question needs at least 2 answers"),
    ("Empty short answer {=}", "empty answer in a short-answer question"),
    ("Feedback without answer {~#fb ~b}", "empty answer in a choice question"),
    ("Empty numeric {#}", "numeric question without an answer"),
    ("No credit {~a ~b}", "no answer of this choice question gives credit"),
    ("No credit {=%0%a}", "no answer of this short-answer question gives credit"),
    ("Weight {~%abc%a =b}", "answer weight %abc% is not a number"),
    ("Decimal comma {~%33,3%a =b}", "answer weight %33,3% is not a number"),
    ("Weight {=a =%five%b}", "answer weight %five% is not a number"),
    ("Too much {~%150%a ~b}", "answer weight 150% is outside -100..100"),
    ("Weighted = {=%50%a ~b}", "a weighted choice is written ~%n%answer, not =%n%"),
    ("Not a number {#abc}", "numeric answer 'abc' is not a number"),
    ("全角数字 {#１８２２}", "numeric answer '１８２２' is not a number"),
    ("Bad tolerance {#1822:abc}", "numeric answer 'abc' is not a number"),
    ("Bad range {#1..x}", "numeric answer 'x' is not a number"),
    ("Weighted not a number {#=%50%x}", "numeric answer 'x' is not a number"),
    ("Reversed {#5..1}", "numeric range 5..1 goes from high to low"),
    ("Negative tolerance {#3:-1}", "negative tolerance in numeric answer 3:-1"),
    ("Wrong answer in numeric {#5 ~4}", "a numeric question takes one ~#feedback, not ~answers"),
    ("Two pairs {=a -> 1 =b -> 2}", TOO_FEW_PAIRS),  # the Moodle docs ask for three
    ("One question {=a -> 1 = -> 2 = -> 3}", TOO_FEW_PAIRS),
    ("No arrow {=a -> 1 =b 2 =c -> 3}", "matching pair without ->"),
    ("No answer {=a -> 1 =b -> =c -> 3}", "matching pair with nothing after ->"),
    ("$CATEGORY: 销售\n问题{T}", "$CATEGORY must be followed by a blank line"),
    ("$CATEGORY:", "empty $CATEGORY"),
])
def test_malformed_input_names_the_question_line(bad: str, reason: str):
    source = PRELUDE + bad + "\n\nLast question {T}\n"
    for variant in (source, source.replace("\n", "\r\n")):
        with pytest.raises(GiftError) as caught:
            parse_gift(variant)
        assert (caught.value.line, caught.value.reason) == (6, reason)
        assert str(caught.value) == f"line 6: {reason}"


def test_essay_with_only_general_feedback_is_not_an_error():
    question = only("Describe FIFO. {####First in, first out.}")
    assert (question.kind, question.general_feedback) == ("essay", "First in, first out.")


def test_gift_error_is_a_value_error_and_pickles():
    error = GiftError(12, "unclosed answer block {")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.line, copy.reason, str(copy)) == (12, "unclosed answer block {",
                                                   "line 12: unclosed answer block {")


FUZZ_PIECES = [
    "{", "}", "~", "=", "#", ":", "::", "->", "%", "%50%", "%x%", "\\", "\n", "\n\n", "//",
    "$CATEGORY:", "T", "FALSE", "1", "..", " ", "a", "中", "[html]", "[", "]", "####", "*",
    "-", ".", "\r\n", "\u3000", "１", "\ufeff",
]


def _only_gift_errors(source: str) -> None:
    try:
        parse_gift(source)
    except GiftError:
        pass


def test_random_input_raises_only_gift_error():
    generator = random.Random(20240601)
    for _ in range(4000):
        _only_gift_errors("".join(generator.choices(FUZZ_PIECES, k=generator.randint(1, 40))))


@pytest.mark.parametrize("gift_path", CORPUS_FILES, ids=lambda path: path.name)
def test_truncated_corpus_raises_only_gift_error(gift_path: Path):
    source = gift_path.read_text(encoding="utf-8")
    for end in range(0, len(source), 5):
        _only_gift_errors(source[:end])
