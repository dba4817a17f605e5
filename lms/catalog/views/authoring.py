"""Trainers' course pages: the course list, a new course, and one course's editor with its
settings, drafting, publishing, discarding and unpublishing.

The outline (modules, items, order) is edited in ``outline_editor.py``, one item in
``item_editor.py``; what they share is in ``authoring_common.py``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.permissions import require_permission
from lms.catalog import services
from lms.catalog.forms import ActionForm, CourseSettingsForm, NewCourseForm, PublishForm
from lms.catalog.models import Course
from lms.catalog.views import authoring_common as common
from lms.catalog.views import blueprint
from lms.extensions import db

PAGE_SIZE = 25
MAX_PAGE = 10_000


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
    return render_template("catalog/authoring/courses.html", page=page,
                           course_state=common.course_state, state_labels=common.STATE_LABELS)


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
                course = services.create_course(code, form.title.data.strip(),
                                                actor=common.actor())
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.code.errors.append(_("A course with this code was created at the same "
                                          "moment. Choose another code."))
            else:
                flash(_("The course was created as a draft. Add modules and items, then "
                        "publish it."), "success")
                return redirect(common.editor_url(course))
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/authoring/new_course.html", form=form), status


# --- One course: its editor, settings and drafts ---------------------------------------------


@blueprint.get("/manage/courses/<code>/")
@require_permission("author_courses")
def edit_course(code: str):
    return common.render_editor(common.course_or_404(code))


@blueprint.post("/manage/courses/<code>/draft")
@require_permission("author_courses")
def start_draft(code: str):
    course = common.course_or_404(code)
    if course.draft_revision is None:
        try:
            services.ensure_draft(course, actor=common.actor())
        except ValueError:
            flash(_("This course has no revision to copy. Load it again with `lms courses "
                    "sync`."), "danger")
            return redirect(common.editor_url(course))
        db.session.commit()
        flash(_("A draft was created. Learners keep seeing the published version until you "
                "publish the draft."), "success")
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/settings")
@require_permission("author_courses")
def save_course_settings(code: str):
    course = common.course_or_404(code)
    draft = course.draft_revision
    form = CourseSettingsForm()
    if draft is None or form.revision_id.data != draft.id:
        return common.render_editor(course, status=409,
                                    conflict=common.stale_draft_message(course))
    form = common.settings_form(draft, formdata=True)
    if not form.validate_on_submit():
        return common.render_editor(course, status=400, settings_form=form)
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
        return _settings_conflict(code, form, conflict.current)
    flash(_("The course settings were saved."), "success")
    return redirect(common.editor_url(course))


def _settings_conflict(code: str, form: CourseSettingsForm, current):
    """409 with the user's values kept in the form, set to overwrite what is saved now."""
    course = common.course_or_404(code)
    if current is None or course.draft_revision is None \
            or course.draft_revision.id != current.id:
        return common.render_editor(course, status=409,
                                    conflict=common.stale_draft_message(course))
    form.lock_version.data = current.lock_version
    return common.render_editor(course, status=409, settings_form=form, conflict=_(
        "Someone else saved these settings while you were editing. Your values are still "
        "in the form; the saved title is “%(title)s”. Save again to replace the saved "
        "settings with yours.", title=current.title))


@blueprint.post("/manage/courses/<code>/publish")
@require_permission("author_courses")
def publish_course(code: str):
    course, form, draft = common.posted_draft(code, PublishForm)
    if draft is None:
        return redirect(common.editor_url(course))
    try:
        revision = services.publish_draft(course, actor=common.actor(),
                                          redo_changed_items=bool(form.redo_changed_items.data))
    except services.DraftNotReady as not_ready:
        flash(_("The draft cannot be published yet: %(problems)s",
                problems="; ".join(not_ready.problems)), "danger")
        return redirect(common.editor_url(course))
    db.session.commit()
    flash(_("Revision %(number)d is published: learners see it now.", number=revision.number),
          "success")
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/discard")
@require_permission("author_courses")
def discard_draft(code: str):
    course, _form, draft = common.posted_draft(code)
    if draft is None:
        return redirect(common.editor_url(course))
    try:
        services.discard_draft(course, actor=common.actor())
    except ValueError:
        flash(_("This course was never published, so there is no published version to go "
                "back to. Delete the items you do not want instead."), "warning")
        return redirect(common.editor_url(course))
    db.session.commit()
    flash(_("The draft was discarded. The published version is unchanged."), "success")
    return redirect(common.editor_url(course))


@blueprint.post("/manage/courses/<code>/withdrawn")
@require_permission("author_courses")
def set_course_withdrawn(code: str):
    course = common.course_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit() or form.withdrawn.data not in ("0", "1"):
        abort(400)
    if course.published_revision is None:
        flash(_("This course has never been published."), "warning")
        return redirect(common.editor_url(course))
    withdrawn = form.withdrawn.data == "1"
    services.set_withdrawn(course, withdrawn, actor=common.actor())
    db.session.commit()
    flash(_("The course is unpublished: learners no longer see it.") if withdrawn else
          _("The course is published again."), "success")
    return redirect(common.editor_url(course))
