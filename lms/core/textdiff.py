"""A line diff for people: what an editor's conflict page shows between the saved text and
the text the user tried to save (course items and manual chapters)."""

from __future__ import annotations

import difflib


def line_diff(saved: str, yours: str) -> list[tuple[str, str]]:
    """(css class, line) pairs of a unified diff from the saved text to the user's text."""
    lines = []
    for line in difflib.unified_diff(saved.splitlines(), yours.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        css = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(line[:1], "diff-same")
        lines.append((css, line))
    return lines
