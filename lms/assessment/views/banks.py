"""Trainers' question banks: list, browse by category and tag, edit a question, import, export.

Editing saves through ``services.save_question``: changed content makes a new version, and
attempts keep the version they showed. For a question learners have answered, the trainer
may instead save a correction and regrade (``attempts.correct_question``): the attempts that
used the current version move onto the corrected one and are graded again, unless the
correction changes the answer options. An uploaded file waits between preview and confirm
in the instance folder under a random name (app servers keep no state in memory; a shared
instance folder, or a table, is needed when several machines serve the portal).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from lms.accounts.permissions import require_permission
from lms.assessment import attempts, exporting, importing, services
from lms.assessment.forms import (
    ConfirmForm,
    ImportForm,
    QuestionForm,
    add_blank_rows,
    editor_data,
    fields_from_form,
    split_tags,
)
from lms.assessment.models import (
    AttemptResponse,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
)
from lms.assessment.views import blueprint
from lms.extensions import db

PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_KEPT_SECONDS = 24 * 3600
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _bank_or_404(bank_id: int) -> QuestionBank:
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None:
        abort(404)
    return bank


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


# --- Banks and their questions ------------------------------------------------------------


@blueprint.get("/manage/question-banks/")
@require_permission("author_courses")
def banks():
    rows = db.session.execute(
        select(QuestionBank, func.count(Question.id))
        .outerjoin(Question, (Question.bank_id == QuestionBank.id) & Question.archived.is_(False))
        .group_by(QuestionBank.id).order_by(QuestionBank.name)
    ).all()
    return render_template("assessment/banks/banks.html", rows=rows)


def _category_counts(bank: QuestionBank) -> list[tuple[QuestionCategory, int]]:
    return db.session.execute(
        select(QuestionCategory, func.count(Question.id))
        .outerjoin(Question, (Question.category_id == QuestionCategory.id)
                   & Question.archived.is_(False))
        .where(QuestionCategory.bank_id == bank.id)
        .group_by(QuestionCategory.id).order_by(QuestionCategory.name)
    ).all()


def _filters(bank: QuestionBank) -> dict:
    """The category (an id of this bank) and tag the list is filtered by; 400 for a bad id."""
    filters: dict = {}
    raw_category = request.args.get("category", "").strip()
    if raw_category:
        if not raw_category.isdigit():
            abort(400)
        category = db.session.get(QuestionCategory, int(raw_category))
        if category is None or category.bank_id != bank.id:
            abort(400)
        filters["category"] = category.id
    tag = request.args.get("tag", "").strip()[:50]
    if tag:
        filters["tag"] = tag
    return filters


def _question_query(bank: QuestionBank, filters: dict):
    query = select(Question).where(Question.bank_id == bank.id, Question.archived.is_(False))
    if "category" in filters:
        query = query.where(Question.category_id == filters["category"])
    if "tag" in filters:
        # Tags are a JSON list: matched in Python, which every database does the same way.
        tagged = [question_id for question_id, tags in db.session.execute(
            select(Question.id, Question.tags).where(Question.bank_id == bank.id))
            if filters["tag"] in (tags or [])]
        query = query.where(Question.id.in_(tagged))
    return query.order_by(Question.category_id, Question.title)


@blueprint.get("/manage/question-banks/<int:bank_id>/")
@require_permission("author_courses")
def bank(bank_id: int):
    return _render_bank(_bank_or_404(bank_id), ImportForm())


def _render_bank(bank: QuestionBank, import_form: ImportForm, status: int = 200):
    filters = _filters(bank)
    page = db.paginate(_question_query(bank, filters), page=_page_number(), per_page=PAGE_SIZE,
                       error_out=False)
    ids = [question.id for question in page.items]
    version_counts = dict(db.session.execute(
        select(QuestionVersion.question_id, func.count(QuestionVersion.id))
        .where(QuestionVersion.question_id.in_(ids)).group_by(QuestionVersion.question_id)
    ).all()) if ids else {}
    kinds = dict(db.session.execute(
        select(Question.id, QuestionVersion.kind)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.id.in_(ids))
    ).all()) if ids else {}
    categories = _category_counts(bank)
    all_tags = sorted({tag for tags in db.session.scalars(
        select(Question.tags).where(Question.bank_id == bank.id)) for tag in (tags or [])})
    return render_template(
        "assessment/banks/bank.html", bank=bank, page=page, filters=filters,
        categories=categories, category_names={c.id: c.name for c, _n in categories},
        version_counts=version_counts, kinds=kinds, all_tags=all_tags,
        import_form=import_form,
    ), status


# --- Editing a question -------------------------------------------------------------------


def _question_or_404(bank: QuestionBank, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.bank_id != bank.id or question.current_version is None:
        abort(404)
    return question


@blueprint.route("/manage/question-banks/<int:bank_id>/questions/<int:question_id>",
                 methods=["GET", "POST"])
@require_permission("author_courses")
def edit_question(bank_id: int, question_id: int):
    bank = _bank_or_404(bank_id)
    question = _question_or_404(bank, question_id)
    current = question.current_version
    used = services.has_attempts(question)
    if request.method == "GET":
        form = QuestionForm(data=editor_data(current, question.tags or []))
        add_blank_rows(form, current.kind)
        return _editor(bank, question, form, used)
    form = QuestionForm()
    form.validate()
    fields = fields_from_form(form, current.kind)
    if fields is None:
        return _editor(bank, question, form, used, status=400)
    if form.based_on.data != str(current.id):
        flash(_("Someone saved this question while you were editing it. Your changes are "
                "below; compare them with version %(number)d and save again.",
                number=current.number), "warning")
        form.based_on.data = str(current.id)
        return _editor(bank, question, form, used, status=409)
    tags = split_tags(form.tags.data)
    regrade = used and request.form.get("action") == "regrade"
    changed = False
    if fields.data == current.data and fields.kind == current.kind \
            and fields.text == current.text and fields.text_format == current.text_format \
            and fields.general_feedback == current.general_feedback:
        # Equal values (100 and 100.0 alike): only the tags may have changed.
        question.tags = tags
    elif regrade:
        _correct_and_regrade(question, current, fields, tags)
        return redirect(url_for(".edit_question", bank_id=bank.id, question_id=question.id),
                        303)
    else:
        question, changed = services.save_question(
            bank, question.category.name, question.title, fields, tags=tags, actor=current_user)
    db.session.commit()
    if changed and used:
        flash(_("Saved as version %(number)d. Attempts already made keep the version they "
                "showed.", number=question.current_version.number), "success")
    elif changed:
        flash(_("Saved as version %(number)d.", number=question.current_version.number),
              "success")
    else:
        flash(_("Saved. The question's content did not change, so no new version was made."),
              "info")
    return redirect(url_for(".edit_question", bank_id=bank.id, question_id=question.id), 303)


def _responses_on(version: QuestionVersion) -> int:
    return db.session.scalar(select(func.count(AttemptResponse.id)).where(
        AttemptResponse.version_id == version.id)) or 0


def _correct_and_regrade(question: Question, current: QuestionVersion, fields,
                         tags: list[str]) -> None:
    """Save the correction as a new version and move the attempts that used ``current`` onto
    it, grading them again (``attempts.correct_question``); flash what happened."""
    used_current = _responses_on(current)
    score_changes = attempts.correct_question(question, fields, actor=current_user,
                                              regrade=True)
    question.tags = tags
    number = question.current_version.number
    # correct_question moves every response off the corrected version, unless it refused.
    refused = used_current and _responses_on(current)
    db.session.commit()
    if refused:
        flash(_("Saved as version %(number)d, but past attempts were NOT regraded: the "
                "correction adds, removes or changes answer options, so it is a different "
                "question for learners who answered version %(old)d. Their attempts keep the "
                "version they showed. To regrade, change only credits, feedback, accepted "
                "answers or wording.", number=number, old=current.number), "warning")
    elif not used_current:
        flash(_("Saved as version %(number)d. No attempt used version %(old)d, so no attempt "
                "was regraded.", number=number, old=current.number), "info")
    else:
        flash(ngettext("Saved as version %(number)d and regraded past attempts: %(num)d "
                       "attempt changed score.",
                       "Saved as version %(number)d and regraded past attempts: %(num)d "
                       "attempts changed score.", score_changes, number=number), "success")


def _editor(bank, question, form, used, status=200):
    versions = db.session.scalars(select(QuestionVersion).where(
        QuestionVersion.question_id == question.id).order_by(QuestionVersion.number.desc())
    ).all()
    return render_template(
        "assessment/banks/question.html", bank=bank, question=question, form=form, used=used,
        kind=question.current_version.kind, versions=versions,
    ), status


# --- Export -------------------------------------------------------------------------------


def _download_name(bank: QuestionBank, extension: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", bank.name).strip("-") or f"bank-{bank.id}"
    return f"{safe}.{extension}"


def _export(bank: QuestionBank, file_format: str, extension: str, content_type: str):
    export = exporting.export_bank(bank, file_format)
    return Response(export.content, headers={
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{_download_name(bank, extension)}"',
        "X-Content-Type-Options": "nosniff",
    })


@blueprint.get("/manage/question-banks/<int:bank_id>/export.gift")
@require_permission("author_courses")
def export_gift(bank_id: int):
    return _export(_bank_or_404(bank_id), "gift", "gift", "text/plain; charset=utf-8")


@blueprint.get("/manage/question-banks/<int:bank_id>/export.xml")
@require_permission("author_courses")
def export_moodle_xml(bank_id: int):
    return _export(_bank_or_404(bank_id), "moodle_xml", "xml", "application/xml; charset=utf-8")


# --- Import: upload, preview, confirm -----------------------------------------------------


def _upload_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads" / "question-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _purge_old_uploads(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_KEPT_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def _upload_path(token: str) -> Path:
    """Where an upload of the current user waits; 404 for a token that is not theirs."""
    if not TOKEN_PATTERN.match(token):
        abort(404)
    path = _upload_folder() / f"{current_user.id}-{token}"
    if not path.exists():
        abort(404)
    return path


@blueprint.post("/manage/question-banks/<int:bank_id>/import")
@require_permission("author_courses")
def import_upload(bank_id: int):
    bank = _bank_or_404(bank_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _bank_with_import_error(bank, form)
    content = form.file.data.read(MAX_UPLOAD_BYTES + 1)
    filename = os.path.basename(form.file.data.filename or "questions.gift")[:200]
    if len(content) > MAX_UPLOAD_BYTES:
        form.file.errors.append(_("The file is larger than 5 MB."))
        return _bank_with_import_error(bank, form)
    if not filename.lower().endswith((".gift", ".txt", ".xml")):
        form.file.errors.append(_("Choose a GIFT file (.gift or .txt) or a Moodle XML file "
                                  "(.xml)."))
        return _bank_with_import_error(bank, form)
    folder = _upload_folder()
    _purge_old_uploads(folder)
    token = secrets.token_urlsafe(32)
    (folder / f"{current_user.id}-{token}").write_bytes(content)
    return redirect(url_for(".import_preview", bank_id=bank.id, token=token, name=filename),
                    303)


def _bank_with_import_error(bank: QuestionBank, form: ImportForm):
    return _render_bank(bank, form, status=400)


STATUS_LABELS = {"new": _l("New"), "update": _l("New version"), "unchanged": _l("Unchanged"),
                 "rejected": _l("Cannot import")}


def _render_preview(bank, preview, token: str, name: str, status: int = 200):
    return render_template(
        "assessment/banks/import_preview.html", bank=bank, preview=preview, token=token,
        name=name, confirm=ConfirmForm(), status_labels=STATUS_LABELS,
        importable=preview.count("new") + preview.count("update"),
    ), status


@blueprint.route("/manage/question-banks/<int:bank_id>/import/<token>", methods=["GET", "POST"])
@require_permission("author_courses")
def import_preview(bank_id: int, token: str):
    bank = _bank_or_404(bank_id)
    path = _upload_path(token)
    name = os.path.basename(request.values.get("name") or "questions.gift")[:200]
    try:
        preview = importing.preview_import(path.read_bytes(), name, bank.name)
    except importing.QuestionFileError as error:
        path.unlink(missing_ok=True)
        form = ImportForm()
        form.file.errors = [str(error)]
        return _render_bank(bank, form, status=400)
    if request.method == "GET":
        return _render_preview(bank, preview, token, name)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("digest") != preview.digest:
        flash(_("The bank changed since you saw the preview. Check the updated preview and "
                "confirm again."), "warning")
        return _render_preview(bank, preview, token, name, status=409)
    try:
        path.unlink()  # claims the upload: of two confirms sent at once only one imports
    except FileNotFoundError:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for(".bank", bank_id=bank.id), 303)
    # The trainer saw the rejected questions and confirmed the importable part.
    result = importing.apply_import(preview, bank.name, accept_partial=True, actor=current_user)
    db.session.commit()
    flash(_("Imported: %(new)d new questions, %(changed)d new versions, %(unchanged)d "
            "unchanged, %(rejected)d rejected.", new=result.created, changed=result.updated,
            unchanged=result.unchanged, rejected=len(result.rejected)), "success")
    return redirect(url_for(".bank", bank_id=bank.id), 303)
