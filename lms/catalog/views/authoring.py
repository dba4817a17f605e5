"""Trainers' course editor: the course list, one course's draft (settings, outline, publishing),
one item's editor with a live Markdown preview, and image uploads.

Every change lands on the course's draft revision; learners keep seeing the published one until
the draft is published. Forms carry the id of the draft they were loaded from (and the lock
version of the row they edit), so a change aimed at a draft that was published or discarded
meanwhile is refused instead of landing somewhere the author did not see.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import JobRole
from lms.accounts.permissions import require_permission, wants_json
from lms.catalog import services
from lms.catalog.assets import (
    AssetRejected,
    attach_image,
    check_image,
    human_size,
    image_paths,
    max_asset_bytes,
    read_limited,
)
from lms.catalog.forms import (
    ActionForm,
    CourseSettingsForm,
    ItemForm,
    ModuleTitleForm,
    NewCourseForm,
    NewItemForm,
    PublishForm,
    UploadForm,
)
from lms.catalog.kinds import ITEM_KINDS, LEVEL_LABELS
from lms.catalog.models import LEVELS, Course, CourseItem, CourseModule, CourseRevision
from lms.catalog.rendering import asset_url, render_item_markdown
from lms.catalog.views import blueprint
from lms.extensions import db

PAGE_SIZE = 25
MAX_PAGE = 10_000
MAX_PREVIEW_CHARS = 200_000
STATE_LABELS = {
    "draft": _l("Draft only"),
    "published": _l("Published"),
    "changed": _l("Published, with unpublished changes"),
    "withdrawn": _l("Unpublished"),
}
BODY_FORMATS = {"lesson": "markdown", "quiz": "gift", "exercise": "yaml", "survey": "yaml"}


def course_state(course: Course) -> str:
    if course.published_revision_id is None:
        return "draft"
    if course.withdrawn:
        return "withdrawn"
    return "changed" if course.draft_revision_id is not None else "published"


def _actor():
    return current_user._get_current_object()


def _course_or_404(code: str) -> Course:
    course = services.find_course(code) if len(code) <= 60 else None
    if course is None:
        abort(404)
    return course


def _editor_url(course: Course) -> str:
    return url_for("catalog.edit_course", code=course.code)


def _stale_draft_message(course: Course) -> str:
    if course.draft_revision is None:
        return _("This course has no draft, so nothing was changed. Choose “Edit (creates a "
                 "draft)” first.")
    return _("The draft you were looking at was published or discarded meanwhile, so nothing "
             "was changed. This is the course as it is now.")


def _draft_or_none(course: Course, revision_id: int | None) -> CourseRevision | None:
    """The draft the form was loaded from; None (with a message flashed) if it is gone."""
    draft = course.draft_revision
    if draft is None or draft.id != revision_id:
        flash(_stale_draft_message(course), "warning")
        return None
    return draft


def _json_error(message: str, status: int):
    return jsonify(error=message), status


def _module_or_404(draft: CourseRevision, module_id: int) -> CourseModule:
    module = next((m for m in draft.modules if m.id == module_id), None)
    if module is None:
        abort(404)
    return module


def _item_in(revision: CourseRevision | None, key: str) -> CourseItem | None:
    if revision is None:
        return None
    return next((item for item in revision.items if item.key == key), None)


def _direction() -> int:
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    return direction


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


# --- The course list and a new course -----------------------------------------------------


@blueprint.get("/manage/courses/")
@require_permission("author_courses")
def manage_courses():
    query = (select(Course)
             .options(selectinload(Course.draft_revision), selectinload(Course.published_revision))
             .order_by(Course.code))
    page = db.paginate(query, page=_page_number(), per_page=PAGE_SIZE, error_out=False)
    return render_template("catalog/authoring/courses.html", page=page, course_state=course_state,
                           state_labels=STATE_LABELS)


@blueprint.route("/manage/courses/new", methods=["GET", "POST"])
@require_permission("author_courses")
def new_course():
    form = NewCourseForm()
    if form.validate_on_submit():
        code = form.code.data.strip()
        if services.find_course(code) is not None:
            form.code.errors.append(_("A course with this code exists already. Choose another "
                                      "code."))
        else:
            try:
                course = services.create_course(code, form.title.data.strip(), actor=_actor())
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.code.errors.append(_("A course with this code was created at the same "
                                          "moment. Choose another code."))
            else:
                flash(_("The course was created as a draft. Add modules and items, then "
                        "publish it."), "success")
                return redirect(_editor_url(course))
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/authoring/new_course.html", form=form), status


# --- The course editor ----------------------------------------------------------------------


def _settings_form(draft: CourseRevision, formdata=None) -> CourseSettingsForm:
    if formdata is not None:
        form = CourseSettingsForm()
    else:
        form = CourseSettingsForm(formdata=None, data={
            "revision_id": draft.id, "lock_version": draft.lock_version, "title": draft.title,
            "summary": draft.summary, "version_label": draft.version_label,
            "job_roles": list(draft.audience_job_roles), "levels": list(draft.audience_levels),
            "self_enrol": draft.course.self_enrol, "cover": draft.cover_name or "",
        })
    form.job_roles.choices = [(role.code, role.label) for role in
                              db.session.scalars(select(JobRole).order_by(JobRole.code))]
    form.levels.choices = [(level, str(LEVEL_LABELS.get(level, level))) for level in LEVELS]
    covers = image_paths(draft)
    if draft.cover_name and draft.cover_name not in covers:
        covers.append(draft.cover_name)
    form.cover.choices = [("", _("No cover image"))] + [(path, path) for path in covers]
    return form


def _new_item_form(draft: CourseRevision, formdata: bool = False) -> NewItemForm:
    form = NewItemForm() if formdata else NewItemForm(formdata=None,
                                                      data={"revision_id": draft.id})
    form.module_id.choices = [(module.id, module.title) for module in draft.modules]
    form.kind.choices = [(kind.name, str(kind.label)) for kind in ITEM_KINDS.values()]
    return form


def item_changes(published: CourseRevision | None, draft: CourseRevision) -> dict | None:
    """Items added, removed and changed (by content hash) in the draft, matched by key."""
    if published is None:
        return None
    before = {item.key: item for item in published.items}
    after = {item.key: item for item in draft.items}
    return {
        "added": [item for item in draft.ordered_items() if item.key not in before],
        "removed": [item for item in published.ordered_items() if item.key not in after],
        "changed": [item for item in draft.ordered_items() if item.key in before
                    and before[item.key].content_hash != item.content_hash],
    }


def misplaced_requirements(revision: CourseRevision) -> dict[int, list[str]]:
    """Item id -> keys it requires that do not come before it (after a move, say)."""
    seen: set[str] = set()
    misplaced: dict[int, list[str]] = {}
    for item in revision.ordered_items():
        later = [key for key in item.requires if key not in seen]
        if later:
            misplaced[item.id] = later
        seen.add(item.key)
    return misplaced


def publish_problems(draft: CourseRevision) -> list[str]:
    """What stops the draft from being published, in the user's language."""
    problems = []
    if not draft.items:
        problems.append(_("The course has no items yet."))
    misplaced = misplaced_requirements(draft)
    for item in draft.ordered_items():
        kind = ITEM_KINDS.get(item.kind)
        reasons = kind.validate(item.body, item.url, item.settings) if kind else [item.kind]
        for reason in reasons:
            problems.append(_("“%(title)s” is not ready: %(reason)s", title=item.title,
                              reason=reason))
        if item.id in misplaced:
            problems.append(_("“%(title)s” opens after %(keys)s, which does not come before it.",
                              title=item.title, keys=", ".join(misplaced[item.id])))
    return problems


