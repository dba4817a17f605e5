"""Trainers' manual editor: the manual list, one manual's working draft (settings, chapters,
images, publishing) and one chapter's Markdown editor with its live preview.

Everything here changes the working draft; readers keep seeing published versions until a
trainer publishes a new one. The settings form carries the draft's lock version and the
chapter form the chapter's, so a second trainer's stale save answers 409 with their input
kept and set against what is saved now: saving over someone else's work is a deliberate step.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from lms.accounts.models import JobRole
from lms.accounts.permissions import require_permission
from lms.catalog.assets import (
    human_size,
    max_asset_bytes,
)
from lms.extensions import db
from lms.publishing import services
from lms.publishing.forms import (
    ActionForm,
    ImageUploadForm,
    ManualSettingsForm,
    NewChapterForm,
    NewManualForm,
    PublishManualForm,
)
from lms.publishing.models import Manual, ManualDraftAsset, ManualDraftChapter
from lms.publishing.publish import publish_version
from lms.publishing.source import (
    MAX_IMAGE_BYTES,
    chapter_title,
)
from lms.publishing.versions import next_versions
from lms.publishing.views import blueprint

PERMISSION = "publish_manuals"


# --- Finding things ------------------------------------------------------------------------


def _actor():
    """The signed-in user as a model object, for services that record who acted."""
    return current_user._get_current_object()


def manual_or_404(code: str) -> Manual:
    manual = services.manual_by_code(code) if len(code) <= 60 else None
    if manual is None:
        abort(404)
    return manual


def chapter_or_404(manual: Manual, chapter_id: int) -> ManualDraftChapter:
    chapter = next((c for c in manual.draft_chapters if c.id == chapter_id), None)
    if chapter is None:
        abort(404)
    return chapter


def editor_url(manual: Manual, anchor: str = "") -> str:
    url = url_for("publishing.edit_manual", code=manual.code)
    return f"{url}#{anchor}" if anchor else url


def _checked_action() -> ActionForm:
    """The posted one-button form; 400 without a valid CSRF token."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def json_error(message: str, status: int):
    return jsonify(error=message), status


# --- The draft as data ---------------------------------------------------------------------


def draft_state(manual: Manual) -> str:
    """``unpublished`` (never published), ``changed`` (draft differs) or ``published``."""
    latest = manual.latest_version
    if latest is None:
        return "unpublished"
    return "published" if latest.content_hash == services.draft_content_hash(manual) else "changed"


def image_rows(manual: Manual) -> list[tuple[str, str, str]]:
    """(path, draft URL, Markdown that shows it) of every image of the draft."""
    return [(a.path, url_for("publishing.draft_asset", code=manual.code, path=a.path),
             image_markdown(a.path)) for a in manual.draft_assets]


