"""Published manual versions never change: the session refuses to flush an update or delete
of a version's frozen rows, to add rows to a version published earlier, and to run bulk
UPDATE/DELETE statements on them (the manual's own settings and draft stay editable).

File contents (``ManualBlob``) are shared by versions and drafts and addressed by their
SHA-256, so they are never updated or deleted either. Deleting a whole manual (its versions
cascade in the database) is the one way out, and only maintenance code does it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.publishing.models import (
    ManualAsset,
    ManualBlob,
    ManualChapter,
    ManualSearchSection,
    ManualVersion,
)

FROZEN = (ManualVersion, ManualChapter, ManualAsset, ManualSearchSection, ManualBlob)
# Rows that belong to a version: they may be added only while that version is being made.
VERSION_PARTS = (ManualChapter, ManualAsset, ManualSearchSection)
# session.info key: ids of the versions written in the current transaction (publish.py).
NEW_VERSIONS = "new_manual_versions"


class PublishedVersionIsImmutable(RuntimeError):
    pass


def _refuse(what: str) -> None:
    raise PublishedVersionIsImmutable(f"published manual versions cannot be changed ({what})")


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, FROZEN):
            continue
        if obj in session.deleted or session.is_modified(obj, include_collections=False):
            _refuse(type(obj).__name__)
    making = session.info.get(NEW_VERSIONS, set())
    for obj in session.new:
        if isinstance(obj, VERSION_PARTS) and obj.version_id not in making:
            _refuse(f"a {type(obj).__name__} added to a published version")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None and \
            state.bind_mapper.class_ in FROZEN:
        _refuse(f"bulk {'update' if state.is_update else 'delete'}")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_new_versions(session: Session) -> None:
    session.info.pop(NEW_VERSIONS, None)
