"""The ``lms`` command: ``lms demo``, ``lms users …``, ``lms courses …``, ``lms translate …``,
``lms db …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from lms import create_app
from lms.accounts import services
from lms.accounts.auth import password_problem
from lms.accounts.importer import (
    USERNAME_PATTERN,
    ImportFileError,
    apply_import,
    preview_import,
)
from lms.accounts.models import User
from lms.assessment.cli import questions_group, quizzes_group
from lms.catalog.cli import courses_group
from lms.demo import DEMO_PASSWORD, DEMO_PEOPLE, rebuild_schema, seed_demo_company
from lms.extensions import db
from lms.publishing.cli import manuals_group
from lms.translate_cli import translate_group


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Praxis, the ERP training portal."""


def _is_default_demo_database() -> bool:
    return current_app.config["DATABASE_URL"].endswith(
        str(Path(current_app.instance_path) / "praxis.sqlite3")
    )


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--no-serve", is_flag=True, help="Rebuild the demo database and exit.")
@click.option("--yes", is_flag=True, help="Do not ask before erasing a non-default database.")
@with_appcontext
def demo_command(port: int, host: str, no_serve: bool, yes: bool) -> None:
    """Rebuild the demo company in the database, then serve the portal."""
    if not (yes or _is_default_demo_database()):
        click.confirm(
            f"This erases every table in {db.engine.url.render_as_string(hide_password=True)}. "
            "Continue?", abort=True,
        )
    click.echo("Building the demo database …")
    rebuild_schema()
    seed_demo_company()
    url = f"http://{host}:{port}/"
    click.echo(f"\nPraxis demo accounts (password for all: {DEMO_PASSWORD}):")
    for person in DEMO_PEOPLE:
        job = person.job_role or "-"
        click.echo(f"  {person.username:<10} {person.display_name:<8}\t{person.role:<8} {job}")
    if no_serve:
        click.echo(f"\nDemo database ready. Serve it with: lms demo --port {port}")
        return
    click.echo(f"\nServing Praxis at {url}  (Ctrl+C to stop)")
    # Flask refuses app.run() inside its CLI; werkzeug's server is what `flask run` uses too.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.option("--email", required=True, help="The administrator's email address.")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_admin(username: str, display_name: str, email: str, password: str) -> None:
    """Create an administrator account (the first one, typically)."""
    services.ensure_reference_data()
    if not USERNAME_PATTERN.match(username):
        raise click.ClickException("the username may use only letters, digits, '.', '_' and '-' "
                                   "(2 to 64 characters)")
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.ClickException(f"{email!r} is not a valid email address: {error}") from None
    if problem := password_problem(password):
        raise click.ClickException(problem)
    if services.find_user(username) is not None:
        raise click.ClickException(f"user {username!r} already exists")
    if services.email_taken(email):
        raise click.ClickException(f"email {email!r} is already used")
    fields = services.UserFields(username=username, display_name=display_name, email=email,
                                 role_names=["admin"])
    services.create_user(fields, password=password)
    db.session.commit()
    click.echo(f"Administrator {username} created.")


@users_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Portal address used in the printed set-password links.")
@with_appcontext
def import_users(csv_file: Path, dry_run: bool, base_url: str) -> None:
    """Import employees from CSV (UTF-8 or GB18030); a file with any error imports nothing."""
    services.ensure_reference_data()
    try:
        preview = preview_import(csv_file.read_bytes())
    except ImportFileError as error:
        raise click.ClickException(f"{csv_file}: {error}") from None
    for row in preview.rows:
        detail = "; ".join(row.errors or row.changes)
        click.echo(f"{csv_file}:{row.line}: {row.status:<9} {row.username}"
                   + (f" — {detail}" if detail else ""))
    summary = (f"{preview.count('create')} to create, {preview.count('update')} to update, "
               f"{preview.count('unchanged')} unchanged, {preview.count('error')} with errors")
    if preview.has_errors:
        db.session.rollback()
        click.echo(f"Nothing imported: {summary}.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing imported: {summary}.")
        return
    created = apply_import(preview)
    db.session.commit()
    click.echo(f"Imported: {summary}.")
    for user, token in created:
        click.echo(f"  {user.username}: {base_url.rstrip('/')}/set-password/{token}")


@users_group.command("list")
@with_appcontext
def list_users() -> None:
    """List users with their roles and job roles."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        roles = ",".join(r.name for r in user.roles)
        jobs = ",".join(j.code for j in user.job_roles)
        state = "" if user.active else " (inactive)"
        click.echo(f"{user.username}\t{user.display_name}\t{roles}\t{jobs}{state}")


def register_commands(app) -> None:
    """Attach the portal's commands to ``app.cli`` (so ``lms`` and test runners both see them)."""
    for command in (demo_command, users_group, courses_group, manuals_group, questions_group,
                    quizzes_group, translate_group):
        app.cli.add_command(command)


if __name__ == "__main__":  # `python -m lms.cli …` is the same as `lms …`
    cli()
