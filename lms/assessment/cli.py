"""``lms questions import|export`` (question banks to and from GIFT and Moodle XML files) and
``lms quizzes close-overdue``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.assessment.attempts import close_overdue
from lms.assessment.exporting import EXPORT_FORMATS, export_bank
from lms.assessment.importing import (
    ImportPreview,
    QuestionFileError,
    apply_import,
    preview_import,
)
from lms.assessment.services import find_bank
from lms.extensions import db


@click.group("questions")
def questions_group() -> None:
    """Import question banks from GIFT or Moodle XML, export them back."""


def _kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "none"


def _show_problems(path: Path, preview: ImportPreview) -> None:
    for entry in preview.entries:
        if not entry.has_problem:
            continue
        where = f"{path}:{entry.line}" if entry.line else str(path)
        what = "rejected" if entry.status == "rejected" else "incomplete"
        click.echo(f"{where}: {what} #{entry.index} {entry.title!r} — {entry.reason}", err=True)


@questions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="Bank to import into (made if missing).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--yes", is_flag=True,
              help="When some questions are rejected or incomplete, import the rest without "
                   "asking.")
@with_appcontext
def import_command(file: Path, bank_name: str, dry_run: bool, yes: bool) -> None:
    """Import FILE (.gift or .xml) into a question bank.

    Every rejected question is listed with its reason, and so is every imported question
    that loses a part (an embedded image, hints …). When there are any, nothing is imported
    until you confirm (or pass --yes). Exits with status 1 when a question was rejected.
    """
    bank_name = bank_name.strip()
    if not bank_name:
        raise click.ClickException("the bank name is empty")
    try:
        preview = preview_import(file.read_bytes(), file.name, bank_name)
    except QuestionFileError as error:
        raise click.ClickException(f"{file}: {error}") from None
    if not preview.entries:
        click.echo(f"{file}: no questions found.", err=True)
        sys.exit(1)
    _show_problems(file, preview)
    summary = (f"{preview.count('new')} new, {preview.count('update')} to update, "
               f"{preview.count('unchanged')} unchanged, {preview.count('rejected')} rejected")
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing imported. Would import {_kinds(preview.kinds())} "
                   f"({summary}).")
        sys.exit(1 if preview.rejected else 0)
    if preview.has_problems and not yes and not _confirmed(len(preview.importable)):
        db.session.rollback()
        click.echo(f"Nothing imported ({summary}).", err=True)
        sys.exit(1)
    result = apply_import(preview, bank_name, accept_partial=True)
    db.session.commit()
    click.echo(f"Imported into bank {bank_name!r}: {_kinds(result.counts)} "
               f"({result.created} new, {result.updated} updated, {result.unchanged} unchanged"
               f", {len(result.rejected)} rejected).")
    if result.rejected:
        sys.exit(1)


def _confirmed(importable: int) -> bool:
    if not importable:
        return False
    try:
        return click.confirm(f"Import the {importable} importable question(s), without what is "
                             "listed above?", default=False, err=True)
    except click.Abort:  # no answer (end of input): the safe choice
        return False


@questions_group.command("export")
@click.argument("bank_name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(bank_name: str, file: Path) -> None:
    """Write bank BANK_NAME to FILE: GIFT for .gift (or .txt), Moodle XML for .xml."""
    file_format = EXPORT_FORMATS.get(file.suffix.lower())
    if file_format is None:
        raise click.ClickException(f"{file}: the file name must end in .gift or .xml")
    bank = find_bank(bank_name)
    if bank is None:
        raise click.ClickException(f"no question bank named {bank_name!r}")
    export = export_bank(bank, file_format)
    for warning in export.warnings:
        click.echo(f"warning: {warning}", err=True)
    file.write_bytes(export.content)
    click.echo(f"Wrote {export.count} question(s) of bank {bank_name!r} to {file}.")


@click.group("quizzes")
def quizzes_group() -> None:
    """Quiz housekeeping."""


@quizzes_group.command("close-overdue")
@with_appcontext
def close_overdue_command() -> None:
    """Close and grade every attempt left open past its time limit (for a cron job).

    Pages do this too whenever a learner comes back; this catches the ones who never do.
    """
    closed = close_overdue()
    db.session.commit()
    click.echo(f"Closed {closed} overdue attempt(s).")
