"""``lms manuals publish|list|export|screenshots``: manual sources as files, published."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db
from lms.publishing import publish, services
from lms.publishing.models import Manual
from lms.publishing.source import ManualSourceError


@click.group("manuals")
def manuals_group() -> None:
    """Publish operation manuals from files, list them, export a draft, capture screenshots."""


def _folder(code: str, path: Path | None) -> Path:
    folder = (path or services.DEFAULT_MANUALS_PATH) / code
    if not (folder / "manual.yml").is_file():
        raise click.ClickException(f"{folder / 'manual.yml'} not found")
    return folder


def _publisher(username: str | None) -> User | None:
    if username is None:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@manuals_group.command("publish")
@click.argument("code")
@click.argument("version")
@click.option("--notes", default="", help="Release notes (Markdown).")
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder holding the manual folders (default: the project's manuals/).")
@click.option("--from-draft", is_flag=True, help="Publish the web editor's draft, not files.")
@click.option("--force", is_flag=True, help="Replace unpublished web edits with the files.")
@click.option("--publisher", help="Username recorded as the publisher.")
@with_appcontext
def publish_command(code: str, version: str, notes: str, path: Path | None, from_draft: bool,
                    force: bool, publisher: str | None) -> None:
    """Publish manual CODE's sources as VERSION (e.g. 1.2): frozen HTML, search, PDF."""
    user = _publisher(publisher)
    try:
        if from_draft:
            manual = services.manual_by_code(code)
            if manual is None:
                raise click.ClickException(f"no manual with the code {code!r}")
            row = publish.publish_version(manual, version, notes, publisher=user)
        else:
            folder = _folder(code, path)
            row = publish.publish_from_folder(folder, version, notes, publisher=user,
                                               force=force)
            if row.manual.code != code:
                db.session.rollback()
                raise click.ClickException(
                    f"{folder / 'manual.yml'} says code {row.manual.code!r}, not {code!r}")
    except ManualSourceError as error:
        db.session.rollback()
        raise click.ClickException("the manual's files have problems:\n" + str(error)) from None
    except services.PublishRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    pdf = f", PDF {row.pdf_pages} pages" if row.pdf_pages else ""
    click.echo(f"{code} {row.version} published: {len(row.chapters)} chapters{pdf}, "
               f"content {row.content_hash[:12]}")


@manuals_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every manual with its versions, newest first."""
    manuals = db.session.scalars(select(Manual).order_by(Manual.code)).all()
    if not manuals:
        click.echo("No manuals yet: publish one with `lms manuals publish CODE VERSION`.")
    for manual in manuals:
        versions = ", ".join(v.version for v in services.versions_of(manual)) or "unpublished"
        draft = " (draft edited on the web)" if manual.draft_edited_on_web else ""
        click.echo(f"{manual.code}\t{manual.title}\t{versions}{draft}")


@manuals_group.command("export")
@click.argument("code")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(code: str, directory: Path) -> None:
    """Write manual CODE's working draft as files into DIRECTORY/CODE."""
    manual = services.manual_by_code(code)
    if manual is None:
        raise click.ClickException(f"no manual with the code {code!r}")
    written = services.export_manual(manual, directory / code)
    click.echo(f"Wrote {len(written)} files to {directory / code}")


@manuals_group.command("screenshots")
@click.argument("code")
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder holding the manual folders (default: the project's manuals/).")
@click.option("--only", multiple=True, help="Capture only this file (repeatable).")
@click.option("--user", "username", default=None,
              help="The portal user whose sandbox is photographed (default: the demo trainer).")
@click.option("--password", envvar="LMS_SCREENSHOT_PASSWORD", default=None,
              help="That user's password (default: the demo password); or set "
                   "LMS_SCREENSHOT_PASSWORD.")
@with_appcontext
def screenshots_command(code: str, path: Path | None, only: tuple[str, ...],
                        username: str | None, password: str | None) -> None:
    """Re-capture the screenshots listed in the manual's screenshots.yml from the sandbox.

    The user's sandbox is reset to the seed first, so every capture shows the same company.
    """
    from lms.publishing.screenshots import ScreenshotError, capture_screenshots

    folder = _folder(code, path)
    options = {"only": list(only) or None, "progress": click.echo}
    if username:
        options["username"] = username
    if password:
        options["password"] = password
    try:
        written = capture_screenshots(current_app._get_current_object(), folder, **options)
    except ScreenshotError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(written)} screenshots written to {folder}")
