"""One item's editor (with a live Markdown preview), and images uploaded to a draft.

An item form carries the draft's id and the item's lock version. A save that finds either
changed answers 409 with the user's text kept and set against what is saved now, so saving
again over someone else's work is a deliberate choice.
"""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.accounts.permissions import require_permission, wants_json
from lms.catalog import services
from lms.catalog.assets import (
    AssetRejected,
    attach_image,
    check_image,
    human_size,
    max_asset_bytes,
    read_limited,
)
from lms.catalog.forms import ItemForm, UploadForm
from lms.catalog.kinds import ITEM_KINDS
from lms.catalog.models import Course, CourseItem, CourseRevision
from lms.catalog.rendering import asset_url, render_item_markdown
from lms.catalog.views import authoring_common as common
from lms.catalog.views import blueprint
from lms.core.textdiff import line_diff
from lms.extensions import db

MAX_PREVIEW_CHARS = 200_000


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
    kind = ITEM_KINDS.get(item.kind)
    return render_template(
        "catalog/authoring/item.html", course=course, revision=revision, item=item, form=form,
        kind=kind, body_format=kind.body_format if kind else None,
        upload_form=UploadForm(formdata=None, data={"revision_id": revision.id, "item": item.key}),
        images=common.image_links(revision), upload_limit=human_size(max_asset_bytes()),
        **{"can_save": revision.is_editable, **extra},
    ), status


def _render_conflict(course: Course, form: ItemForm, key: str, current: CourseItem | None):
    """409: the user's text kept, set against what is saved now, so saving again is deliberate.

    ``current`` is the item as saved now (None when the form's draft or item is gone).
    """
    draft = course.draft_revision
    replaced = current is None or draft is None or current.revision_id != draft.id
    if replaced:
        current = common.item_in(draft, key)
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
        "diff": line_diff(current.body, form.body.data or ""),
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
    reference = common.item_in(course.published_revision, key) or CourseItem(
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
    course = common.course_or_404(code)
    draft = course.draft_revision
    item = common.item_in(draft, key)
    if request.method == "GET":
        if draft is None:
            if common.item_in(course.published_revision, key) is None:
                abort(404)
            flash(_("To change an item, first choose “Edit (creates a draft)”."), "info")
            return redirect(common.editor_url(course))
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
        return _render_conflict(common.course_or_404(code), form, key, conflict.current)
    flash(_("“%(title)s” was saved in the draft.", title=fields.title), "success")
    return redirect(url_for("catalog.edit_item", code=course.code, key=key))


@blueprint.post("/manage/courses/<code>/preview")
@require_permission("author_courses")
def preview_markdown(code: str):
    """JSON ``{"text": …}`` -> ``{"html": …}``: Markdown rendered as learners will see it."""
    course = common.course_or_404(code)
    revision = course.latest_revision
    if revision is None:
        abort(404)
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return common.json_error(_("Send the text to preview as JSON: {\"text\": \"…\"}."), 400)
    if len(text) > MAX_PREVIEW_CHARS:
        return common.json_error(_("The text is too long to preview (at most %(limit)d "
                                   "characters).", limit=MAX_PREVIEW_CHARS), 413)
    return jsonify(html=render_item_markdown(revision, text).html)


# --- Images --------------------------------------------------------------------------------


def _upload_refused(course: Course, message: str, status: int, item_key: str | None):
    if wants_json():
        return common.json_error(message, status)
    flash(message, "danger")
    draft = course.draft_revision
    item = common.item_in(draft, item_key) if item_key else None
    if item is not None:
        return _render_item(course, draft, item, _item_form(draft, item), status=status)
    return common.render_editor(course, status=status)


@blueprint.post("/manage/courses/<code>/assets")
@require_permission("author_courses")
def upload_asset(code: str):
    """Add an image to the draft (multipart ``file``); JSON answers carry its Markdown."""
    course = common.course_or_404(code)
    form = UploadForm()
    item_key = (form.item.data or "").strip() or None
    draft = course.draft_revision
    if draft is None or form.revision_id.data != draft.id:
        return _upload_refused(course, common.stale_draft_message(course), 409, None)
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
    if item_key and common.item_in(draft, item_key) is not None:
        return redirect(url_for("catalog.edit_item", code=course.code, key=item_key))
    return redirect(common.editor_url(course) + "#images")
