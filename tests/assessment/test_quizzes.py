"""A quiz item's quiz: bank, categories, titles, slots, draws, archiving, idempotence.

Also holds the helpers the other engine tests import (a published quiz course, a clock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.assessment.models import Question, QuestionVersion, Quiz, QuizSlot
from lms.assessment.quizzes import (
    draw_problems,
    inline_html,
    question_html,
    quiz_for_item,
    quiz_of_item_id,
)
from lms.assessment.services import find_bank
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.catalog.source import CourseSource, ItemSource, ModuleSource
from lms.extensions import db

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand; install with monkeypatch on lms.assessment.clock.now."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def publish_quiz(gift: str, code: str = "quiz-course", key: str = "quiz", lessons: int = 0,
                 **settings):
    """Publish a course whose last item is a quiz with ``gift`` and ``settings``; returns
    (course, item, quiz). Like ``lms courses sync``, then the engine builds the quiz."""
    items = [ItemSource(key=f"lesson-{n}", kind="lesson", title=f"第 {n} 课",
                        body=f"第 {n} 课的内容。", source_name=f"lessons/{n:02d}.md")
             for n in range(1, lessons + 1)]
    items.append(ItemSource(key=key, kind="quiz", title="测验", body=gift,
                            settings={"pass_mark": 60, **settings}, source_name="quiz.gift"))
    course = catalog.find_course(code)
    if course is None:
        course = Course(code=code)
        db.session.add(course)
        db.session.flush()
    catalog.revision_from_source(course, CourseSource(
        code=code, title="测验课程", job_roles=["sales"], levels=["operations"],
        modules=[ModuleSource(title="单元", items=items)]))
    catalog.publish_draft(course)
    item = next(i for i in course.published_revision.items if i.key == key)
    quiz = quiz_for_item(item)
    db.session.commit()
    return course, item, quiz


GIFT = """
::信用::超过信用额度的订单会怎样?{=进入待审批 ~被删除}

ERP 是企业资源计划。{T}

// a description: shown, no marks
请先阅读下面的题目。

$CATEGORY: 库存

