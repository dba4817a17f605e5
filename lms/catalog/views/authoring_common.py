"""What the trainers' authoring pages share: finding the course and the draft a form was
loaded from, and rendering the course editor page.

Every change lands on the course's draft revision; learners keep seeing the published one until
the draft is published. Forms carry the id of the draft they were loaded from (and the lock
version of the row they edit), so a change aimed at a draft that was published or discarded
meanwhile is refused instead of landing somewhere the author did not see.
"""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.models import JobRole
from lms.catalog import services
from lms.catalog.assets import image_paths
from lms.catalog.forms import (
    ActionForm,
    CourseSettingsForm,
    ModuleTitleForm,
    NewItemForm,
    PublishForm,
    UploadForm,
)
from lms.catalog.kinds import ITEM_KINDS, LEVEL_LABELS
from lms.catalog.models import LEVELS, Course, CourseItem, CourseModule, CourseRevision
from lms.catalog.rendering import asset_url
from lms.extensions import db

STATE_LABELS = {
    "draft": _l("Draft only"),
    "published": _l("Published"),
    "changed": _l("Published, with unpublished changes"),
    "withdrawn": _l("Unpublished"),
}


def course_state(course: Course) -> str:
    if course.published_revision_id is None:
        return "draft"
    if course.withdrawn:
        return "withdrawn"
    return "changed" if course.draft_revision_id is not None else "published"


def actor():
    """The signed-in user as a model object, for services that record who acted."""
    return current_user._get_current_object()


def course_or_404(code: str) -> Course:
    course = services.find_course(code) if len(code) <= 60 else None
    if course is None:
        abort(404)
    return course


def editor_url(course: Course) -> str:
    return url_for("catalog.edit_course", code=course.code)


def stale_draft_message(course: Course) -> str:
    if course.draft_revision is None:
        return _("This course has no draft, so nothing was changed. Choose “Edit (creates a "
                 "draft)” first.")
    return _("The draft you were looking at was published or discarded meanwhile, so nothing "
             "was changed. This is the course as it is now.")


def draft_or_none(course: Course, revision_id: int | None) -> CourseRevision | None:
    """The draft the form was loaded from; None (with a message flashed) if it is gone."""
    draft = course.draft_revision
    if draft is None or draft.id != revision_id:
        flash(stale_draft_message(course), "warning")
        return None
    return draft


def posted_draft(code: str, form_class=ActionForm):
    """The course, the posted form and the draft it was loaded from, for forms that only act
    (publish, discard, delete, move). The draft is None when it is gone (a message is
    flashed); a form without a valid CSRF token is a 400."""
    course = course_or_404(code)
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    return course, form, draft_or_none(course, form.revision_id.data)


def json_error(message: str, status: int):
    return jsonify(error=message), status


def module_or_404(draft: CourseRevision, module_id: int) -> CourseModule:
    module = next((m for m in draft.modules if m.id == module_id), None)
    if module is None:
        abort(404)
    return module


def item_in(revision: CourseRevision | None, key: str) -> CourseItem | None:
    if revision is None:
        return None
    return next((item for item in revision.items if item.key == key), None)


def direction() -> int:
    """The ``direction`` of a move form as -1 (up) or +1 (down); 400 for anything else."""
    moved = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if moved is None:
        abort(400)
    return moved


def image_links(revision: CourseRevision) -> list[tuple[str, str | None]]:
    """(path, served URL) of the revision's images; no URL while the asset view is absent."""
    serving = "catalog.asset" in current_app.view_functions
    return [(path, asset_url(revision, path) if serving else None)
            for path in image_paths(revision)]


# --- The course editor page ------------------------------------------------------------------


def settings_form(draft: CourseRevision, formdata: bool = False) -> CourseSettingsForm:
    """The draft's settings form: filled from the draft, or from the request (``formdata``)."""
    if formdata:
        form = CourseSettingsForm()
    else:
        form = CourseSettingsForm(formdata=None, data={
            "revision_id": draft.id, "lock_version": draft.lock_version, "title": draft.title,
            "summary": draft.summary, "version_label": draft.version_label,
            "job_roles": list(draft.audience_job_roles), "levels": list(draft.audience_levels),
            "self_enrol": draft.self_enrol, "cover": draft.cover_name or "",
        })
    form.job_roles.choices = [(role.code, role.label) for role in
                              db.session.scalars(select(JobRole).order_by(JobRole.code))]
    form.levels.choices = [(level, str(LEVEL_LABELS.get(level, level))) for level in LEVELS]
    covers = image_paths(draft)
    if draft.cover_name and draft.cover_name not in covers:
        covers.append(draft.cover_name)
    form.cover.choices = [("", _("No cover image"))] + [(path, path) for path in covers]
    return form


def new_item_form(draft: CourseRevision, formdata: bool = False) -> NewItemForm:
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


def render_editor(course: Course, status: int = 200, **forms):
    """The course editor; ``forms`` replaces a form with the one the user sent (and errors)."""
    draft = course.draft_revision
    revision = course.latest_revision
    context = {"course": course, "draft": draft, "revision": revision,
               "state": course_state(course), "state_labels": STATE_LABELS,
               "kinds": ITEM_KINDS, "level_labels": LEVEL_LABELS,
               "action_form": ActionForm(formdata=None), "conflict": forms.pop("conflict", None)}
    if revision is not None:
        context["misplaced"] = services.misplaced_requirements(revision)
        context["images"] = image_links(revision)
        context["job_role_labels"] = {role.code: role.label for role in
                                      db.session.scalars(select(JobRole))}
    if draft is not None:
        changes = item_changes(course.published_revision, draft)
        context.update(
            settings_form=forms.pop("settings_form", None) or settings_form(draft),
            module_form=forms.pop("module_form", None) or ModuleTitleForm(
                formdata=None, data={"revision_id": draft.id}),
            item_form=forms.pop("item_form", None) or new_item_form(draft),
            publish_form=PublishForm(formdata=None, data={"revision_id": draft.id}),
            upload_form=UploadForm(formdata=None, data={"revision_id": draft.id}),
            changes=changes,
            changed_keys={**{item.key: _("new") for item in changes["added"]},
                          **{item.key: _("changed") for item in changes["changed"]}}
            if changes else {},
            problems=services.draft_problems(draft),
        )
    return render_template("catalog/authoring/editor.html", **context), status
