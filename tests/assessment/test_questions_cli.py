"""``lms questions import|export``: counts per kind, rejected questions with their reasons,
exit status, --dry-run, confirmation before a partial import, export by file extension."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.assessment.cli import questions_group
from lms.assessment.gift import parse_gift
from lms.assessment.models import Question, QuestionBank
from lms.assessment.services import find_bank

DATA = Path(__file__).parent / "data"
GIFT_FILE = DATA / "all_constructs.zh.gift"
BAD_GIFT = DATA / "one_bad_question.zh.gift"
XML_FILE = DATA / "moodle_all_types.zh.xml"


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for assertions on their wording (the default locale is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()


@pytest.fixture
def invoke(runner):
    def run(*args: str, input: str | None = None):
        return runner.invoke(questions_group, [str(arg) for arg in args], input=input)

    return run


def question_count() -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count()).select_from(Question))


def test_import_prints_counts_per_kind(invoke):
    result = invoke("import", GIFT_FILE, "--bank", "ERP 基础")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported into bank 'ERP 基础': 1 description, 1 essay, 1 matching, 1 multiple_choice, "
        "3 numeric, 2 short_answer, 2 single_choice, 2 true_false "
        "(13 new, 0 updated, 0 unchanged, 0 rejected).\n")
    assert question_count() == 13

    again = invoke("import", GIFT_FILE, "--bank", "ERP 基础")
    assert again.exit_code == 0 and "(0 new, 0 updated, 13 unchanged, 0 rejected)" in again.stdout


def test_rejected_questions_are_listed_and_nothing_is_imported_without_confirmation(
        invoke, english):
    result = invoke("import", BAD_GIFT, "--bank", "测验", input="n\n")
    assert result.exit_code == 1
    assert f"{BAD_GIFT}:6: rejected #2 '坏题' — answer weight %abc% is not a number" \
        in result.stderr
    assert "Nothing imported (2 new, 0 to update, 0 unchanged, 1 rejected)." in result.stderr
    assert question_count() == 0 and find_bank("测验") is None


def test_no_answer_means_no(invoke):
    result = invoke("import", BAD_GIFT, "--bank", "测验")  # end of input at the prompt
    assert result.exit_code == 1 and question_count() == 0


def test_confirmed_partial_import_exits_non_zero(invoke):
    result = invoke("import", BAD_GIFT, "--bank", "测验", input="y\n")
    assert result.exit_code == 1
    assert "Import the 2 importable question(s)" in result.stderr
    assert result.stdout == ("Imported into bank '测验': 1 single_choice, 1 true_false "
                             "(2 new, 0 updated, 0 unchanged, 1 rejected).\n")
    assert question_count() == 2


def test_yes_skips_the_question(invoke):
    result = invoke("import", BAD_GIFT, "--bank", "测验", "--yes")
    assert result.exit_code == 1 and question_count() == 2
    assert "Import the" not in result.output


def test_moodle_xml_with_notes_only_needs_confirmation_but_exits_zero(invoke, tmp_path):
    image_only = XML_FILE.read_text(encoding="utf-8")
    start = image_only.index("<!-- question: 102  -->")
    end = image_only.index("</quiz>")
    # Without the bytes of its image (as a Moodle GIFT export has it): a note, no rejection.
    image_only = re.sub(r"<file [^>]*>[^<]*</file>", "", image_only[:start] + image_only[end:])
    (tmp_path / "one.xml").write_text(image_only, encoding="utf-8")
    result = invoke("import", tmp_path / "one.xml", "--bank", "图片", "--yes")
    assert result.exit_code == 0, result.output
    assert ":26: incomplete #1 '订单审批' — " in result.stderr and "订单流程.png" in result.stderr
    assert "1 single_choice (1 new" in result.stdout


def test_moodle_xml_import_lists_unsupported_types(invoke):
    result = invoke("import", XML_FILE, "--bank", "ERP101", "--yes")
    assert result.exit_code == 1
    for title in ("折旧计算", "拖放填空", "完形填空", "随机题", "没有正确答案"):
        assert f"'{title}' — " in result.stderr
    assert "(9 new, 0 updated, 0 unchanged, 5 rejected)" in result.stdout
    assert question_count() == 9


def test_dry_run_writes_nothing(invoke, db):
    clean = invoke("import", GIFT_FILE, "--bank", "ERP 基础", "--dry-run")
    assert clean.exit_code == 0
    assert clean.stdout.startswith("Dry run, nothing imported. Would import 1 description, ")
    bad = invoke("import", BAD_GIFT, "--bank", "测验", "--dry-run")
    assert bad.exit_code == 1 and "rejected #2 '坏题'" in bad.stderr
    assert question_count() == 0
    assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == 0


def test_unreadable_files(invoke, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<?xml version='1.0'?>\n<quiz>\n<question>\n</quiz>\n")
    result = invoke("import", broken, "--bank", "x")
    assert result.exit_code == 1 and f"{broken}: line 4:" in result.stderr
    empty = tmp_path / "empty.gift"
    empty.write_text("// 只有注释\n", encoding="utf-8")
    result = invoke("import", empty, "--bank", "x")
    assert result.exit_code == 1 and "no questions found" in result.stderr


@pytest.mark.parametrize("name", ["bank.gift", "bank.xml"])
def test_export_by_extension_and_reimport(invoke, tmp_path, name):
    assert invoke("import", GIFT_FILE, "--bank", "ERP 基础").exit_code == 0
    target = tmp_path / name
    result = invoke("export", "ERP 基础", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote 13 question(s) of bank 'ERP 基础' to {target}.\n"
    content = target.read_bytes()
    assert "订单状态".encode() in content
    if name.endswith(".gift"):
        assert len(parse_gift(content.decode("utf-8"))) == 13
    else:
        assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    again = invoke("import", target, "--bank", "ERP 基础")
    assert again.exit_code == 0 and "13 unchanged" in again.stdout


def test_export_errors(invoke, tmp_path):
    assert invoke("import", GIFT_FILE, "--bank", "ERP 基础").exit_code == 0
    wrong = invoke("export", "ERP 基础", tmp_path / "bank.csv")
    assert wrong.exit_code == 1 and "must end in .gift or .xml" in wrong.stderr
    missing = invoke("export", "没有这个题库", tmp_path / "bank.gift")
    assert missing.exit_code == 1 and "no question bank named '没有这个题库'" in missing.stderr
    assert not (tmp_path / "bank.gift").exists()


def test_close_overdue_command_closes_attempts_past_their_deadline(app, db, make_course,
                                                                 create_user, monkeypatch):
    """`lms quizzes close-overdue` grades an attempt left open past its time limit."""
    from datetime import timedelta

    from lms.assessment import attempts, clock, quizzes
    from lms.catalog import enrolment

    course = make_course(quiz=True, quiz_settings={"time_limit": 5})
    learner = create_user("late1")
    enrolment.create_assignment(course, user=learner)
    item = next(i for i in course.published_revision.items if i.kind == "quiz")
    attempt = attempts.start_or_resume(quizzes.quiz_for_item(item), learner.id)
    db.session.commit()
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    result = app.test_cli_runner().invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0 and "Closed 1 overdue attempt" in result.output
    db.session.refresh(attempt)
    assert attempt.state == "graded" and attempt.closed_by == "deadline"
