"""The sandbox's public API: the only part of ``sandbox`` the portal imports.

Provision a learner's sandbox, reset it to the seed, open a context to act in it as a
persona, and describe its state for a trainer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lms.database import utcnow
from lms.extensions import db
from sandbox import seed_data
from sandbox.models import (
    CustomerInvoice,
    ExpenseClaim,
    JournalEntry,
    Product,
    PurchaseOrder,
    SalesOrder,
    Sandbox,
    SbActivity,
    SbUser,
    StockLevel,
)
from sandbox.permissions import DEFAULT_PERSONA, DEFAULT_PERSONA_BY_JOB_ROLE
from sandbox.seed import clear, company_today, seed
from sandbox.tenancy import SandboxContext


def sandbox_of(owner_id: int) -> Sandbox | None:
    return db.session.scalar(select(Sandbox).where(Sandbox.owner_id == owner_id))


def default_persona(job_role_codes: list[str]) -> str:
    for code in job_role_codes:
        if code in DEFAULT_PERSONA_BY_JOB_ROLE:
            return DEFAULT_PERSONA_BY_JOB_ROLE[code]
    return DEFAULT_PERSONA


def provision_sandbox(owner_id: int, job_role_codes: list[str] | None = None) -> Sandbox:
    """The owner's sandbox, created and seeded on first use (the caller commits)."""
    sandbox = sandbox_of(owner_id)
    if sandbox is not None:
        return sandbox
    sandbox = Sandbox(owner_id=owner_id, seed_version=seed_data.SEED_VERSION,
                      current_persona=default_persona(job_role_codes or []))
    db.session.add(sandbox)
    db.session.flush()
    seed(sandbox.id, company_today())
    return sandbox


def reset_sandbox(sandbox: Sandbox) -> Sandbox:
    """Put the sandbox back to the seed; no other sandbox is touched (the caller commits)."""
    clear(sandbox.id)
    seed(sandbox.id, company_today())
    sandbox.seed_version = seed_data.SEED_VERSION
    sandbox.reset_at = utcnow()
    db.session.flush()
    return sandbox


def open_context(sandbox: Sandbox, persona_code: str | None = None, *,
                 read_only: bool = False) -> SandboxContext:
    """A context acting as ``persona_code`` (default: the sandbox's current persona)."""
    context = SandboxContext(sandbox, read_only=read_only)
    code = persona_code or sandbox.current_persona or DEFAULT_PERSONA
    context.persona = context.by_code(SbUser, code)
    return context


@dataclass
class SandboxSummary:
    counts: dict[str, int]
    open_documents: dict[str, list[str]]
    recent_activity: list[SbActivity]
    below_reorder_point: int


def describe_sandbox(sandbox: Sandbox) -> SandboxSummary:
    """Counts, open documents and recent activity, for a trainer helping a learner."""
    ctx = SandboxContext(sandbox, read_only=True)

    def count(model, *where) -> int:
        return ctx.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def numbers(model, states) -> list[str]:
        return list(ctx.scalars(select(model.number).where(model.state.in_(states))
                                .order_by(model.number)))

    below = ctx.scalar(
        select(func.count()).select_from(StockLevel).join(Product)
        .where(StockLevel.quantity < Product.reorder_point)
    ) or 0
    return SandboxSummary(
        counts={
            "sales_orders": count(SalesOrder), "purchase_orders": count(PurchaseOrder),
            "customer_invoices": count(CustomerInvoice), "journal_entries": count(JournalEntry),
            "expense_claims": count(ExpenseClaim), "activities": count(SbActivity),
        },
        open_documents={
            "sales_orders": numbers(SalesOrder, ("quotation", "pending_approval", "confirmed",
                                                 "partially_delivered")),
            "purchase_orders": numbers(PurchaseOrder, ("draft", "pending_approval", "confirmed",
                                                       "partially_received")),
            "expense_claims": numbers(ExpenseClaim, ("submitted", "approved")),
        },
        recent_activity=list(ctx.scalars(select(SbActivity).order_by(
            SbActivity.created_at.desc(), SbActivity.id.desc()).limit(20))),
        below_reorder_point=below,
    )
