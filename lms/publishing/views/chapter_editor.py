"""Trainers' manual editor, part two: images uploaded to a manual's draft, and one chapter's
Markdown editor with its live preview (rendered as readers will see it). The manual list and
a draft's settings, chapters and publishing are in authoring.py.
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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.permissions import require_permission, wants_json
from lms.catalog.assets import (
    AssetRejected,
    check_image,
    human_size,
    read_limited,
    sniff_raster,
)
from lms.core.markdown import render_markdown
from lms.core.textdiff import line_diff
from lms.extensions import db
from lms.publishing import services
from lms.publishing.forms import (
    ChapterForm,
    ImageUploadForm,
)
from lms.publishing.models import Manual, ManualDraftAsset, ManualDraftChapter
from lms.publishing.rendering import chapter_resolver
from lms.publishing.source import (
    MAX_CHAPTER_CHARS,
    chapter_title,
)
from lms.publishing.views import blueprint
from lms.publishing.views.authoring import (
    PERMISSION,
    editor_url,
    image_markdown,
    image_rows,
    json_error,
    manual_or_404,
    render_manual,
    upload_limit,
)

# --- Images --------------------------------------------------------------------------------


def _upload_refused(manual: Manual, message: str, status: int, chapter_id: int | None):
    if wants_json():
        return json_error(message, status)
    flash(message, "danger")
    chapter = next((c for c in manual.draft_chapters if c.id == chapter_id), None)
    if chapter is not None:
        return _render_chapter(manual, chapter, _chapter_form(chapter), status)
    return render_manual(manual, status)


@blueprint.post("/manage/<code>/images")
@require_permission(PERMISSION)
def upload_image(code: str):
    """Add an image to the draft (multipart ``file``); JSON answers carry its Markdown.

    An image with the name of one the draft has replaces it, so an updated screenshot shows
    wherever the old one did.
    """
    manual = manual_or_404(code)
    form = ImageUploadForm()
    chapter_id = int(form.chapter.data) if (form.chapter.data or "").isdigit() else None
    if not form.validate_on_submit():
        return _upload_refused(manual, _("Choose an image file to upload."), 400, chapter_id)
    upload = form.file.data
    try:
        data = read_limited(upload.stream, upload_limit())
        if data and sniff_raster(data) is None:
            raise AssetRejected(_("Manuals take PNG, JPEG, GIF or WebP images only. Save the "
                                  "image in one of these formats and upload it again."))
        name, content_type, data = check_image(upload.filename or "", data, upload_limit())
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
    markdown = image_markdown(path)
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
    return redirect(editor_url(manual, "images"))


@blueprint.get("/manage/<code>/draft-assets/<path:path>")
@require_permission(PERMISSION)
def draft_asset(code: str, path: str):
    """An image of the draft, for the editor's lists and preview (never cached for good)."""
    manual = manual_or_404(code)
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
        if href.startswith("manual:"):  # the reader's link is relative to a chapter page
            code, _hash, anchor = href.removeprefix("manual:").partition("#")
            if not code:
                return None
            return url_for("publishing.heading", code=code, anchor=anchor) if anchor else \
                url_for("publishing.latest", code=code)
        target = reader(href)
        if target is None:
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
            "form": form, "images": image_rows(manual), "can_save": chapter is not None,
            "upload_form": ImageUploadForm(formdata=None),
            "upload_limit": human_size(upload_limit()), "conflict": None, "problems": None,
            "preview_html": None, "max_chars": MAX_CHAPTER_CHARS, **context}
    return render_template("publishing/manage/chapter.html", **page), status


@blueprint.route("/manage/<code>/chapters/<int:chapter_id>", methods=["GET", "POST"])
@require_permission(PERMISSION)
def edit_chapter(code: str, chapter_id: int):
    manual = manual_or_404(code)
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
    manual = manual_or_404(code)
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return json_error(_("Send the text to preview as JSON: {\"text\": \"…\"}."), 400)
    if len(text) > MAX_CHAPTER_CHARS:
        return json_error(_("The text is too long to preview (at most %(limit)d characters).",
                             limit=MAX_CHAPTER_CHARS), 413)
    return jsonify(html=preview_html(manual, text))
