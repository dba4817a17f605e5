"""Finance: manual journal entries (draft → posted → reversed), expense claims (费用报销),
the trial balance and the receivable and payable ageing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.extensions import db
from sandbox.labels import document_state
from sandbox.models import (
    Account,
    Customer,
    CustomerInvoice,
    ExpenseClaim,
    JournalEntry,
    JournalLine,
    Supplier,
    SupplierBill,
)
from sandbox.seed import company_today
from sandbox.services.common import (
    CENT,
    MAX_AMOUNT,
    SandboxRuleError,
    money_value,
    not_own_document,
    require,
    require_state,
)
from sandbox.services.ledger import account, build_entry, checked_lines
from sandbox.tenancy import SandboxContext

ZERO = Decimal("0.00")
# Entries that count in the ledger: a reversed entry and its reversal both stay, netting out.
LEDGER_STATES = ("posted", "reversed")


# Journal entries -----------------------------------------------------------------------------
def _amount(value, code: str) -> Decimal:
    if value is None or str(value).strip() == "":
        return ZERO
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise SandboxRuleError(_("Line for account %(code)s: the amount is not a number.",
                                 code=code))
    if abs(amount) >= MAX_AMOUNT:
        raise SandboxRuleError(_("%(what)s is too large.", what=code))
    return amount


def _journal_lines(ctx: SandboxContext, lines) -> list[tuple[str, Decimal, Decimal]]:
    """Typed lines (amounts as text) parsed, then checked as every posting is."""
    parsed = [(str(code).strip(), _amount(debit, code), _amount(credit, code))
              for code, debit, credit in lines or []]
    return checked_lines(ctx, parsed)


def _memo(memo: str) -> str:
    memo = (memo or "").strip()
    if not memo:
        raise SandboxRuleError(_("Enter a memo for the journal entry."))
    return memo


def create_journal(ctx: SandboxContext, memo: str, lines) -> JournalEntry:
    """A draft journal entry from (account code, debit, credit) lines; it must balance."""
    require(ctx, "finance.journal")
    entry = build_entry(ctx, _memo(memo), _journal_lines(ctx, lines), state="draft")
    db.session.flush()
    ctx.log("journal_entry.create", entry, amount=str(entry.total_debit))
    db.session.flush()
    return entry


def update_journal(ctx: SandboxContext, entry: JournalEntry, memo: str, lines) -> JournalEntry:
    """Replace memo and lines of a draft; a posted entry is never edited, only reversed."""
    require(ctx, "finance.journal")
    if entry.state != "draft":
        raise SandboxRuleError(
            _("%(number)s is “%(state)s”: posted entries cannot be edited — reverse instead.",
              number=entry.number, state=document_state(entry)))
    memo = _memo(memo)
    checked = _journal_lines(ctx, lines)
    entry.lines.clear()
    db.session.flush()
    entry.memo = memo[:200]
    for code, debit, credit in checked:
        entry.lines.append(ctx.add(JournalLine(account=account(ctx, code), debit=debit,
                                               credit=credit, memo=memo[:200])))
    db.session.flush()
    ctx.log("journal_entry.update", entry, amount=str(entry.total_debit))
    db.session.flush()
    return entry


def post_journal(ctx: SandboxContext, entry: JournalEntry) -> JournalEntry:
    """Post a draft entry: from now on it counts in the ledger and cannot be edited."""
    require(ctx, "finance.post")
    require_state(entry, ("draft",))
    # Four eyes: whoever entered the draft does not post it too (unless allowed).
    not_own_document(ctx, entry)
    entry.state = "posted"
    entry.posted_by = ctx.persona.code
    ctx.log("journal_entry.post", entry, amount=str(entry.total_debit))
    db.session.flush()
    return entry


def reverse_journal(ctx: SandboxContext, entry: JournalEntry) -> JournalEntry:
    """A posted entry with debits and credits swapped; the original becomes "reversed"."""
    require(ctx, "finance.post")
    require_state(entry, ("posted",))
    if entry.reversal_of_id is not None:
        raise SandboxRuleError(_("%(number)s is itself a reversal and cannot be reversed.",
                                 number=entry.number))
    if entry.source_type is not None:
        # Reversing it alone would leave the document (an invoice, a delivery) as it was.
        raise SandboxRuleError(
            _("%(number)s was posted by %(source)s; correct that document instead of "
              "reversing its entry.", number=entry.number, source=entry.source_number or "?"))
    already = ctx.scalar(select(JournalEntry.number)
                         .where(JournalEntry.reversal_of_id == entry.id))
    if already:
        raise SandboxRuleError(_("%(number)s was already reversed by %(reversal)s.",
                                 number=entry.number, reversal=already))
    swapped = [(line.account.code, line.credit, line.debit) for line in entry.lines]
    reversal = build_entry(ctx, f"冲销 {entry.number}", swapped, source=entry)
    reversal.reversal_of_id = entry.id
    entry.state = "reversed"
    db.session.flush()
    ctx.log("journal_entry.reverse", reversal, original=entry.number,
            amount=str(entry.total_debit))
    db.session.flush()
    return reversal


# Expense claims ------------------------------------------------------------------------------
def submit_expense(ctx: SandboxContext, account_code: str, amount,
                   description: str) -> ExpenseClaim:
    """An expense claim by the acting persona, against an expense account (66xx)."""
    require(ctx, "expense.submit")
    expense_account = ctx.by_code(Account, str(account_code).strip())
    if expense_account is None or expense_account.kind != "expense" \
            or not expense_account.code.startswith("66"):
        raise SandboxRuleError(
            _("%(code)s is not an expense account (66xx) that claims can be made against.",
              code=account_code))
    value = money_value(amount, _("Amount"))
    description = (description or "").strip()
    if not description:
        raise SandboxRuleError(_("Describe what the expense was for."))
    claim = ctx.add(ExpenseClaim(
        number=ctx.next_number("EXP"), state="submitted", document_date=company_today(),
        created_by=ctx.persona.code, claimant=ctx.persona.code,
        expense_account=expense_account, amount=value, description=description[:200]))
    db.session.flush()
    ctx.log("expense_claim.submit", claim, account=expense_account.code, amount=str(value))
    db.session.flush()
    return claim


def _decide_expense(ctx: SandboxContext, claim: ExpenseClaim, comment: str,
                    state: str, action: str) -> ExpenseClaim:
    require(ctx, "finance.expense_approve")
    require_state(claim, ("submitted",))
    not_own_document(ctx, claim)
    claim.state = state
    claim.approved_by = ctx.persona.code
    claim.decision_comment = comment or None
    ctx.log(action, claim, comment=comment or None)
    db.session.flush()
    return claim


def approve_expense(ctx: SandboxContext, claim: ExpenseClaim, comment: str = "") -> ExpenseClaim:
    """Approve a submitted claim (not one's own unless self-approval is allowed)."""
    return _decide_expense(ctx, claim, (comment or "").strip(), "approved",
                           "expense_claim.approve")


def reject_expense(ctx: SandboxContext, claim: ExpenseClaim, comment: str) -> ExpenseClaim:
    """Reject a submitted claim, with a reason."""
    comment = (comment or "").strip()
    if not comment:
        require(ctx, "finance.expense_approve")
        raise SandboxRuleError(_("Give a reason when rejecting."))
    return _decide_expense(ctx, claim, comment, "rejected", "expense_claim.reject")


def pay_expense(ctx: SandboxContext, claim: ExpenseClaim) -> ExpenseClaim:
    """Pay an approved claim from the bank: Dr the expense account / Cr 1002."""
    require(ctx, "finance.expense_pay")
    require_state(claim, ("approved",))
    build_entry(ctx, f"费用报销 {claim.number} {claim.description}",
                [(claim.expense_account.code, claim.amount, ZERO),
                 ("1002", ZERO, claim.amount)], source=claim)
    claim.state = "paid"
    ctx.log("expense_claim.pay", claim, amount=str(claim.amount))
    db.session.flush()
    return claim


# Reports -------------------------------------------------------------------------------------
@dataclass
class BalanceRow:
    """Totals of one account over the ledger; ``balance`` is debit minus credit."""

    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit

    @property
    def debit_balance(self) -> Decimal:
        return self.balance if self.balance > 0 else ZERO

    @property
    def credit_balance(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO


def account_balances(ctx: SandboxContext) -> list[BalanceRow]:
    """Every account of the chart with its debit and credit totals (posted and reversed)."""
    totals = {
        account_id: (debit, credit)
        for account_id, debit, credit in ctx.execute(
            select(JournalLine.account_id, func.sum(JournalLine.debit),
                   func.sum(JournalLine.credit))
            .join(JournalEntry, JournalLine.entry_id == JournalEntry.id)
            .where(JournalEntry.state.in_(LEDGER_STATES))
            .group_by(JournalLine.account_id))
    }
    rows = []
    for acc in ctx.scalars(select(Account).order_by(Account.code)):
        debit, credit = totals.get(acc.id, (ZERO, ZERO))
        rows.append(BalanceRow(acc, Decimal(debit or 0).quantize(CENT),
                               Decimal(credit or 0).quantize(CENT)))
    return rows


def trial_balance(ctx: SandboxContext) -> list[BalanceRow]:
    """The accounts that have postings; the debit and credit columns add up to the same."""
    return [row for row in account_balances(ctx) if row.debit or row.credit]


@dataclass
class AgeingRow:
    """Open amounts of one customer or supplier by days past the due date."""

    party: Customer | Supplier
    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    documents: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return (self.current + self.days_1_30 + self.days_31_60 + self.days_61_90
                + self.over_90)


AGEING_BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")


def _bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "days_1_30"
    if days_overdue <= 60:
        return "days_31_60"
    if days_overdue <= 90:
        return "days_61_90"
    return "over_90"


def _ageing(documents, party_of, today: date) -> list[AgeingRow]:
    rows: dict[int, AgeingRow] = {}
    for document in documents:
        party = party_of(document)
        row = rows.setdefault(party.id, AgeingRow(party))
        bucket = _bucket((today - document.due_date).days)
        setattr(row, bucket, getattr(row, bucket) + document.open_amount)
        row.documents.append(document)
    return sorted(rows.values(), key=lambda row: row.party.code)


def receivable_ageing(ctx: SandboxContext, today: date | None = None) -> list[AgeingRow]:
    """Open customer invoices per customer, by days past due (default: the company's today)."""
    invoices = ctx.scalars(select(CustomerInvoice)
                           .where(CustomerInvoice.state.in_(("open", "partially_paid")))
                           .order_by(CustomerInvoice.due_date))
    return _ageing(invoices, lambda invoice: invoice.customer, today or company_today())


def payable_ageing(ctx: SandboxContext, today: date | None = None) -> list[AgeingRow]:
    """Open supplier bills per supplier, by days past due (default: the company's today)."""
    bills = ctx.scalars(select(SupplierBill)
                        .where(SupplierBill.state.in_(("open", "partially_paid")))
                        .order_by(SupplierBill.due_date))
    return _ageing(bills, lambda bill: bill.supplier, today or company_today())
