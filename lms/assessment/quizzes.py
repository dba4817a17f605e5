"""A course item's quiz built from its GIFT text, and how question texts are shown.

``quiz_for_item`` keeps one ``Quiz`` per quiz item in step with the item:

- the questions go into the bank named after the course code, in the category named after
  the item key (``sales-quiz``), or ``sales-quiz/<GIFT $CATEGORY>`` below a ``$CATEGORY``
  line; a question without a ``::title::`` is titled ``q<N>`` after its place in the file
  (so reordering untitled questions makes new questions, a reason to give them titles);
- every question gets a fixed slot (descriptions too, with no marks) — except the questions
  of a category that a ``draw`` of the same item names: those form the pool the draw picks
  from, so one GIFT file can hold both the fixed questions and a pool;
- every ``draw`` setting adds a slot drawing ``count`` random questions from a category of
  the named bank (the course's own bank when no bank is named);
- questions that were in the item's categories but are no longer in its file are archived,
  so draws stop picking them; attempts that showed them keep them;
- only what the file changed reaches the bank: a question whose text in the file is the same
  as at the quiz's last build (the previous revision's item) is left as the bank has it, so
  a trainer's correction in the bank (``attempts.correct_question``) survives republishing.

Calling it again with the same item changes nothing and costs one query: the quiz keeps the
hash of the item it was built from. Build quizzes of published items only (catalog publish
does it): questions live in the course's bank, shared by every revision's quiz, so building
a draft's quiz would show its questions in the live quiz at once.
"""

from __future__ import annotations

import hashlib
import html
import json

import nh3
from markupsafe import Markup
from sqlalchemy import or_, select

from lms.assessment.convert import VersionFields, version_fields
from lms.assessment.gift import GiftError, parse_gift
from lms.assessment.images import resolve_for_page, resolve_link
from lms.assessment.models import Question, QuestionCategory, QuestionVersion, Quiz, QuizSlot
from lms.assessment.services import (
    find_bank,
    find_question,
    get_or_create_bank,
    get_or_create_category,
    save_question,
)
from lms.assessment.settings import quiz_settings, stored_quiz_settings
from lms.core.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    CLEAN_CONTENT_TAGS,
    URL_SCHEMES,
    render_markdown,
)
from lms.extensions import db


def quiz_for_item(item) -> Quiz:
    """Create or refresh the quiz of a quiz item (see the module docstring); flushes.

    Cheap when nothing changed: the quiz remembers the hash of the item it was built from.
    """
    quiz = quiz_of_item_id(item.id)
    digest = _source_hash(item)
    if quiz is not None and quiz.source_hash == digest:
        return quiz
    course_code = item.revision.course.code
    bank = get_or_create_bank(course_code)
    settings = quiz_settings(item.settings or {})
    draw_categories = {(d["bank"] or course_code, d["category"]) for d in settings.draws}
    before = _previous_file_hashes(item)
    wanted: list[tuple[int | None, int | None, int, float]] = []
    kept_ids: set[int] = set()
    for category, title, fields in _file_questions(item.key, item.body):
        question = None
        if before.get((category, title)) == fields.content_hash():
            question = find_question(get_or_create_category(bank, category), title)
        if question is None or question.current_version is None:
            question, _changed = save_question(bank, category, title, fields)
        if question.archived:
            question.archived = False
        kept_ids.add(question.id)
        if (course_code, category) in draw_categories:
            continue  # a pool question: drawn, not fixed
        wanted.append((question.id, None, 1, 0.0 if fields.kind == "description" else 1.0))
    for draw in settings.draws:
        draw_bank = find_bank(draw["bank"]) if draw["bank"] else bank
        if draw_bank is None:
            draw_bank = get_or_create_bank(draw["bank"])
        category = get_or_create_category(draw_bank, draw["category"])
        wanted.append((None, category.id, draw["count"], 1.0))
    _archive_removed(bank, item.key, kept_ids)

    if quiz is None:
        quiz = Quiz(item_id=item.id, bank_id=bank.id, title=item.title)
        db.session.add(quiz)
        db.session.flush()
    quiz.settings = stored_quiz_settings(item.settings or {})
    quiz.title, quiz.bank_id, quiz.source_hash = item.title, bank.id, digest
    _sync_slots(quiz, wanted)
    db.session.flush()
    return quiz


