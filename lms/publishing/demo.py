"""The demo's manuals: every folder of manuals/ with a releases.yml is published release by
release, oldest first, so the reader has versions to switch between and compare."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lms.accounts.models import User
from lms.database import utcnow
from lms.extensions import db
from lms.publishing import publish, services

DEMO_PUBLISHER = "trainer"


def seed_demo_manuals(path: Path | None = None, *, with_pdf: bool = True) -> list:
    """Publish the release history of each demo manual; returns the versions made.

    Releases are dated a week apart, the last one three days ago.
    """
    root = path or services.DEFAULT_MANUALS_PATH
    publisher = db.session.scalar(select(User).where(User.username == DEMO_PUBLISHER))
    published = []
    for folder in sorted(p for p in root.iterdir() if (p / "releases.yml").is_file()):
        releases = services.read_releases(folder)
        for age, release in zip(range(len(releases) - 1, -1, -1), releases, strict=True):
            overlay = folder / release["from"] if release.get("from") else None
            published.append(publish.publish_from_folder(
                folder, str(release["version"]), release.get("notes") or "",
                publisher=publisher, overlay=overlay, with_pdf=with_pdf,
                published_at=utcnow() - timedelta(days=3 + 7 * age)))
    return published