::负库存::库存可以为负。{F}
"""


def test_quiz_for_item_saves_questions_in_the_course_bank(db):
    course, item, quiz = publish_quiz(GIFT)
    bank = find_bank("quiz-course")
    assert quiz.bank_id == bank.id and quiz.item_id == item.id and quiz.title == "测验"
    questions = db.session.execute(
        select(Question.title, Question.category_id).where(Question.bank_id == bank.id)
        .order_by(Question.id)).all()
    categories = {c.id: c.name for c in bank.categories}
    assert [(title, categories[cid]) for title, cid in questions] == [
        ("信用", "quiz"), ("q2", "quiz"), ("q3", "quiz"), ("负库存", "quiz/库存")]
    slots = [(s.question.title, s.mark, s.draw_count) for s in quiz.slots]
    assert slots == [("信用", 1.0, 1), ("q2", 1.0, 1), ("q3", 0.0, 1), ("负库存", 1.0, 1)]
    assert quiz_of_item_id(item.id).id == quiz.id
    assert quiz.settings == {"pass_mark": 60}


def test_quiz_for_item_is_idempotent(db, count_queries):
    _course, item, quiz = publish_quiz(GIFT)
    slot_ids = [s.id for s in quiz.slots]
    versions = db.session.scalar(select(func.count()).select_from(QuestionVersion))
    with count_queries() as statements:
        again = quiz_for_item(item)
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT"]  # the item, the quiz
    assert again.id == quiz.id and [s.id for s in again.slots] == slot_ids
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == versions


def test_a_changed_file_versions_changed_questions_and_archives_removed_ones(db):
    _course, _item, first = publish_quiz(GIFT)
    changed = GIFT.replace("{=进入待审批 ~被删除}", "{=进入待审批 ~被拒绝}").replace(
        "::负库存::库存可以为负。{F}", "::新题::新的题目。{T}")
    _course, item, quiz = publish_quiz(changed)
    assert quiz.id != first.id  # a new revision's item has its own quiz
    credit = db.session.scalar(select(Question).where(Question.title == "信用"))
    assert credit.current_version.number == 2
    assert [v.number for v in db.session.scalars(select(QuestionVersion).where(
        QuestionVersion.question_id == credit.id))] == [1, 2]
    removed = db.session.scalar(select(Question).where(Question.title == "负库存"))
    assert removed.archived
    assert [s.question.title for s in quiz.slots] == ["信用", "q2", "q3", "新题"]
    # Putting the question back brings it back from the archive.
    publish_quiz(GIFT)
    assert not db.session.get(Question, removed.id).archived


def test_a_bank_correction_survives_rebuilding_and_republishing(db):
    from lms.assessment.attempts import correct_question
    from lms.assessment.convert import version_fields
    from lms.assessment.gift import parse_gift

    _course, item, quiz = publish_quiz(GIFT)
    credit = db.session.scalar(select(Question).where(Question.title == "信用"))
    (fixed,) = parse_gift("::信用::超过信用额度的订单会怎样?{=进入待审批 ~被删除 ~被拒绝}")
    correct_question(credit, version_fields(fixed))
    assert credit.current_version.number == 2
    assert quiz_for_item(item).id == quiz.id and credit.current_version.number == 2
    # A new revision whose file did not change this question keeps the correction ...
    publish_quiz(GIFT.replace("库存可以为负。", "库存不能为负?"))
    assert credit.current_version.number == 2
    # ... and one whose file changed it brings the file's text back as a new version.
    publish_quiz(GIFT.replace("~被删除}", "~被取消}"))
    assert credit.current_version.number == 3
    assert [c["text"] for c in credit.current_version.data["choices"]] == ["进入待审批", "被取消"]


def test_draw_slots_and_pool_questions(db):
    pool = "\n\n".join(f"::池{n}::第 {n} 题。{{T}}" for n in range(1, 5))
    publish_quiz(f"$CATEGORY: 题库\n\n{pool}\n", code="other-bank", key="bank-item")
    gift = f"::固定::固定题。{{T}}\n\n$CATEGORY: 池\n\n{pool}\n"
    _course, _item, quiz = publish_quiz(
        gift, draw=[{"category": "quiz/池", "count": 2},
                    {"bank": "other-bank", "category": "bank-item/题库", "count": 3}])
    kinds = [(s.question.title if s.question else None,
              f"{s.category.bank.name}:{s.category.name}" if s.category else None,
              s.draw_count) for s in quiz.slots]
    # The pool of this file is drawn from, not fixed.
    assert kinds == [("固定", None, 1), (None, "quiz-course:quiz/池", 2),
                     (None, "other-bank:bank-item/题库", 3)]
    assert draw_problems(quiz) == []
    quiz.settings = {**quiz.settings, "draw": [{"category": "quiz/池", "count": 9}]}
    quiz.slots[1].draw_count = 9
    assert draw_problems(quiz) == ["draw from quiz-course/quiz/池: 9 wanted, 4 available"]


def test_removing_a_draw_removes_its_slot(db):
    pool = "$CATEGORY: 池\n\n::池1::第一。{T}\n\n::池2::第二。{F}\n"
    _c, _i, quiz = publish_quiz("::固定::固定。{T}\n\n" + pool,
                                draw=[{"category": "quiz/池", "count": 1}])
    assert len(quiz.slots) == 2
    _c, item, quiz = publish_quiz("::固定::固定。{T}\n\n" + pool)
    assert [s.question.title for s in quiz.slots] == ["固定", "池1", "池2"]
    assert db.session.scalar(select(func.count()).select_from(QuizSlot).where(
        QuizSlot.quiz_id == quiz.id)) == 3
    assert isinstance(quiz, Quiz) and quiz.item_id == item.id


def test_duplicate_titles_stay_separate_questions(db):
    _c, _i, quiz = publish_quiz("::同名::一。{T}\n\n::同名::二。{F}\n")
    assert [s.question.title for s in quiz.slots] == ["同名", "同名 (2)"]


def test_question_text_is_rendered_and_sanitised():
    html_text = question_html('<b>粗</b><script>alert(1)</script><a href="javascript:x">l</a>',
                              "html")
    assert "<b>粗</b>" in html_text and "script" not in html_text
    assert "javascript" not in html_text
    assert question_html("**重点**", "markdown") == "<p><strong>重点</strong></p>"
    assert question_html("<i>x</i> & y", "plain") == "&lt;i&gt;x&lt;/i&gt; &amp; y"
    assert question_html("<img src=x onerror=alert(1)>", "moodle").count("onerror") == 0
    assert inline_html("**甲**", "markdown") == "<strong>甲</strong>"