def _source_hash(item) -> str:
    # The course code (the bank's name) is not in it: a course keeps its code.
    payload = json.dumps([item.key, item.title, item.body or "",
                          stored_quiz_settings(item.settings or {})],
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _file_questions(item_key: str, body: str | None) -> list[tuple[str, str, VersionFields]]:
    """(category, title, stored form) of every question of a quiz item's GIFT text."""
    questions, seen = [], set()
    for number, parsed in enumerate(parse_gift(body or ""), start=1):
        category = f"{item_key}/{parsed.category}" if parsed.category else item_key
        title = _unique_title(parsed.title or f"q{number}", category, seen)
        questions.append((category, title, version_fields(parsed)))
    return questions


def _previous_file_hashes(item) -> dict[tuple[str, str], str]:
    """What the item's file said at the last build of its quiz (in any revision).

    A question the file did not change since then is left as the bank has it, so a trainer's
    correction made in the bank survives republishing the course; a question the file
    changed gets a new version.
    """
    from lms.catalog.models import CourseItem, CourseRevision  # catalog imports assessment

    previous = db.session.scalar(
        select(CourseItem).join(Quiz, Quiz.item_id == CourseItem.id)
        .join(CourseRevision, CourseItem.revision_id == CourseRevision.id)
        .where(CourseRevision.course_id == item.revision.course_id,
               CourseItem.key == item.key, CourseItem.id != item.id, Quiz.source_hash != "")
        .order_by(Quiz.id.desc()).limit(1))
    if previous is None:
        return {}
    try:
        questions = _file_questions(item.key, previous.body)
    except GiftError:
        return {}
    return {(category, title): fields.content_hash() for category, title, fields in questions}


def quiz_of_item_id(item_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.item_id == item_id))


def draw_problems(quiz: Quiz) -> list[str]:
    """Draws that cannot be filled: fewer usable questions in the category than ``count``.

    An attempt then draws what there is (and its maximum score is lower), so trainers should
    see this when they publish.
    """
    problems = []
    fixed = {slot.question_id for slot in quiz.slots if slot.question_id}
    for slot in quiz.slots:
        if slot.category_id is None:
            continue
        available = len(drawable_questions(slot.category_id, fixed))
        if available < slot.draw_count:
            problems.append(f"draw from {slot.category.bank.name}/{slot.category.name}: "
                            f"{slot.draw_count} wanted, {available} available")
    return problems


def drawable_questions(category_id: int, exclude: set[int]) -> list[Question]:
    """Questions a draw may pick: not archived, with content, not a description."""
    return list(db.session.scalars(
        select(Question).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.category_id == category_id, Question.archived.is_(False),
               QuestionVersion.kind != "description", Question.id.not_in(exclude or {0}))
        .order_by(Question.id)))


def _unique_title(title: str, category: str, seen: set[tuple[str, str]]) -> str:
    """Two questions of one file with the same title stay two questions ("t", "t (2)")."""
    candidate, copy = title, 1
    while (category, candidate) in seen:
        copy += 1
        candidate = f"{title} ({copy})"
    seen.add((category, candidate))
    return candidate


def _archive_removed(bank, item_key: str, kept_ids: set[int]) -> None:
    categories = select(QuestionCategory.id).where(
        QuestionCategory.bank_id == bank.id,
        or_(QuestionCategory.name == item_key, QuestionCategory.name.startswith(f"{item_key}/")))
    removed = db.session.scalars(select(Question).where(
        Question.category_id.in_(categories), Question.archived.is_(False),
        Question.id.not_in(kept_ids or {0}))).all()
    for question in removed:
        question.archived = True


def _sync_slots(quiz: Quiz, wanted: list[tuple[int | None, int | None, int, float]]) -> None:
    """Make the quiz's slots equal ``wanted``, updating rows in place (slot ids stay)."""
    slots = list(quiz.slots)
    for position, (question_id, category_id, count, mark) in enumerate(wanted, start=1):
        if position <= len(slots):
            slot = slots[position - 1]
        else:
            slot = QuizSlot(position=position)
            quiz.slots.append(slot)
        for name, value in (("position", position), ("question_id", question_id),
                            ("category_id", category_id), ("draw_count", count),
                            ("mark", mark)):
            if getattr(slot, name) != value:
                setattr(slot, name, value)
    for slot in slots[len(wanted):]:
        quiz.slots.remove(slot)


# --------------------------------------------------------------------------- rendering

def question_html(text: str, text_format: str) -> Markup:
    """A question's text as safe HTML: Markdown (and Moodle's auto-format) rendered, HTML
    sanitised, plain text escaped; always through the same nh3 allow-list as lessons.

    Images of the bank (``question-image:<id>/<name>``, see assessment/images.py) become
    relative URLs of ``assessment.question_image`` before sanitising, which keeps them (it
    drops the ``question-image:`` scheme, as any other it does not know)."""
    if text_format == "plain":
        return Markup(html.escape(text).replace("\n", "<br>\n"))
    if text_format == "html":
        return Markup(_sanitise(resolve_for_page(text)))
    return Markup(render_markdown(text, resolve_link=resolve_link).html)


def inline_html(text: str, text_format: str) -> Markup:
    """A choice or matching text: like ``question_html`` without the surrounding paragraph."""
    rendered = str(question_html(text, text_format)).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") \
            and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return Markup(rendered)


def _sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment, tags=set(ALLOWED_TAGS), clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer", strip_comments=True)