def _image_links(revision: CourseRevision) -> list[tuple[str, str | None]]:
    serving = "catalog.asset" in current_app.view_functions
    return [(path, asset_url(revision, path) if serving else None)
            for path in image_paths(revision)]


def _render_editor(course: Course, status: int = 200, **forms):
    draft = course.draft_revision
    revision = course.latest_revision
    context = {"course": course, "draft": draft, "revision": revision,
               "state": course_state(course), "state_labels": STATE_LABELS,
               "kinds": ITEM_KINDS, "level_labels": LEVEL_LABELS,
               "action_form": ActionForm(formdata=None), "conflict": forms.pop("conflict", None)}
    if revision is not None:
        context["misplaced"] = misplaced_requirements(revision)
        context["images"] = _image_links(revision)
        context["job_role_labels"] = {role.code: role.label for role in
                                      db.session.scalars(select(JobRole))}
    if draft is not None:
        changes = item_changes(course.published_revision, draft)
        context.update(
            settings_form=forms.pop("settings_form", None) or _settings_form(draft),
            module_form=forms.pop("module_form", None) or ModuleTitleForm(
                formdata=None, data={"revision_id": draft.id}),
            item_form=forms.pop("item_form", None) or _new_item_form(draft),
            publish_form=PublishForm(formdata=None, data={"revision_id": draft.id}),
            upload_form=UploadForm(formdata=None, data={"revision_id": draft.id}),
            changes=changes,
            changed_keys={**{item.key: _("new") for item in changes["added"]},
                          **{item.key: _("changed") for item in changes["changed"]}}
            if changes else {},
            problems=publish_problems(draft),
        )
    return render_template("catalog/authoring/editor.html", **context), status


