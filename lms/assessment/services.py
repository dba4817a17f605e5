"""Question banks and versioned questions: create, find, save a new version when content changes.

A question is identified inside its bank by (category, title). Saving changed content makes
a new version and leaves earlier versions untouched, so attempts made against them keep
exactly what they showed and how they were graded. Saving identical content changes nothing,
which makes repeated imports and course syncs idempotent.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select

from lms.assessment.convert import VersionFields
from lms.assessment.models import (
    AttemptResponse,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
)
from lms.extensions import db

DEFAULT_CATEGORY = "默认"


def find_bank(name: str) -> QuestionBank | None:
    return db.session.scalar(select(QuestionBank).where(QuestionBank.name == name))


def get_or_create_bank(name: str, description: str = "") -> QuestionBank:
    bank = find_bank(name)
    if bank is None:
        bank = QuestionBank(name=name, description=description)
        db.session.add(bank)
        db.session.flush()
    return bank


def get_or_create_category(bank: QuestionBank, name: str | None) -> QuestionCategory:
    name = (name or DEFAULT_CATEGORY).strip() or DEFAULT_CATEGORY
    category = db.session.scalar(select(QuestionCategory).where(
        QuestionCategory.bank_id == bank.id, QuestionCategory.name == name))
    if category is None:
        category = QuestionCategory(bank_id=bank.id, name=name)
        db.session.add(category)
        db.session.flush()
    return category


def find_question(category: QuestionCategory, title: str) -> Question | None:
    return db.session.scalar(select(Question).where(
        Question.category_id == category.id, Question.title == title))


def save_question(bank: QuestionBank, category_name: str | None, title: str,
                  fields: VersionFields, tags: list[str] | None = None,
                  actor=None) -> tuple[Question, bool]:
    """Create the question or give it a new version; returns (question, changed).

    ``changed`` is False when the content equals the current version (nothing is written).
    """
    category = get_or_create_category(bank, category_name)
    question = find_question(category, title)
    digest = fields.content_hash()
    if question is None:
        question = Question(bank_id=bank.id, category_id=category.id, title=title,
                            tags=list(tags or []))
        db.session.add(question)
        db.session.flush()
    elif question.current_version is not None \
            and question.current_version.content_hash == digest:
        if tags is not None and list(tags) != list(question.tags):
            question.tags = list(tags)
            db.session.flush()
        return question, False
    if tags is not None:
        question.tags = list(tags)
    number = (db.session.scalar(select(func.max(QuestionVersion.number)).where(
        QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(
        question_id=question.id, number=number, kind=fields.kind, text=fields.text,
        text_format=fields.text_format, data=fields.data,
        general_feedback=fields.general_feedback, content_hash=digest,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    question.current_version = version
    question.archived = False
    db.session.flush()
    return question, True


def version_fields_of(version: QuestionVersion) -> VersionFields:
    return VersionFields(kind=version.kind, text=version.text, text_format=version.text_format,
                         data=version.data, general_feedback=version.general_feedback)


def has_attempts(question: Question) -> bool:
    """Whether any attempt has shown a version of this question."""
    return db.session.scalar(select(exists().where(
        AttemptResponse.version_id == QuestionVersion.id,
        QuestionVersion.question_id == question.id))) or False
