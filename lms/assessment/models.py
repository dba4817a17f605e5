"""Question banks, versioned questions, quizzes, attempts and their grades.

A question is an identity (bank, category, title) with versions. Editing a question that has
been used in an attempt makes a new version; an attempt records the exact versions it drew
and the order it showed their choices in, so its review shows what the learner saw.
A quiz belongs to one course item (of one course revision); its attempts stay with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

QUESTION_KINDS = ("single_choice", "multiple_choice", "true_false", "short_answer", "numeric",
                  "matching", "essay", "description")


class QuestionBank(db.Model):
    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list[QuestionCategory]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", order_by="QuestionCategory.name")


class QuestionCategory(db.Model):
    """A category path inside a bank, e.g. "销售/信用管理" (GIFT's $CATEGORY)."""

    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")


class QuestionImage(db.Model):
    """An image shown in a bank's question texts (imported from a Moodle XML ``<file>``).

    Kept once per bank by content; texts refer to it as ``question-image:<id>/<name>``
    (see assessment/images.py), which pages show through ``assessment.question_image``.
    """

    __tablename__ = "question_images"
    __table_args__ = (UniqueConstraint("bank_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_category_title", "category_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE"))
    # Identifies the question inside its category across versions and re-imports.
    title: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version"))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[QuestionBank] = relationship()
    category: Mapped[QuestionCategory] = relationship()
    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)


class QuestionVersion(db.Model):
    """What a question says and how it is graded, frozen once an attempt has used it.

    ``data`` depends on ``kind`` (see lms/assessment/convert.py for the exact shapes):
    choices with fractions and feedback, accepted short answers, numeric values with
    tolerance, matching pairs, or nothing for an essay.
    """

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    text_format: Mapped[str] = mapped_column(String(10), default="moodle")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    default_mark: Mapped[float] = mapped_column(default=1.0)
    # sha256 of kind/text/data/feedback: an unchanged re-import makes no new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    question: Mapped[Question] = relationship(foreign_keys=[question_id])


class Quiz(db.Model):
    """The quiz of one course item: its slots and settings (see assessment/settings.py)."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_items.id", ondelete="CASCADE"), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"))
    title: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # sha256 of the item (GIFT, settings, title) the quiz was last built from: rebuilding an
    # unchanged item is a no-op (see assessment/quizzes.py).
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizSlot.position")
    item = relationship("CourseItem")
    bank: Mapped[QuestionBank] = relationship()


class QuizSlot(db.Model):
    """A fixed question, or ``draw_count`` questions drawn at random from a category."""

    __tablename__ = "quiz_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int]
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("question_categories.id"))
    draw_count: Mapped[int] = mapped_column(default=1)
    mark: Mapped[float] = mapped_column(default=1.0)

    quiz: Mapped[Quiz] = relationship(back_populates="slots")
    question: Mapped[Question | None] = relationship()
    category: Mapped[QuestionCategory | None] = relationship()


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int]
    # in_progress -> needs_grading (an essay waits) -> graded; or straight to graded.
    state: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "learner" when they submitted, "deadline" when the time limit closed it.
    closed_by: Mapped[str | None] = mapped_column(String(10))
    # What was drawn and shown: [{"position", "slot_id", "version_id", "mark", "order"}].
    layout: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    passed: Mapped[bool | None]
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change: a stale page or a second tab cannot submit twice.
    version: Mapped[int] = mapped_column(default=1)

    quiz: Mapped[Quiz] = relationship()
    responses: Mapped[list[AttemptResponse]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan",
        order_by="AttemptResponse.position")


class AttemptResponse(db.Model):
    """The learner's answer to one question of an attempt, and its grade."""

    __tablename__ = "attempt_responses"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    position: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    response: Mapped[dict | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(default=0)
    fraction: Mapped[float | None]
    mark: Mapped[float | None]
    needs_grading: Mapped[bool] = mapped_column(default=False)
    grader_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="responses")
    version: Mapped[QuestionVersion] = relationship()


class GradeChange(db.Model):
    """History of an attempt's score: every regrade, essay grade or override."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int | None]
    old_score: Mapped[float | None]
    new_score: Mapped[float | None]
    reason: Mapped[str] = mapped_column(String(20))  # graded / essay / regrade / override
    comment: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
