"""Trainers' manual editor: the manual list, one manual's working draft (settings, chapters,
images, publishing) and one chapter's Markdown editor with its live preview.

Everything here changes the working draft; readers keep seeing published versions until a
trainer publishes a new one. The settings form carries the draft's lock version and the
chapter form the chapter's, so a second trainer's stale save answers 409 with their input
kept and set against what is saved now: saving over someone else's work is a deliberate step.
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import (
    abort,
    flash,
    jsonify,
    make_response,
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
from lms.accounts.permissions import require_permission, wants_json
from lms.catalog.assets import (
    AssetRejected,
    check_image,
    human_size,
    max_asset_bytes,
    read_limited,
    sniff_raster,
)
from lms.core.markdown import render_markdown
from lms.core.textdiff import line_diff
from lms.extensions import db
from lms.publishing import services
from lms.publishing.forms import (
    ActionForm,
    ChapterForm,
    ImageUploadForm,
    ManualSettingsForm,
    NewChapterForm,
    NewManualForm,
    PublishManualForm,
)
from lms.publishing.models import Manual, ManualDraftAsset, ManualDraftChapter
from lms.publishing.rendering import chapter_resolver
from lms.publishing.source import (
    MAX_CHAPTER_CHARS,
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


def _manual_or_404(code: str) -> Manual:
    manual = services.manual_by_code(code) if len(code) <= 60 else None
    if manual is None:
        abort(404)
    return manual


def _chapter_or_404(manual: Manual, chapter_id: int) -> ManualDraftChapter:
    chapter = next((c for c in manual.draft_chapters if c.id == chapter_id), None)
    if chapter is None:
        abort(404)
    return chapter


def _editor_url(manual: Manual, anchor: str = "") -> str:
    url = url_for("publishing.edit_manual", code=manual.code)
    return f"{url}#{anchor}" if anchor else url


def _checked_action() -> ActionForm:
    """The posted one-button form; 400 without a valid CSRF token."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def _json_error(message: str, status: int):
    return jsonify(error=message), status


# --- The draft as data ---------------------------------------------------------------------


def draft_state(manual: Manual) -> str:
    """``unpublished`` (never published), ``changed`` (draft differs) or ``published``."""
    latest = manual.latest_version
    if latest is None:
        return "unpublished"
    return "published" if latest.content_hash == services.draft_content_hash(manual) else "changed"


def _image_rows(manual: Manual) -> list[tuple[str, str, str]]:
    """(path, draft URL, Markdown that shows it) of every image of the draft."""
    return [(a.path, url_for("publishing.draft_asset", code=manual.code, path=a.path),
             _image_markdown(a.path)) for a in manual.draft_assets]