@blueprint.get("/manage/courses/<code>/")
@require_permission("author_courses")
def edit_course(code: str):
    return _render_editor(_course_or_404(code))


@blueprint.post("/manage/courses/<code>/draft")
@require_permission("author_courses")
def start_draft(code: str):
    course = _course_or_404(code)
    if course.draft_revision is None:
        if course.published_revision is None:
            flash(_("This course has no revision to copy. Load it again with `lms courses "
                    "sync`."), "danger")
            return redirect(_editor_url(course))
        services.ensure_draft(course, actor=_actor())
        db.session.commit()
        flash(_("A draft was created. Learners keep seeing the published version until you "
                "publish the draft."), "success")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/settings")
@require_permission("author_courses")
def save_course_settings(code: str):
    course = _course_or_404(code)
    draft = course.draft_revision
    form = CourseSettingsForm()
    if draft is None or form.revision_id.data != draft.id:
        return _render_editor(course, status=409, conflict=_stale_draft_message(course))
    form = _settings_form(draft, formdata=True)
    if not form.validate_on_submit():
        return _render_editor(course, status=400, settings_form=form)
    fields = services.RevisionFields(
        title=form.title.data.strip(), summary=form.summary.data or "",
        version_label=form.version_label.data.strip(), job_roles=list(form.job_roles.data or []),
        levels=list(form.levels.data or []), self_enrol=bool(form.self_enrol.data),
        cover_name=form.cover.data or None,
    )
    try:
        services.update_revision(draft, fields, form.lock_version.data)
        db.session.commit()
    except services.EditConflict as conflict:
        db.session.rollback()
        current = conflict.current
        course = _course_or_404(code)
        if current is None or course.draft_revision is None \
                or course.draft_revision.id != current.id:
            return _render_editor(course, status=409, conflict=_stale_draft_message(course))
        form.lock_version.data = current.lock_version
        return _render_editor(course, status=409, settings_form=form, conflict=_(
            "Someone else saved these settings while you were editing. Your values are still "
            "in the form; the saved title is “%(title)s”. Save again to replace the saved "
            "settings with yours.", title=current.title))
    flash(_("The course settings were saved."), "success")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/publish")
@require_permission("author_courses")
def publish_course(code: str):
    course = _course_or_404(code)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    draft = _draft_or_none(course, form.revision_id.data)
    if draft is None:
        return redirect(_editor_url(course))
    problems = publish_problems(draft)
    if problems:
        flash(_("The draft cannot be published yet: %(problems)s",
                problems="; ".join(problems)), "danger")
        return redirect(_editor_url(course))
    revision = services.publish_draft(course, actor=_actor(),
                                      redo_changed_items=bool(form.redo_changed_items.data))
    db.session.commit()
    flash(_("Revision %(number)d is published: learners see it now.", number=revision.number),
          "success")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/discard")
