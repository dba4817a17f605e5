"""Employee import: upload, preview, confirm."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.admin import bp
from lms.accounts.admin.users import set_password_url
from lms.accounts.forms import ConfirmForm, ImportForm
from lms.accounts.importer import (
    EmployeeImportUpload,
    ImportFileError,
    apply_import,
    preview_import,
)
from lms.accounts.permissions import require_permission
from lms.database import utcnow
from lms.extensions import db

MAX_FILENAME = 255


def _stored_filename(name: str | None) -> str:
    name = (name or "upload.csv").replace("\x00", "")
    return name if len(name) <= MAX_FILENAME else name[: MAX_FILENAME - 4] + ".csv"


@bp.route("/import", methods=["GET", "POST"])
@require_permission("import_users")
def import_users():
    form = ImportForm()
    if form.validate_on_submit():
        upload = EmployeeImportUpload(
            token=secrets.token_urlsafe(32), filename=_stored_filename(form.file.data.filename),
            content=form.file.data.read(), uploaded_by_id=current_user.id,
        )
        db.session.add(upload)
        db.session.commit()
        return redirect(url_for("admin.import_preview", token=upload.token), 303)
    status = 400 if form.errors else 200
    return render_template("admin/import.html", form=form), status


def _own_upload(token: str) -> EmployeeImportUpload:
    upload = db.session.scalar(
        select(EmployeeImportUpload).where(EmployeeImportUpload.token == token[:64])
    )
    if upload is None or upload.uploaded_by_id != current_user.id:
        abort(404)
    return upload


def _claim(upload: EmployeeImportUpload) -> bool:
    """Mark the upload applied, atomically: of two confirms sent at once only one wins."""
    result = db.session.execute(
        update(EmployeeImportUpload)
        .where(EmployeeImportUpload.id == upload.id, EmployeeImportUpload.applied_at.is_(None))
        .values(applied_at=utcnow(), content=b"")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _render_preview(upload, preview, message=None, status=None):
    if message:
        flash(message, "warning")
    return render_template(
        "admin/import_preview.html", preview=preview, upload=upload, confirm=ConfirmForm(),
        form=ImportForm(),
    ), status or (422 if preview.has_errors else 200)


@bp.route("/import/<token>", methods=["GET", "POST"])
@require_permission("import_users")
def import_preview(token: str):
    upload = _own_upload(token)
    if upload.applied_at is not None:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("admin.import_users"))
    may_change_admins = current_user.has_permission("manage_roles")
    try:
        preview = preview_import(upload.content, may_change_admins=may_change_admins)
    except ImportFileError as error:
        return render_template(
            "admin/import.html", form=ImportForm(), file_error=str(error), upload=upload
        ), 422
    if request.method == "GET" or preview.has_errors:
        return _render_preview(upload, preview)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("digest") != preview.digest:
        return _render_preview(upload, preview, _(
            "Users changed since you saw the preview. Check the updated preview and confirm "
            "again."), 409)
    if not _claim(upload):
        db.session.rollback()
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("admin.import_users"))
    try:
        created = apply_import(preview)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        preview = preview_import(upload.content, may_change_admins=may_change_admins)
        return _render_preview(upload, preview, _(
            "Someone saved the same users while this file was being imported; nothing was "
            "imported. Check the updated preview and confirm again."), 409)
    links = [(user, set_password_url(token)) for user, token in created]
    return render_template("admin/import_done.html", preview=preview, links=links)