def image_markdown(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"![{stem}]({path})"


def upload_limit() -> int:
    return min(max_asset_bytes(), MAX_IMAGE_BYTES)


# --- The manual list and a new manual --------------------------------------------------------


def _render_list(form: NewManualForm, status: int = 200):
    manuals = db.session.scalars(
        select(Manual).options(
            selectinload(Manual.draft_chapters),
            selectinload(Manual.draft_assets).joinedload(ManualDraftAsset.blob),
            joinedload(Manual.latest_version))
        .order_by(Manual.code)).unique().all()
    rows = [(manual, draft_state(manual)) for manual in manuals]
    return render_template("publishing/manage/manuals.html", rows=rows, form=form), status


@blueprint.get("/manage/")
@require_permission(PERMISSION)
def manage():
    return _render_list(NewManualForm(formdata=None))


@blueprint.post("/manage/new")
@require_permission(PERMISSION)
def create_manual():
    form = NewManualForm()
    if form.validate_on_submit():
        if services.manual_by_code(form.code.data) is not None:
            form.code.errors.append(_("A manual with this code exists already. Choose another "
                                      "code."))
        else:
            try:
                manual = services.create_manual(form.code.data, form.title.data, actor=_actor())
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.code.errors.append(_("A manual with this code was created at the same "
                                          "moment. Choose another code."))
            else:
                flash(_("The manual was created. Add its chapters, then publish version 1.0."),
                      "success")
                return redirect(editor_url(manual))
    return _render_list(form, 400)


# --- One manual's draft: settings, chapters, publishing ---------------------------------------


def _settings_form(manual: Manual, formdata: bool = False) -> ManualSettingsForm:
    settings = services.draft_source(manual, with_image_bytes=False).settings()
    if formdata:
        form = ManualSettingsForm()
    else:
        form = ManualSettingsForm(formdata=None, data={
            "company": "", **settings, "lock_version": manual.draft_lock_version})
    roles = db.session.scalars(select(JobRole).order_by(JobRole.code)).all()
    known = {role.code for role in roles}
    # Roles the draft names but the portal lacks stay choosable, so a save does not fail on
    # them; publishing reports them.
    form.job_roles.choices = [SelectChoice(role.code, role.label) for role in roles] + [
        SelectChoice(code) for code in settings["job_roles"] if code not in known]
    return form


def _publish_form(manual: Manual) -> PublishManualForm:
    latest = manual.latest_version
    return PublishManualForm(formdata=None, data={
        "version": next_versions(latest.version if latest else None)[0],
        "draft_hash": services.draft_content_hash(manual)})


def render_manual(manual: Manual, status: int = 200, **context):
    """The draft's page; ``context`` replaces a form with the one the user sent (and more)."""
    chapters = [(chapter, chapter_title(chapter.source)) for chapter in manual.draft_chapters]
    draft = services.draft_source(manual, with_image_bytes=False)
    page = {
        "manual": manual, "settings": draft.settings(),
        "chapters": chapters, "images": image_rows(manual), "state": draft_state(manual),
        "versions": services.versions_of(manual), "problems": services.draft_problems(draft),
        "settings_form": _settings_form(manual), "chapter_form": NewChapterForm(formdata=None),
        "publish_form": _publish_form(manual), "upload_form": ImageUploadForm(formdata=None),
        "upload_limit": human_size(upload_limit()), "conflict": None, "publish_refused": None,
        **context,
    }
    return render_template("publishing/manage/manual.html", **page), status


def _settings_differences(manual: Manual, form: ManualSettingsForm) -> list[tuple[str, str, str]]:
    """(field label, saved value, the user's value) for the settings that differ."""
    saved = services.draft_source(manual, with_image_bytes=False).settings()
    language = {choice.value: choice.label for choice in form.language.choices}
    access = {choice.value: choice.label for choice in form.access.choices}
    pairs = [
        (form.title.label.text, saved["title"], form.title.data or ""),
        (form.summary.label.text, saved["summary"], form.summary.data or ""),
        (form.company.label.text, saved.get("company", ""), form.company.data or ""),
        (form.language.label.text, str(language.get(saved["language"], saved["language"])),
         str(language.get(form.language.data, form.language.data))),
        (form.access.label.text, str(access.get(saved["access"], saved["access"])),
         str(access.get(form.access.data, form.access.data))),
        (form.job_roles.label.text, ", ".join(saved["job_roles"]),
         ", ".join(form.job_roles.data or [])),
    ]
    return [(str(label), before, after) for label, before, after in pairs if before != after]


@blueprint.route("/manage/<code>", methods=["GET", "POST"])
@require_permission(PERMISSION)
def edit_manual(code: str):
    manual = manual_or_404(code)
    if request.method == "GET":
        return render_manual(manual)
    form = _settings_form(manual, formdata=True)
    if not form.validate():
        return render_manual(manual, 400, settings_form=form)
    settings = {"title": form.title.data, "summary": form.summary.data or "",
                "company": form.company.data or "",
                "language": form.language.data, "access": form.access.data,
                "job_roles": list(form.job_roles.data or [])}
    try:
        services.update_draft_settings(manual, settings, form.lock_version.data)
        db.session.commit()
    except services.EditConflict:
        db.session.rollback()
        form.lock_version.data = manual.draft_lock_version
        return render_manual(manual, 409, settings_form=form, conflict={
            "message": _("Someone else changed this manual’s draft while you were editing the "
                         "settings. Your entries are still in the form, and the differences "
                         "from what is saved now are shown. Save again to replace the saved "
                         "settings with yours."),
            "fields": _settings_differences(manual, form)})
    flash(_("The settings were saved in the draft."), "success")
    return redirect(editor_url(manual, "settings"))


@blueprint.post("/manage/<code>/chapters")
@require_permission(PERMISSION)
def add_chapter(code: str):
    manual = manual_or_404(code)
    form = NewChapterForm()
    if form.validate_on_submit():
        filename = form.chapter_filename()
        if any(chapter.filename == filename for chapter in manual.draft_chapters):
            form.filename.errors.append(_("The draft has a chapter with this file name already. "
                                          "Choose another name."))
        else:
            try:
                chapter = services.add_draft_chapter(manual, filename, form.title.data)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.filename.errors.append(_("A chapter with this file name was added at the "
                                              "same moment. Choose another name."))
            else:
                flash(_("The chapter was added to the draft."), "success")
                return redirect(url_for("publishing.edit_chapter", code=manual.code,
                                        chapter_id=chapter.id))
    return render_manual(manual, 400, chapter_form=form)


@blueprint.post("/manage/<code>/chapters/<int:chapter_id>/move")
@require_permission(PERMISSION)
def move_chapter(code: str, chapter_id: int):
    manual = manual_or_404(code)
    chapter = chapter_or_404(manual, chapter_id)
    offset = {"up": -1, "down": 1}.get(_checked_action().direction.data or "")
    if offset is None:
        abort(400)
    services.move_draft_chapter(chapter, offset)
    db.session.commit()
    return redirect(editor_url(manual, "chapters"))


@blueprint.post("/manage/<code>/chapters/<int:chapter_id>/delete")
@require_permission(PERMISSION)
def delete_chapter(code: str, chapter_id: int):
    manual = manual_or_404(code)
    chapter = chapter_or_404(manual, chapter_id)
    _checked_action()
    filename = chapter.filename
    services.remove_draft_chapter(chapter)
    db.session.commit()
    flash(_("The chapter %(file)s was deleted from the draft. Published versions keep it.",
            file=filename), "success")
    return redirect(editor_url(manual, "chapters"))


@blueprint.post("/manage/<code>/publish")
@require_permission(PERMISSION)
def publish(code: str):
    """Freeze the draft as a version (with its PDF, which takes a while), then show it."""
    manual = manual_or_404(code)
    form = PublishManualForm()
    if not form.validate_on_submit():
        return render_manual(manual, 400, publish_form=form)
    current = services.draft_content_hash(manual)
    if form.draft_hash.data and form.draft_hash.data != current:
        form.draft_hash.data = current
        return render_manual(manual, 409, publish_form=form, publish_refused=[_(
            "The draft changed since you opened this page, so nothing was published. Check "
            "the chapters and settings below, then publish again.")])
    try:
        row = publish_version(manual, form.version.data, form.notes.data or "",
                                       publisher=_actor(), with_pdf=True)
        version, first_slug = row.version, manual.draft_chapters[0].slug
        db.session.commit()
    except services.PublishRefused as refused:
        db.session.rollback()
        return render_manual(manual, 400, publish_form=form,
                              publish_refused=str(refused).splitlines())
    except IntegrityError:
        db.session.rollback()
        return render_manual(manual, 400, publish_form=form, publish_refused=[_(
            "Version %(version)s was published by someone else at the same moment. Choose a "
            "new number.", version=form.version.data)])
    latest = services.manual_by_code(code).latest_version.version
    if latest == version:
        flash(_("Version %(version)s was published, with its PDF. This is what readers see "
                "now.", version=version), "success")
    else:  # a patch of an older line (1.0.1 after 1.1): the latest stays the highest number
        flash(_("Version %(version)s was published, with its PDF. It is lower than version "
                "%(latest)s, which stays the latest: readers find %(version)s in the version "
                "list.", version=version, latest=latest), "warning")
    return redirect(url_for("publishing.chapter", code=manual.code, version=version,
                            chapter=first_slug))


@blueprint.post("/manage/<code>/discard")
@require_permission(PERMISSION)
def discard_draft(code: str):
    manual = manual_or_404(code)
    _checked_action()
    try:
        services.discard_draft(manual, actor=_actor())
        db.session.commit()
    except services.PublishRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return render_manual(manual, 400)
    flash(_("The draft was discarded: it is version %(version)s again.",
            version=manual.latest_version.version), "success")
    return redirect(editor_url(manual))