@require_permission("author_courses")
def discard_draft(code: str):
    course = _course_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if _draft_or_none(course, form.revision_id.data) is None:
        return redirect(_editor_url(course))
    if course.published_revision is None:
        flash(_("This course was never published, so there is no published version to go "
                "back to. Delete the items you do not want instead."), "warning")
        return redirect(_editor_url(course))
    services.discard_draft(course)
    db.session.commit()
    flash(_("The draft was discarded. The published version is unchanged."), "success")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/withdrawn")
@require_permission("author_courses")
def set_course_withdrawn(code: str):
    course = _course_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit() or form.withdrawn.data not in ("0", "1"):
        abort(400)
    if course.published_revision is None:
        flash(_("This course has never been published."), "warning")
        return redirect(_editor_url(course))
    withdrawn = form.withdrawn.data == "1"
    services.set_withdrawn(course, withdrawn, actor=_actor())
    db.session.commit()
    flash(_("The course is unpublished: learners no longer see it.") if withdrawn else
          _("The course is published again."), "success")
    return redirect(_editor_url(course))


# --- Modules and items of the outline --------------------------------------------------------


@blueprint.post("/manage/courses/<code>/modules")
@require_permission("author_courses")
def add_module(code: str):
    course = _course_or_404(code)
    draft = _draft_or_none(course, request.form.get("revision_id", type=int))
    if draft is None:
        return redirect(_editor_url(course))
    form = ModuleTitleForm()
    if not form.validate_on_submit():
        return _render_editor(course, status=400, module_form=form)
    services.add_module(draft, form.title.data.strip())
    db.session.commit()
    return redirect(_editor_url(course))


def _module_action(code: str, module_id: int) -> tuple[Course, CourseModule | None]:
    """The course and the draft's module a small form acts on (None: nothing to do)."""
    course = _course_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    draft = _draft_or_none(course, form.revision_id.data)
    return course, _module_or_404(draft, module_id) if draft is not None else None


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/rename")
@require_permission("author_courses")
def rename_module(code: str, module_id: int):
    course = _course_or_404(code)
    form = ModuleTitleForm()
    if not form.validate_on_submit():
        flash(_("A module needs a title of at most 200 characters."), "danger")
        return redirect(_editor_url(course))
    draft = _draft_or_none(course, form.revision_id.data)
    if draft is not None:
        services.rename_module(_module_or_404(draft, module_id), form.title.data.strip())
        db.session.commit()
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/delete")
@require_permission("author_courses")
def delete_module(code: str, module_id: int):
    course, module = _module_action(code, module_id)
    if module is not None:
        if services.delete_module(module):
            db.session.commit()
        else:
            flash(_("“%(title)s” still holds items. Move or delete them first; only an empty "
                    "module can be deleted.", title=module.title), "warning")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/modules/<int:module_id>/move")
@require_permission("author_courses")
def move_module(code: str, module_id: int):
    direction = _direction()
    course, module = _module_action(code, module_id)
    if module is not None:
        services.move_module(module, direction)
        db.session.commit()
    return redirect(_editor_url(course) + f"#module-{module_id}")


def item_key_for(revision: CourseRevision, kind: str, title: str, wanted: str | None) -> str:
    """A key not yet used in the revision: the one given, else one made from the title
    (ASCII, lower-case), else ``<kind>-N`` for a title with nothing ASCII in it (Chinese)."""
    if not wanted:
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        wanted = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50].strip("-")
    if wanted:
        return services.unique_item_key(revision, wanted)
    taken = {item.key for item in revision.items}
    number = 1
    while f"{kind}-{number}" in taken:
        number += 1
    return f"{kind}-{number}"


