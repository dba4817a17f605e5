"""Published manual versions never change: the session refuses to flush an update or delete
of a version's frozen rows (the manual's own settings and draft stay editable).

Deleting a whole manual (its versions cascade in the database) is the one way out, and only
maintenance code does it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.publishing.models import (
    ManualAsset,
    ManualChapter,
    ManualSearchSection,
    ManualVersion,
)

FROZEN = (ManualVersion, ManualChapter, ManualAsset, ManualSearchSection)


class PublishedVersionIsImmutable(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, FROZEN):
            continue
        if obj in session.deleted or session.is_modified(obj, include_collections=False):
            raise PublishedVersionIsImmutable(
                f"published manual versions cannot be changed ({type(obj).__name__})")
