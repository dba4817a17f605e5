"""``lms translate update|compile``: keep the zh_CN and en catalogues in step with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from babel.messages.pofile import read_po, write_po

from lms import PACKAGE_DIR, PROJECT_DIR

TRANSLATIONS = PACKAGE_DIR / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=PROJECT_DIR)


def fill_english(po_path: Path) -> int:
    """English is the source language: its catalogue repeats each msgid. Returns entries filled."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            if not message.string:
                message.string = message.id
                filled += 1
        elif not all(message.string):
            # A plural entry: English's two forms are the msgid and msgid_plural.
            message.string = tuple(message.id)
            filled += 1
        message.flags.discard("fuzzy")
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=100, include_previous=False)
    return filled


@click.group("translate")
def translate_group() -> None:
    """Extract, update and compile the interface's translations."""


@translate_group.command("update")
def update() -> None:
    """Extract messages from code and templates, and merge them into both catalogues."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
             "--add-location=file", "--sort-output", "--project", "Praxis",
             "-o", str(TEMPLATE.relative_to(PROJECT_DIR)), ".")
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--width", "100",
             "--no-fuzzy-matching", "--ignore-obsolete")
    filled = fill_english(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    click.echo(f"Catalogues updated; {filled} English entries filled. Translate the empty "
               "zh_CN entries, then run: lms translate compile")


@translate_group.command("compile")
def compile_catalogues() -> None:
    """Compile the .po catalogues into the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