@blueprint.post("/manage/courses/<code>/items")
@require_permission("author_courses")
def add_item(code: str):
    course = _course_or_404(code)
    draft = _draft_or_none(course, request.form.get("revision_id", type=int))
    if draft is None:
        return redirect(_editor_url(course))
    form = _new_item_form(draft, formdata=True)
    if not form.validate_on_submit():
        return _render_editor(course, status=400, item_form=form)
    module = _module_or_404(draft, form.module_id.data)
    wanted = form.key.data or None
    key = item_key_for(draft, form.kind.data, form.title.data.strip(), wanted)
    item = services.add_item(module, form.kind.data, form.title.data.strip(), key)
    db.session.commit()
    if wanted and item.key != wanted:
        flash(_("The key “%(wanted)s” is taken, so the item got the key “%(key)s”.",
                wanted=wanted, key=item.key), "info")
    return redirect(url_for("catalog.edit_item", code=course.code, key=item.key))


def _item_action(code: str, key: str) -> tuple[Course, CourseItem | None]:
    course = _course_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    draft = _draft_or_none(course, form.revision_id.data)
    if draft is None:
        return course, None
    item = _item_in(draft, key)
    if item is None:
        abort(404)
    return course, item


@blueprint.post("/manage/courses/<code>/items/<key>/delete")
@require_permission("author_courses")
def delete_item(code: str, key: str):
    course, item = _item_action(code, key)
    if item is not None:
        title = item.title
        services.delete_item(item)
        db.session.commit()
        flash(_("“%(title)s” was deleted from the draft.", title=title), "success")
    return redirect(_editor_url(course))


@blueprint.post("/manage/courses/<code>/items/<key>/move")
@require_permission("author_courses")
def move_item(code: str, key: str):
    direction = _direction()
    course, item = _item_action(code, key)
    if item is not None:
        services.move_item(item, direction)
        db.session.commit()
    return redirect(_editor_url(course) + f"#item-{key}")


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
    course = _course_or_404(code)
    payload = request.get_json(silent=True)
    draft = course.draft_revision
    revision_id = payload.get("revision_id") if isinstance(payload, dict) else None
    if draft is None or revision_id != draft.id:
        return _json_error(_stale_draft_message(course), 409)
    order = _parse_order(payload)
    if order is None:
        return _json_error(_("The new order could not be read."), 400)
    try:
        services.reorder_items(draft, order)
    except ValueError:
        db.session.rollback()
        return _json_error(_("The new order must list every item of the draft exactly once. "
                             "Reload the page and try again."), 400)
    db.session.commit()
    return jsonify(ok=True)


# --- One item's editor -----------------------------------------------------------------------


def _requires_choices(form: ItemForm, revision: CourseRevision, item: CourseItem) -> None:
    earlier = []
    for other in revision.ordered_items():
        if other.key == item.key:
            break
        earlier.append(other)
    form.requires.choices = [(other.key, f"{other.title} ({other.key})") for other in earlier]


def _item_form(revision: CourseRevision, item: CourseItem) -> ItemForm:
    form = ItemForm(formdata=None, data={
        "revision_id": revision.id, "lock_version": item.lock_version, "title": item.title,
        "minutes": item.minutes, "required": item.required, "requires": list(item.requires),
        "body": item.body, "url": item.url or "",
        "pass_mark": item.settings.get("pass_mark", 60),
    })
    _requires_choices(form, revision, item)
    return form


