"""Keeping every sandbox to itself.

Sandbox code queries through a ``SandboxContext``; the ``do_orm_execute`` hook below adds
``sandbox_id = <this sandbox>`` to every table of every select it runs, including joins and
relationship loads. A select of a sandbox table without a context is refused outright, so a
forgotten filter is an error in tests, never a leak between learners.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from lms.extensions import db
from sandbox.models import Sandbox, SandboxScoped, SbActivity, SbUser
from sandbox.models.base import DocumentCounter

SANDBOX_OPTION = "sandbox_id"
# For maintenance and tests that look across sandboxes on purpose, never for a learner's view.
ALL_SANDBOXES_OPTION = "all_sandboxes"


class UnscopedSandboxQuery(RuntimeError):
    """A select touched sandbox tables without naming the sandbox."""


def _touches_sandbox_tables(state) -> bool:
    if any(issubclass(mapper.class_, SandboxScoped) for mapper in state.all_mappers):
        return True
    # select(func.count()).select_from(Model) names no mapper in its columns.
    return any("sandbox_id" in table.c for table in find_tables(state.statement,
                                                                 include_joins=True)
               if hasattr(table, "c"))


@event.listens_for(Session, "do_orm_execute")
def _scope_to_sandbox(state) -> None:
    if not state.is_select:
        return
    sandbox_id = state.execution_options.get(SANDBOX_OPTION)
    if sandbox_id is not None:
        state.statement = state.statement.options(
            with_loader_criteria(
                SandboxScoped, lambda cls: cls.sandbox_id == sandbox_id, include_aliases=True
            )
        )
        return
    # Lazy loads and refreshes follow keys of rows that were loaded through a context.
    if state.is_relationship_load or state.is_column_load:
        return
    if state.execution_options.get(ALL_SANDBOXES_OPTION):
        return
    if _touches_sandbox_tables(state):
        raise UnscopedSandboxQuery(
            "sandbox tables must be queried through a SandboxContext "
            f"(statement: {str(state.statement)[:120]})"
        )


class SandboxContext:
    """One sandbox, and the persona acting in it: every sandbox service takes one."""

    def __init__(self, sandbox: Sandbox, persona: SbUser | None = None, *,
                 read_only: bool = False) -> None:
        self.sandbox = sandbox
        self.sandbox_id = sandbox.id
        self.persona = persona
        self.read_only = read_only

    # Queries -------------------------------------------------------------------------
    def select(self, *entities: Any) -> Select:
        return select(*entities).execution_options(**{SANDBOX_OPTION: self.sandbox_id})

    def scalars(self, statement: Select):
        return db.session.scalars(statement.execution_options(**{SANDBOX_OPTION:
                                                                  self.sandbox_id}))

    def scalar(self, statement: Select):
        return db.session.scalar(statement.execution_options(**{SANDBOX_OPTION:
                                                                 self.sandbox_id}))

    def execute(self, statement: Select):
        return db.session.execute(statement.execution_options(**{SANDBOX_OPTION:
                                                                  self.sandbox_id}))

    def get(self, model: type, row_id: int):
        """The row of this sandbox with that id, or None (another sandbox's id gives None)."""
        return self.scalar(select(model).where(model.id == row_id))

    def by_code(self, model: type, code: str, field: str = "code"):
        return self.scalar(select(model).where(getattr(model, field) == code))

    # Writes --------------------------------------------------------------------------
    def add(self, obj: SandboxScoped) -> SandboxScoped:
        obj.sandbox_id = self.sandbox_id
        db.session.add(obj)
        return obj

    def next_number(self, prefix: str) -> str:
        """The next document number for a prefix, e.g. ``SO-0004``."""
        counter = self.scalar(select(DocumentCounter).where(DocumentCounter.prefix == prefix))
        if counter is None:
            counter = self.add(DocumentCounter(prefix=prefix, last_number=0))
        counter.last_number += 1
        return f"{prefix}-{counter.last_number:04d}"

    def log(self, action: str, document=None, **details: Any) -> SbActivity:
        """Record an action in the sandbox's activity log (exercises are checked against it)."""
        return self.add(SbActivity(
            persona=self.persona.code if self.persona else "system",
            action=action,
            document_type=type(document).__name__ if document is not None else None,
            document_id=getattr(document, "id", None),
            document_number=getattr(document, "number", None),
            details=details or None,
        ))
