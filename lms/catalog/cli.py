"""``lms courses sync|export|list``: course sources as files, loaded into the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.catalog import services
from lms.catalog.models import Course
from lms.catalog.sync import DEFAULT_COURSES_PATH, export_course, sync_courses
from lms.extensions import db


@click.group("courses")
def courses_group() -> None:
    """Load courses from files, write them back, list them."""


@courses_group.command("sync")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path))
@click.option("--redo-changed", is_flag=True,
              help="People who completed an item that changed must do it again.")
@with_appcontext
def sync_command(path: Path | None, redo_changed: bool) -> None:
    """Load or update the courses in PATH (default: the project's courses/ folder)."""
    results = sync_courses(path or DEFAULT_COURSES_PATH, redo_changed_items=redo_changed)
    db.session.commit()
    for result in results:
        if result.status == "error":
            click.echo(f"{result.code}: not loaded", err=True)
            for problem in result.problems:
                click.echo(f"  {problem}", err=True)
        else:
            click.echo(f"{result.code}: {result.status} (revision {result.revision})")
    if not results:
        click.echo("No course folders (with a course.yml) found.", err=True)
    if any(r.status == "error" for r in results) or not results:
        sys.exit(1)


@courses_group.command("export")
@click.argument("code")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(code: str, directory: Path) -> None:
    """Write course CODE (its draft if it has one) as files into DIRECTORY/CODE."""
    course = services.find_course(code)
    if course is None:
        raise click.ClickException(f"no course with the code {code!r}")
    folder = export_course(course, directory)
    click.echo(f"Wrote {folder}")


@courses_group.command("list")
@with_appcontext
def list_command() -> None:
    """Courses with their state and revision."""
    for course in db.session.scalars(select(Course).order_by(Course.code)):
        revision = course.latest_revision
        state = "published" if course.is_published else (
            "withdrawn" if course.withdrawn else "draft")
        click.echo(f"{course.code}\t{state}\trevision {revision.number}\t{revision.title}")
