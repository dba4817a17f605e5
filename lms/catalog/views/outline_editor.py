"""Trainers' changes to a draft's outline: modules, new items, deleting and moving them, and
the complete new order sent by drag and drop.

Each answer goes back to the course editor (``authoring.py``), where the outline is shown.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from lms.accounts.permissions import require_permission
from lms.catalog import outline
from lms.catalog.forms import ModuleTitleForm
from lms.catalog.models import Course, CourseItem, CourseRevision
from lms.catalog.views import authoring_common as common
from lms.catalog.views import blueprint
from lms.extensions import db


def _draft_of_new_row(code: str) -> tuple[Course, CourseRevision | None]:
    """The course and the draft a form adding a module or an item was loaded from.

    The draft is checked before the form, so a stale form is not shown again with errors.
    """
    course = common.course_or_404(code)
    return course, common.draft_or_none(course, request.form.get("revision_id", type=int))


def _item_or_404(draft: CourseRevision, key: str) -> CourseItem:
    item = common.item_in(draft, key)
    if item is None:
        abort(404)
    return item


def _move(code: str, find: Callable, move: Callable[..., None], anchor: str):
    """Move what ``find(draft)`` returns one place up or down, as the form says."""
    step = common.direction()
    course, _form, draft = common.posted_draft(code)
    if draft is not None:
        move(find(draft), step)
        db.session.commit()
    return redirect(common.editor_url(course) + anchor)


# --- Modules ---------------------------------------------------------------------------------


@blueprint.post("/manage/courses/<code>/modules")
@require_permission("author_courses")
def add_module(code: str):
    course, draft = _draft_of_new_row(code)
    if draft is None:
        return redirect(common.editor_url(course))
    form = ModuleTitleForm()
    if not form.validate_on_submit():
        return common.render_editor(course, status=400, module_form=form)
    outline.add_module(draft, form.title.data.strip())
    db.session.commit()
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/rename")
@require_permission("author_courses")
def rename_module(code: str, module_id: int):
    course = common.course_or_404(code)
    form = ModuleTitleForm()
    if not form.validate_on_submit():
        flash(_("A module needs a title of at most 200 characters."), "danger")
        return redirect(common.editor_url(course))
    draft = common.draft_or_none(course, form.revision_id.data)
    if draft is not None:
        outline.rename_module(common.module_or_404(draft, module_id), form.title.data.strip())
        db.session.commit()
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/delete")
@require_permission("author_courses")
def delete_module(code: str, module_id: int):
    course, _form, draft = common.posted_draft(code)
    if draft is not None:
        module = common.module_or_404(draft, module_id)
        if outline.delete_module(module):
            db.session.commit()
        else:
            flash(_("“%(title)s” still holds items. Move or delete them first; only an empty "
                    "module can be deleted.", title=module.title), "warning")
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/move")
@require_permission("author_courses")
def move_module(code: str, module_id: int):
    return _move(code, lambda draft: common.module_or_404(draft, module_id),
                 outline.move_module, f"#module-{module_id}")


# --- Items -----------------------------------------------------------------------------------


@blueprint.post("/manage/courses/<code>/items")
@require_permission("author_courses")
def add_item(code: str):
    course, draft = _draft_of_new_row(code)
    if draft is None:
        return redirect(common.editor_url(course))
    form = common.new_item_form(draft, formdata=True)
    if not form.validate_on_submit():
        return common.render_editor(course, status=400, item_form=form)
    module = common.module_or_404(draft, form.module_id.data)
    wanted = form.key.data or None
    title = form.title.data.strip()
    key = outline.item_key_for(draft, form.kind.data, title, wanted)
    item = outline.add_item(module, form.kind.data, title, key)
    db.session.commit()
    if wanted and item.key != wanted:
        flash(_("The key “%(wanted)s” is taken, so the item got the key “%(key)s”.",
                wanted=wanted, key=item.key), "info")
    return redirect(url_for("catalog.edit_item", code=course.code, key=item.key))


@blueprint.post("/manage/courses/<code>/items/<key>/delete")
@require_permission("author_courses")
def delete_item(code: str, key: str):
    course, _form, draft = common.posted_draft(code)
    if draft is not None:
        item = _item_or_404(draft, key)
        title = item.title
        outline.delete_item(item)
        db.session.commit()
        flash(_("“%(title)s” was deleted from the draft.", title=title), "success")
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/items/<key>/move")
@require_permission("author_courses")
def move_item(code: str, key: str):
    return _move(code, lambda draft: _item_or_404(draft, key), outline.move_item,
                 f"#item-{key}")


def _parse_order(payload) -> list[tuple[int, int]] | None:
    order = payload.get("order") if isinstance(payload, dict) else None
    if not isinstance(order, list):
        return None
    pairs = []
    for entry in order:
        if not (isinstance(entry, list) and len(entry) == 2
                and all(type(value) is int for value in entry)):
            return None
        pairs.append((entry[0], entry[1]))
    return pairs


@blueprint.post("/manage/courses/<code>/reorder")
@require_permission("author_courses")
def reorder_items(code: str):
    """JSON ``{"revision_id": …, "order": [[module id, item id], …]}``: the complete new order."""
    course = common.course_or_404(code)
    payload = request.get_json(silent=True)
    draft = course.draft_revision
    revision_id = payload.get("revision_id") if isinstance(payload, dict) else None
    if draft is None or revision_id != draft.id:
        return common.json_error(common.stale_draft_message(course), 409)
    order = _parse_order(payload)
    if order is None:
        return common.json_error(_("The new order could not be read."), 400)
    try:
        outline.reorder_items(draft, order)
    except ValueError:
        db.session.rollback()
        return common.json_error(_("The new order must list every item of the draft exactly "
                                   "once. Reload the page and try again."), 400)
    db.session.commit()
    return jsonify(ok=True)