def _image_markdown(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"![{stem}]({path})"


def _upload_limit() -> int:
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
                return redirect(_editor_url(manual))
    return _render_list(form, 400)


# --- One manual's draft: settings, chapters, publishing ---------------------------------------


def _settings_form(manual: Manual, formdata: bool = False) -> ManualSettingsForm:
    settings = services.draft_source(manual, with_image_bytes=False).settings()
    if formdata:
        form = ManualSettingsForm()
    else:
        form = ManualSettingsForm(formdata=None, data={
            **settings, "lock_version": manual.draft_lock_version})
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


def _render_manual(manual: Manual, status: int = 200, **context):
    """The draft's page; ``context`` replaces a form with the one the user sent (and more)."""
    chapters = [(chapter, chapter_title(chapter.source)) for chapter in manual.draft_chapters]
    draft = services.draft_source(manual, with_image_bytes=False)
    page = {
        "manual": manual, "settings": draft.settings(),
        "chapters": chapters, "images": _image_rows(manual), "state": draft_state(manual),
        "versions": services.versions_of(manual), "problems": services.draft_problems(draft),
        "settings_form": _settings_form(manual), "chapter_form": NewChapterForm(formdata=None),
        "publish_form": _publish_form(manual), "upload_form": ImageUploadForm(formdata=None),
        "upload_limit": human_size(_upload_limit()), "conflict": None, "publish_refused": None,
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
    manual = _manual_or_404(code)
    if request.method == "GET":
        return _render_manual(manual)
    form = _settings_form(manual, formdata=True)
    if not form.validate():
        return _render_manual(manual, 400, settings_form=form)
    settings = {"title": form.title.data, "summary": form.summary.data or "",
                "language": form.language.data, "access": form.access.data,
                "job_roles": list(form.job_roles.data or [])}
    try:
        services.update_draft_settings(manual, settings, form.lock_version.data)
        db.session.commit()
    except services.EditConflict:
        db.session.rollback()
        form.lock_version.data = manual.draft_lock_version
        return _render_manual(manual, 409, settings_form=form, conflict={
            "message": _("Someone else changed this manual’s draft while you were editing the "
                         "settings. Your entries are still in the form, and the differences "
                         "from what is saved now are shown. Save again to replace the saved "
                         "settings with yours."),
            "fields": _settings_differences(manual, form)})
    flash(_("The settings were saved in the draft."), "success")
    return redirect(_editor_url(manual, "settings"))


@blueprint.post("/manage/<code>/chapters")
@require_permission(PERMISSION)
def add_chapter(code: str):
    manual = _manual_or_404(code)
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
    return _render_manual(manual, 400, chapter_form=form)


@blueprint.post("/manage/<code>/chapters/<int:chapter_id>/move")
@require_permission(PERMISSION)
def move_chapter(code: str, chapter_id: int):
    manual = _manual_or_404(code)
    chapter = _chapter_or_404(manual, chapter_id)
    offset = {"up": -1, "down": 1}.get(_checked_action().direction.data or "")
    if offset is None:
        abort(400)
    services.move_draft_chapter(chapter, offset)
    db.session.commit()
    return redirect(_editor_url(manual, "chapters"))


@blueprint.post("/manage/<code>/chapters/<int:chapter_id>/delete")
@require_permission(PERMISSION)
def delete_chapter(code: str, chapter_id: int):
    manual = _manual_or_404(code)
    chapter = _chapter_or_404(manual, chapter_id)
    _checked_action()
    filename = chapter.filename
    services.remove_draft_chapter(chapter)
    db.session.commit()
    flash(_("The chapter %(file)s was deleted from the draft. Published versions keep it.",
            file=filename), "success")
    return redirect(_editor_url(manual, "chapters"))


@blueprint.post("/manage/<code>/publish")
@require_permission(PERMISSION)
def publish(code: str):
    """Freeze the draft as a version (with its PDF, which takes a while), then show it."""
    manual = _manual_or_404(code)
    form = PublishManualForm()
    if not form.validate_on_submit():
        return _render_manual(manual, 400, publish_form=form)
    current = services.draft_content_hash(manual)
    if form.draft_hash.data and form.draft_hash.data != current:
        form.draft_hash.data = current
        return _render_manual(manual, 409, publish_form=form, publish_refused=[_(
            "The draft changed since you opened this page, so nothing was published. Check "
            "the chapters and settings below, then publish again.")])
    try:
        row = services.publish_version(manual, form.version.data, form.notes.data or "",
                                       publisher=_actor(), with_pdf=True)
        version, first_slug = row.version, manual.draft_chapters[0].slug
        db.session.commit()
    except services.PublishRefused as refused:
        db.session.rollback()
        return _render_manual(manual, 400, publish_form=form,
                              publish_refused=str(refused).splitlines())
    except IntegrityError:
        db.session.rollback()
        return _render_manual(manual, 400, publish_form=form, publish_refused=[_(
            "Version %(version)s was published by someone else at the same moment. Choose a "
            "new number.", version=form.version.data)])
    flash(_("Version %(version)s was published, with its PDF. This is what readers see now.",
            version=version), "success")
    return redirect(url_for("publishing.chapter", code=manual.code, version=version,
                            chapter=first_slug))


@blueprint.post("/manage/<code>/discard")
@require_permission(PERMISSION)
def discard_draft(code: str):
    manual = _manual_or_404(code)
    _checked_action()
    try:
        services.discard_draft(manual, actor=_actor())
        db.session.commit()
    except services.PublishRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return _render_manual(manual, 400)
    flash(_("The draft was discarded: it is version %(version)s again.",
            version=manual.latest_version.version), "success")
    return redirect(_editor_url(manual))


# --- Images --------------------------------------------------------------------------------


def _upload_refused(manual: Manual, message: str, status: int, chapter_id: int | None):
    if wants_json():
        return _json_error(message, status)
    flash(message, "danger")
    chapter = next((c for c in manual.draft_chapters if c.id == chapter_id), None)
    if chapter is not None:
        return _render_chapter(manual, chapter, _chapter_form(chapter), status)
    return _render_manual(manual, status)


@blueprint.post("/manage/<code>/images")
@require_permission(PERMISSION)
def upload_image(code: str):
    """Add an image to the draft (multipart ``file``); JSON answers carry its Markdown.

    An image with the name of one the draft has replaces it, so an updated screenshot shows
    wherever the old one did.
    """
    manual = _manual_or_404(code)
    form = ImageUploadForm()
    chapter_id = int(form.chapter.data) if (form.chapter.data or "").isdigit() else None
    if not form.validate_on_submit():
        return _upload_refused(manual, _("Choose an image file to upload."), 400, chapter_id)
    upload = form.file.data
    try:
        data = read_limited(upload.stream, _upload_limit())
        if data and sniff_raster(data) is None:
            raise AssetRejected(_("Manuals take PNG, JPEG, GIF or WebP images only. Save the "
                                  "image in one of these formats and upload it again."))
        name, content_type, data = check_image(upload.filename or "", data, _upload_limit())
    except AssetRejected as refused:
        return _upload_refused(manual, str(refused), 400, chapter_id)
    path = f"images/{name}"
    replaced = any(asset.path == path for asset in manual.draft_assets)
    try:
        services.attach_draft_image(manual, path, content_type, data)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _upload_refused(manual, _("An image with this name was uploaded at the same "
                                         "moment. Upload yours again."), 409, chapter_id)
    markdown = _image_markdown(path)
    if wants_json():
        return jsonify(name=path, markdown=markdown, replaced=replaced,
                       url=url_for("publishing.draft_asset", code=manual.code, path=path))
    if replaced:
        flash(_("The image %(path)s was replaced. Chapters showing it show the new one.",
                path=path), "success")
    else:
        flash(_("The image was uploaded. Show it in a chapter with %(markdown)s",
                markdown=markdown), "success")
    if any(c.id == chapter_id for c in manual.draft_chapters):
        return redirect(url_for("publishing.edit_chapter", code=manual.code,
                                chapter_id=chapter_id))
    return redirect(_editor_url(manual, "images"))


@blueprint.get("/manage/<code>/draft-assets/<path:path>")
@require_permission(PERMISSION)
def draft_asset(code: str, path: str):
    """An image of the draft, for the editor's lists and preview (never cached for good)."""
    manual = _manual_or_404(code)
    asset = db.session.scalar(select(ManualDraftAsset).where(
        ManualDraftAsset.manual_id == manual.id, ManualDraftAsset.path == path))
    if asset is None:
        abort(404)
    response = make_response(asset.blob.data)
    response.headers["Content-Type"] = asset.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(asset.blob.sha256)
    return response.make_conditional(request)


# --- One chapter: the Markdown editor and its preview ----------------------------------------


def _preview_resolver(manual: Manual):
    """The reader's resolver, with its relative targets made editor URLs: images from the
    draft, other chapters to their editor (the reader's URLs do not exist for a draft)."""
    chapter_ids = {chapter.slug: chapter.id for chapter in manual.draft_chapters}
    reader = chapter_resolver(set(chapter_ids), {a.path for a in manual.draft_assets},
                              for_pdf=False)

    def resolve(href: str) -> str | None:
        target = reader(href)
        if target is None or href.startswith("manual:"):
            return target
        if target.startswith("assets/"):
            return url_for("publishing.draft_asset", code=manual.code,
                           path=unquote(target.removeprefix("assets/")))
        slug, _hash, fragment = target.partition("#")
        url = url_for("publishing.edit_chapter", code=manual.code, chapter_id=chapter_ids[slug])
        return f"{url}#{fragment}" if fragment else url

    return resolve


def preview_html(manual: Manual, text: str) -> str:
    """A chapter's text rendered as the reader renders it (sanitised), for the editor."""
    return render_markdown(text, resolve_link=_preview_resolver(manual)).html


def _chapter_form(chapter: ManualDraftChapter) -> ChapterForm:
    return ChapterForm(formdata=None, data={"lock_version": chapter.lock_version,
                                            "source": chapter.source})


def _render_chapter(manual: Manual, chapter: ManualDraftChapter | None, form: ChapterForm,
                    status: int = 200, **context):
    page = {"manual": manual, "chapter": chapter,
            "title": (chapter_title(chapter.source) or chapter.slug) if chapter else None,
            "form": form, "images": _image_rows(manual), "can_save": chapter is not None,
            "upload_form": ImageUploadForm(formdata=None),
            "upload_limit": human_size(_upload_limit()), "conflict": None, "problems": None,
            "preview_html": None, "max_chars": MAX_CHAPTER_CHARS, **context}
    return render_template("publishing/manage/chapter.html", **page), status


@blueprint.route("/manage/<code>/chapters/<int:chapter_id>", methods=["GET", "POST"])
@require_permission(PERMISSION)
def edit_chapter(code: str, chapter_id: int):
    manual = _manual_or_404(code)
    chapter = db.session.get(ManualDraftChapter, chapter_id)
    if chapter is not None and chapter.manual_id != manual.id:
        abort(404)
    if request.method == "GET":
        if chapter is None:
            abort(404)
        return _render_chapter(manual, chapter, _chapter_form(chapter))

    form = ChapterForm()
    if chapter is None:
        # Deleted (or dropped by discarding the draft) while this trainer was editing it.
        return _render_chapter(manual, None, form, 404, conflict={"message": _(
            "This chapter is no longer in the draft: it was deleted, or the draft was "
            "discarded, while you were editing. Your text was not saved; it is below. Copy "
            "it, add the chapter again and paste it there."), "diff": []})
    if not form.validate():
        return _render_chapter(manual, chapter, form, 400)
    text = (form.source.data or "").replace("\r\n", "\n")
    if form.preview.data:
        return _render_chapter(manual, chapter, form, preview_html=preview_html(manual, text))
    if chapter_title(text) is None:
        return _render_chapter(manual, chapter, form, 400, problems=[_(
            "A chapter starts with its title as a first-level heading, such as “# Sales "
            "orders”. Add one and save again.")])
    try:
        services.update_draft_chapter(chapter, text, form.lock_version.data)
        db.session.commit()
    except services.EditConflict as conflict:
        db.session.rollback()
        form.lock_version.data = chapter.lock_version
        return _render_chapter(manual, chapter, form, 409, conflict={
            "message": _("Someone else saved this chapter while you were editing. Your text "
                         "is still in the editor below, and the differences between the saved "
                         "text and yours are shown. Save again to replace the saved text with "
                         "yours."),
            "diff": line_diff(conflict.current, text)})
    flash(_("The chapter was saved in the draft."), "success")
    return redirect(url_for("publishing.edit_chapter", code=manual.code, chapter_id=chapter.id))


@blueprint.post("/manage/<code>/preview")
@require_permission(PERMISSION)
def preview_chapter(code: str):
    """JSON ``{"text": …}`` -> ``{"html": …}``: a chapter as readers will see it."""
    manual = _manual_or_404(code)
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return _json_error(_("Send the text to preview as JSON: {\"text\": \"…\"}."), 400)
    if len(text) > MAX_CHAPTER_CHARS:
        return _json_error(_("The text is too long to preview (at most %(limit)d characters).",
                             limit=MAX_CHAPTER_CHARS), 413)
    return jsonify(html=preview_html(manual, text))
