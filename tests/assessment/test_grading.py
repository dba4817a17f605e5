"""Grading each question kind: normalisation, partial credit, feedback, malformed responses."""

from __future__ import annotations

import pytest

from lms.assessment.convert import version_fields
from lms.assessment.gift import parse_gift
from lms.assessment.grading import (
    checked_response,
    grade_response,
    normalise_text,
    parse_number,
)


def question(gift: str):
    (parsed,) = parse_gift(gift)
    return version_fields(parsed)


SINGLE = question("::sc::哪个对?{=对的#正确 ~错的#不对 ~%-50%很错#扣分}")
MULTIPLE = question("::mc::选两个{~%50%甲#甲对 ~%50%乙#乙对 ~%-100%丙#丙错 ~%-50%丁}")
TRUE_FALSE = question("::tf::ERP 是企业资源计划。{T#答错了#答对了}")
SHORT = question("::sa::物料编码?{=ABC123#完全正确 =%50%ABC*#前缀对了 =%0%XYZ#这个不对}")
NUMERIC = question("::num::圆周率?{#3.14:0.01#很准 =%50%3:0.2#大约 ~#不是这个数}")
MATCHING = question("::match::配对{=销售 -> 客户 =采购 -> 供应商 =仓库 -> 库存 = -> 总账}")
ESSAY = question("::essay::谈谈你的理解。{}")


def test_normalise_text_nfkc_case_and_space():
    assert normalise_text("ＡＢＣ１２３") == normalise_text("abc123") == "abc123"
    assert normalise_text("\u3000 ABC  123\t") == "abc 123"
    assert normalise_text("Straße") == normalise_text("STRASSE")


@pytest.mark.parametrize("typed", ["ABC123", "abc123", "ＡＢＣ１２３", "  abc123 ",
                                   "\u3000ａｂｃ123\u3000", "Abc123\n"])
def test_short_answer_accepts_width_case_and_surrounding_space(typed):
    result = grade_response(SHORT, {"text": typed})
    assert result.fraction == 1.0 and result.feedback == ["完全正确"]


def test_short_answer_wildcard_partial_and_wrong():
    assert grade_response(SHORT, {"text": "abc-999"}).fraction == 0.5
    assert grade_response(SHORT, {"text": "abc-999"}).feedback == ["前缀对了"]
    assert grade_response(SHORT, {"text": "ABC 123"}).fraction == 0.5  # inner space differs
    assert grade_response(SHORT, {"text": "xyz"}).fraction == 0.0
    assert grade_response(SHORT, {"text": "xyz"}).feedback == ["这个不对"]
    assert grade_response(SHORT, {"text": "   "}).fraction == 0.0
    assert grade_response(SHORT, None).fraction == 0.0


def test_short_answer_literal_star():
    starred = question(r"::s::星号?{=A\*B}")
    assert grade_response(starred, {"text": "a*b"}).fraction == 1.0
    assert grade_response(starred, {"text": "axxb"}).fraction == 0.0


def test_single_choice_fraction_feedback_and_negative_clamped():
    assert grade_response(SINGLE, {"choice": "c1"}).fraction == 1.0
    assert grade_response(SINGLE, {"choice": "c1"}).feedback == ["正确"]
    assert grade_response(SINGLE, {"choice": "c2"}).fraction == 0.0
    assert grade_response(SINGLE, {"choice": "c3"}).fraction == 0.0  # -50 % is clamped
    assert grade_response(SINGLE, {"choice": "c3"}).feedback == ["扣分"]


@pytest.mark.parametrize("chosen, fraction", [
    (["c1", "c2"], 1.0),
    (["c1"], 0.5),
    (["c1", "c3"], 0.0),          # 50 - 100 clamped to 0
    (["c1", "c2", "c4"], 0.5),    # 100 - 50
    (["c1", "c2", "c3", "c4"], 0.0),  # choosing everything scores nothing
    ([], 0.0),
])
def test_multiple_choice_sums_weights_clamped(chosen, fraction):
    assert grade_response(MULTIPLE, {"choices": chosen}).fraction == pytest.approx(fraction)


def test_multiple_choice_feedback_of_each_chosen_option():
    assert grade_response(MULTIPLE, {"choices": ["c2", "c3"]}).feedback == ["乙对", "丙错"]


def test_true_false_right_and_wrong_feedback():
    assert grade_response(TRUE_FALSE, {"value": True}).fraction == 1.0
    assert grade_response(TRUE_FALSE, {"value": True}).feedback == ["答对了"]
    assert grade_response(TRUE_FALSE, {"value": False}).fraction == 0.0
    assert grade_response(TRUE_FALSE, {"value": False}).feedback == ["答错了"]


@pytest.mark.parametrize("typed, fraction", [
    ("3.14", 1.0), ("3.15", 1.0), ("3.13", 1.0), ("３．１４", 1.0), (" 3.141 ", 1.0),
    ("3.16", 0.5), ("2.8", 0.5), ("2.7", 0.0), ("3,14", 0.0), ("pi", 0.0), ("", 0.0),
    ("1e400", 0.0),
])
def test_numeric_tolerance_and_non_numbers(typed, fraction):
    assert grade_response(NUMERIC, {"value": typed}).fraction == fraction


def test_numeric_feedback():
    assert grade_response(NUMERIC, {"value": "3.14"}).feedback == ["很准"]
    assert grade_response(NUMERIC, {"value": "9"}).feedback == ["不是这个数"]


def test_numeric_float_slack():
    exact = question("::n::0.1 + 0.2 = ?{#0.3}")
    assert grade_response(exact, {"value": repr(0.1 + 0.2)}).fraction == 1.0
    assert parse_number("１２") == 12.0 and parse_number("1,234") is None


def test_matching_partial_credit_per_pair():
    right = {"p1": "客户", "p2": "供应商", "p3": "库存"}
    assert grade_response(MATCHING, {"matches": right}).fraction == 1.0
    two = {**right, "p3": "总账"}
    assert grade_response(MATCHING, {"matches": two}).fraction == pytest.approx(2 / 3)
    assert grade_response(MATCHING, {"matches": {"p1": "客户"}}).fraction == pytest.approx(1 / 3)
    assert grade_response(MATCHING, {"matches": {}}).fraction == 0.0


def test_essay_waits_for_a_trainer():
    assert grade_response(ESSAY, {"text": "很长的回答"}).fraction is None


def test_checked_response_keeps_only_what_the_question_offers():
    assert checked_response(MULTIPLE, {"choices": ["c3", "c1"]}) == {"choices": ["c1", "c3"]}
    assert checked_response(SINGLE, {"choice": None}) is None
    assert checked_response(SINGLE, {}) is None
    assert checked_response(NUMERIC, {"value": 3.5}) == {"value": "3.5"}
    assert checked_response(MATCHING, {"matches": {"p1": "客户", "p2": ""}}) == \
        {"matches": {"p1": "客户"}}
    for version, bad in [(SINGLE, {"choice": "c9"}), (MULTIPLE, {"choices": "c1"}),
                         (MULTIPLE, {"choices": ["c1", "zz"]}), (TRUE_FALSE, {"value": "yes"}),
                         (SHORT, {"text": 5}), (SHORT, {"text": "x" * 1001}),
                         (MATCHING, {"matches": {"p4": "总账"}}),  # p4 has no question
                         (MATCHING, {"matches": {"p1": "不存在"}}), (ESSAY, ["text"])]:
        with pytest.raises(ValueError):
            checked_response(version, bad)
