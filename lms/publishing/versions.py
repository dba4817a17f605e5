"""Manual version numbers: ``MAJOR.MINOR`` or ``MAJOR.MINOR.PATCH``, ordered as numbers."""

from __future__ import annotations

import re

VERSION_PATTERN = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(?:\.(0|[1-9]\d{0,5}))?$")
# Not a version number: the reader's URL word for "the newest one".
LATEST = "latest"


def is_version(text: str) -> bool:
    return bool(VERSION_PATTERN.match(text or ""))


def version_key(text: str) -> tuple[int, int, int]:
    """(major, minor, patch) for sorting; 1.10 sorts after 1.9, and 1.2 equals 1.2.0."""
    match = VERSION_PATTERN.match(text)
    if match is None:
        raise ValueError(f"not a version number: {text!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def sort_key(text: str) -> str:
    """The key stored with a version, so SQL ``ORDER BY`` sorts numerically."""
    return ".".join(f"{part:06d}" for part in version_key(text))


def next_versions(latest: str | None) -> list[str]:
    """Suggestions for the next number after ``latest``: minor first, then patch, major."""
    if latest is None:
        return ["1.0"]
    major, minor, patch = version_key(latest)
    return [f"{major}.{minor + 1}", f"{major}.{minor}.{patch + 1}", f"{major + 1}.0"]