def body_diff(saved: str, yours: str) -> list[tuple[str, str]]:
    """(css class, line) pairs of a unified diff from the saved text to the user's text."""
    lines = []
    for line in difflib.unified_diff(saved.splitlines(), yours.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        css = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(line[:1], "diff-same")
        lines.append((css, line))
    return lines


def _field_differences(saved: CourseItem, form: ItemForm) -> list[tuple[str, str, str]]:
    """(field label, saved value, the user's value) for the short fields that differ."""
    pairs = [
        (form.title.label.text, saved.title, form.title.data or ""),
        (form.minutes.label.text, str(saved.minutes), str(form.minutes.data or "")),
        (form.required.label.text, _("yes") if saved.required else _("no"),
         _("yes") if form.required.data else _("no")),
        (form.requires.label.text, ", ".join(saved.requires), ", ".join(form.requires.data or [])),
    ]
    if saved.kind == "quiz":
        pairs.append((form.pass_mark.label.text, str(saved.settings.get("pass_mark", 60)),
                      str(form.pass_mark.data if form.pass_mark.data is not None else 60)))
    if saved.kind == "resource":
        pairs.append((form.url.label.text, saved.url or "", form.url.data or ""))
    return [(str(label), before, after) for label, before, after in pairs if before != after]


def _render_item(course: Course, revision: CourseRevision, item: CourseItem, form: ItemForm,
                 status: int = 200, **extra):
    return render_template(
        "catalog/authoring/item.html", course=course, revision=revision, item=item, form=form,
        kind=ITEM_KINDS.get(item.kind), body_format=BODY_FORMATS.get(item.kind),
        upload_form=UploadForm(formdata=None, data={"revision_id": revision.id, "item": item.key}),
        images=_image_links(revision), upload_limit=human_size(max_asset_bytes()),
        **{"can_save": revision.is_editable, **extra},
    ), status


def _render_conflict(course: Course, form: ItemForm, key: str, current: CourseItem | None):
    """409: the user's text kept, set against what is saved now, so saving again is deliberate.

    ``current`` is the item as saved now (None when the form's draft or item is gone).
    """
    draft = course.draft_revision
    replaced = current is None or draft is None or current.revision_id != draft.id
    if replaced:
        current = _item_in(draft, key)
    if current is None:
        return _render_lost_item(course, form, key)
    form.revision_id.data = draft.id
    form.lock_version.data = current.lock_version
    _requires_choices(form, draft, current)
    if replaced:
        message = _("The draft you were editing was published or discarded, and a new draft was "
                    "made since. Your text is still in the form below, set against the item as "
                    "the new draft holds it. Save again to put your text into the new draft.")
    else:
        message = _("Someone else saved this item while you were editing. Your text is still in "
                    "the form below, and the differences between the saved version and yours "
                    "are shown. Save again to replace the saved version with yours.")
    return _render_item(course, draft, current, form, status=409, conflict={
        "message": message, "fields": _field_differences(current, form),
        "diff": body_diff(current.body, form.body.data or ""),
    })


def _render_lost_item(course: Course, form: ItemForm, key: str):
    """409 for an item no draft holds any more: the text is shown, with nowhere to save it."""
    draft = course.draft_revision
    revision = draft or course.published_revision
    if revision is None:
        abort(404)
    if draft is not None:
        message = _("This item was deleted from the draft while you were editing, so your "
                    "changes were not saved. Your text is below: copy it if you need it.")
    else:
        message = _("This draft was published or discarded while you were editing, so your "
                    "changes were not saved. Your text is below: copy it, then choose “Edit "
                    "(creates a draft)” on the course page and paste it into the new draft.")
    reference = _item_in(course.published_revision, key) or CourseItem(
        key=key, kind="lesson", title=form.title.data or key, requires=[], settings={}, body="")
    form.requires.choices = [(k, k) for k in form.requires.data or []]
    return _render_item(course, revision, reference, form, status=409, can_save=False,
                        conflict={"message": message, "fields": [], "diff": []})


def _item_fields(item: CourseItem, form: ItemForm) -> services.ItemFields:
    settings = dict(item.settings)
    if item.kind == "quiz":
        settings["pass_mark"] = form.pass_mark.data if form.pass_mark.data is not None else 60
    kind = ITEM_KINDS.get(item.kind)
    needs_body = kind is None or kind.needs_body
    return services.ItemFields(
        title=form.title.data.strip(), minutes=form.minutes.data,
        required=bool(form.required.data), requires=list(form.requires.data or []),
        body=(form.body.data or "").replace("\r\n", "\n") if needs_body else item.body,
        url=(form.url.data or None) if item.kind == "resource" else item.url,
        settings=settings,
    )


@blueprint.route("/manage/courses/<code>/items/<key>", methods=["GET", "POST"])
@require_permission("author_courses")
def edit_item(code: str, key: str):
    course = _course_or_404(code)
    draft = course.draft_revision
    item = _item_in(draft, key)
    if request.method == "GET":
        if draft is None:
            if _item_in(course.published_revision, key) is None:
                abort(404)
            flash(_("To change an item, first choose “Edit (creates a draft)”."), "info")
            return redirect(_editor_url(course))
        if item is None:
            abort(404)
        return _render_item(course, draft, item, _item_form(draft, item))

    form = ItemForm()
    if draft is None or item is None or form.revision_id.data != draft.id:
        return _render_conflict(course, form, key, None)
    _requires_choices(form, draft, item)
    if not form.validate():
        return _render_item(course, draft, item, form, status=400)
    if form.preview.data:
        preview = render_item_markdown(draft, form.body.data or "").html
        return _render_item(course, draft, item, form, preview_html=preview)
    fields = _item_fields(item, form)
    kind = ITEM_KINDS.get(item.kind)
    reasons = kind.validate(fields.body, fields.url, fields.settings) if kind else []
    if reasons:
        return _render_item(course, draft, item, form, status=400, problems=[
            _("This item cannot be saved: %(reason)s", reason=reason) for reason in reasons])
    try:
        services.update_item(item, fields, form.lock_version.data)
        db.session.commit()
    except services.EditConflict as conflict:
        db.session.rollback()
        return _render_conflict(_course_or_404(code), form, key, conflict.current)
    flash(_("“%(title)s” was saved in the draft.", title=fields.title), "success")
    return redirect(url_for("catalog.edit_item", code=course.code, key=key))


@blueprint.post("/manage/courses/<code>/preview")
@require_permission("author_courses")
def preview_markdown(code: str):
    """JSON ``{"text": …}`` -> ``{"html": …}``: Markdown rendered as learners will see it."""
    course = _course_or_404(code)
    revision = course.latest_revision
    if revision is None:
        abort(404)
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return _json_error(_("Send the text to preview as JSON: {\"text\": \"…\"}."), 400)
    if len(text) > MAX_PREVIEW_CHARS:
        return _json_error(_("The text is too long to preview (at most %(limit)d characters).",
                             limit=MAX_PREVIEW_CHARS), 413)
    return jsonify(html=render_item_markdown(revision, text).html)


# --- Images --------------------------------------------------------------------------------


def _upload_refused(course: Course, message: str, status: int, item_key: str | None):
    if wants_json():
        return _json_error(message, status)
    flash(message, "danger")
    draft = course.draft_revision
    item = _item_in(draft, item_key) if item_key else None
    if item is not None:
        return _render_item(course, draft, item, _item_form(draft, item), status=status)
    return _render_editor(course, status=status)


@blueprint.post("/manage/courses/<code>/assets")
@require_permission("author_courses")
def upload_asset(code: str):
    """Add an image to the draft (multipart ``file``); JSON answers carry its Markdown."""
    course = _course_or_404(code)
    form = UploadForm()
    item_key = (form.item.data or "").strip() or None
    draft = course.draft_revision
    if draft is None or form.revision_id.data != draft.id:
        return _upload_refused(course, _stale_draft_message(course), 409, None)
    if not form.validate_on_submit():
        return _upload_refused(course, _("Choose an image file to upload."), 400, item_key)
    upload = form.file.data
    try:
        data = read_limited(upload.stream, max_asset_bytes())
        name, content_type, data = check_image(upload.filename or "", data)
    except AssetRejected as refused:
        return _upload_refused(course, str(refused), 400, item_key)
    path = attach_image(course, draft, name, content_type, data)
    db.session.commit()
    markdown = f"![]({path})"
    if wants_json():
        serving = "catalog.asset" in current_app.view_functions
        return jsonify(name=path, markdown=markdown,
                       url=asset_url(draft, path) if serving else None)
    flash(_("The image was uploaded. Show it in a lesson with %(markdown)s", markdown=markdown),
          "success")
    if item_key and _item_in(draft, item_key) is not None:
        return redirect(url_for("catalog.edit_item", code=course.code, key=item_key))
    return redirect(_editor_url(course) + "#images")
