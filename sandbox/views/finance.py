"""Finance pages: journal entries (draft → posted → reversed), expense claims (费用报销),
the trial balance and the receivable and payable ageing."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from sandbox.models import (
    Account,
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    ExpenseClaim,
    GoodsReceipt,
    JournalEntry,
    PurchaseOrder,
    SalesOrder,
    SupplierBill,
    SupplierPayment,
)
from sandbox.services import finance
from sandbox.views import bp, may, may_see_reports, row_or_404, run_action, sandbox_context

LINE_ROWS = 8
JOURNAL_STATES = ("draft", "posted", "reversed")
EXPENSE_STATES = ("submitted", "approved", "rejected", "paid")
ZERO = Decimal("0.00")





# Journal entries -----------------------------------------------------------------------------
@bp.get("/finance/journals")
@require_permission("use_sandbox")
def journal_entries():
    ctx = sandbox_context()
    query = select(JournalEntry).order_by(JournalEntry.id.desc())
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(JournalEntry.number.contains(text),
                                JournalEntry.memo.contains(text),
                                JournalEntry.source_number.contains(text)))
    state = request.args.get("state", "")
    if state in JOURNAL_STATES:
        query = query.where(JournalEntry.state == state)
    return render_template("sandbox/finance/journals.html", ctx=ctx,
                           entries=ctx.scalars(query).all(), q=text, state=state,
                           states=JOURNAL_STATES)


def _posted_lines() -> list[tuple[str, str, str]]:
    """(account code, debit, credit) rows the form sent, blank rows left out."""
    rows = []
    for index in range(LINE_ROWS):
        code = request.form.get(f"account-{index}", "").strip()[:10]
        debit = request.form.get(f"debit-{index}", "").strip()[:20]
        credit = request.form.get(f"credit-{index}", "").strip()[:20]
        if code or debit or credit:
            rows.append((code, debit, credit))
    return rows


def _journal_form_page(ctx, rows, memo="", entry=None, status=200):
    return render_template(
        "sandbox/finance/journal_form.html", ctx=ctx, entry=entry, rows=rows, memo=memo,
        line_rows=LINE_ROWS, form=ConfirmForm(),
        accounts=ctx.scalars(select(Account).order_by(Account.code)).all(),
    ), status


@bp.route("/finance/journals/new", methods=["GET", "POST"])
@require_permission("use_sandbox")
def new_journal_entry():
    ctx = sandbox_context()
    if request.method == "GET":
        return _journal_form_page(ctx, [])
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    memo = request.form.get("memo", "")[:200]
    created = []

    def create():
        created.append(finance.create_journal(ctx, memo, rows))

    if not run_action(create):
        return _journal_form_page(ctx, rows, memo, status=422)
    flash(_("Journal entry %(number)s is saved as a draft.", number=created[0].number),
          "success")
    return redirect(url_for("sandbox.journal_entry", entry_id=created[0].id), 303)


@bp.route("/finance/journals/<int:entry_id>/edit", methods=["GET", "POST"])
@require_permission("use_sandbox")
def edit_journal_entry(entry_id: int):
    ctx = sandbox_context()
    entry = row_or_404(ctx, JournalEntry, entry_id)
    if request.method == "GET":
        rows = [(line.account.code, f"{line.debit:.2f}" if line.debit else "",
                 f"{line.credit:.2f}" if line.credit else "") for line in entry.lines]
        return _journal_form_page(ctx, rows, entry.memo, entry=entry)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    memo = request.form.get("memo", "")[:200]
    if not run_action(lambda: finance.update_journal(ctx, entry, memo, rows)):
        return _journal_form_page(ctx, rows, memo,
                                  entry=row_or_404(ctx, JournalEntry, entry_id), status=422)
    flash(_("%(number)s is saved.", number=entry.number), "success")
    return redirect(url_for("sandbox.journal_entry", entry_id=entry.id), 303)


def _source_link(ctx, entry: JournalEntry) -> str | None:
    """The page of the document that produced an automatic posting, where there is one."""
    kind, source_id = entry.source_type, entry.source_id
    if not kind or source_id is None:
        return None
    if kind == "JournalEntry":
        return url_for("sandbox.journal_entry", entry_id=source_id)
    if kind == "ExpenseClaim":
        return url_for("sandbox.expense_claim", claim_id=source_id)
    if kind == "SupplierBill":
        return url_for("sandbox.supplier_bill", bill_id=source_id)
    if kind == "CustomerInvoice":
        return url_for("sandbox.customer_invoice", invoice_id=source_id)
    parents = {"GoodsReceipt": (GoodsReceipt, "order_id", PurchaseOrder),
               "SupplierPayment": (SupplierPayment, "bill_id", SupplierBill),
               "Delivery": (Delivery, "order_id", SalesOrder),
               "CustomerReceipt": (CustomerReceipt, "invoice_id", CustomerInvoice)}
    if kind not in parents:
        return None
    model, key, parent = parents[kind]
    document = ctx.get(model, source_id)
    if document is None:
        return None
    parent_id = getattr(document, key)
    endpoint = {PurchaseOrder: ("sandbox.purchase_order", "order_id"),
                SupplierBill: ("sandbox.supplier_bill", "bill_id"),
                SalesOrder: ("sandbox.sales_order", "order_id"),
                CustomerInvoice: ("sandbox.customer_invoice", "invoice_id")}[parent]
    return url_for(endpoint[0], **{endpoint[1]: parent_id})


@bp.get("/finance/journals/<int:entry_id>")
@require_permission("use_sandbox")
def journal_entry(entry_id: int):
    ctx = sandbox_context()
    entry = row_or_404(ctx, JournalEntry, entry_id)
    reversal = ctx.scalar(select(JournalEntry).where(JournalEntry.reversal_of_id == entry.id))
    original = (ctx.get(JournalEntry, entry.reversal_of_id)
                if entry.reversal_of_id is not None else None)
    return render_template(
        "sandbox/finance/journal.html", ctx=ctx, entry=entry, reversal=reversal,
        original=original, source_url=_source_link(ctx, entry),
        may=may(ctx, "finance.journal", "finance.post"), form=ConfirmForm(),
    )


JOURNAL_ACTIONS = {
    "post": finance.post_journal,
    "reverse": finance.reverse_journal,
}


@bp.post("/finance/journals/<int:entry_id>/<action>")
@require_permission("use_sandbox")
def journal_entry_action(entry_id: int, action: str):
    ctx = sandbox_context()
    entry = row_or_404(ctx, JournalEntry, entry_id)
    if action not in JOURNAL_ACTIONS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = []
    if run_action(lambda: done.append(JOURNAL_ACTIONS[action](ctx, entry))):
        if action == "post":
            flash(_("%(number)s is posted.", number=entry.number), "success")
        else:
            flash(_("%(number)s is reversed by %(reversal)s.", number=entry.number,
                    reversal=done[0].number), "success")
    return redirect(url_for("sandbox.journal_entry", entry_id=entry_id), 303)


# Expense claims ------------------------------------------------------------------------------
def _expense_accounts(ctx) -> list[Account]:
    return ctx.scalars(select(Account).where(Account.kind == "expense",
                                             Account.code.startswith("66"))
                       .order_by(Account.code)).all()


def _expenses_page(ctx, status=200):
    query = select(ExpenseClaim).order_by(ExpenseClaim.id.desc())
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(ExpenseClaim.number.contains(text),
                                ExpenseClaim.description.contains(text),
                                ExpenseClaim.claimant.contains(text)))
    state = request.args.get("state", "")
    if state in EXPENSE_STATES:
        query = query.where(ExpenseClaim.state == state)
    return render_template(
        "sandbox/finance/expenses.html", ctx=ctx, claims=ctx.scalars(query).all(), q=text,
        state=state, states=EXPENSE_STATES, accounts=_expense_accounts(ctx), form=ConfirmForm(),
        may_submit=may(ctx, "expense.submit")["expense.submit"],
        account_code=request.form.get("account", "")[:10],
        amount=request.form.get("amount", "")[:20],
        description=request.form.get("description", "")[:200],
    ), status


@bp.route("/finance/expenses", methods=["GET", "POST"])
@require_permission("use_sandbox")
def expense_claims():
    ctx = sandbox_context()
    if request.method == "GET":
        return _expenses_page(ctx)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    created = []

    def submit():
        created.append(finance.submit_expense(
            ctx, request.form.get("account", "")[:10], request.form.get("amount", "")[:20],
            request.form.get("description", "")[:200]))

    if not run_action(submit):
        return _expenses_page(ctx, status=422)
    flash(_("Expense claim %(number)s is submitted.", number=created[0].number), "success")
    return redirect(url_for("sandbox.expense_claim", claim_id=created[0].id), 303)


@bp.get("/finance/expenses/<int:claim_id>")
@require_permission("use_sandbox")
def expense_claim(claim_id: int):
    ctx = sandbox_context()
    claim = row_or_404(ctx, ExpenseClaim, claim_id)
    payment = ctx.scalar(select(JournalEntry).where(JournalEntry.source_type == "ExpenseClaim",
                                                    JournalEntry.source_id == claim.id))
    return render_template(
        "sandbox/finance/expense.html", ctx=ctx, claim=claim, payment=payment,
        may=may(ctx, "finance.expense_approve", "finance.expense_pay"), form=ConfirmForm(),
    )


EXPENSE_ACTIONS = {
    "approve": lambda ctx, claim, form: finance.approve_expense(
        ctx, claim, form.get("comment", "")[:500]),
    "reject": lambda ctx, claim, form: finance.reject_expense(
        ctx, claim, form.get("comment", "")[:500]),
    "pay": lambda ctx, claim, form: finance.pay_expense(ctx, claim),
}


@bp.post("/finance/expenses/<int:claim_id>/<action>")
@require_permission("use_sandbox")
def expense_claim_action(claim_id: int, action: str):
    ctx = sandbox_context()
    claim = row_or_404(ctx, ExpenseClaim, claim_id)
    if action not in EXPENSE_ACTIONS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if run_action(lambda: EXPENSE_ACTIONS[action](ctx, claim, request.form)):
        messages = {"approve": _("%(number)s is approved.", number=claim.number),
                    "reject": _("%(number)s is rejected.", number=claim.number),
                    "pay": _("%(number)s is paid.", number=claim.number)}
        flash(messages[action], "success")
    return redirect(url_for("sandbox.expense_claim", claim_id=claim_id), 303)


# Reports -------------------------------------------------------------------------------------
@bp.get("/finance/trial-balance")
@require_permission("use_sandbox")
def trial_balance():
    ctx = sandbox_context()
    if not may_see_reports(ctx):
        return render_template("sandbox/finance/trial_balance.html", ctx=ctx, allowed=False,
                               rows=[]), 403
    rows = finance.trial_balance(ctx)
    totals = {
        "debit": sum((row.debit for row in rows), ZERO),
        "credit": sum((row.credit for row in rows), ZERO),
        "debit_balance": sum((row.debit_balance for row in rows), ZERO),
        "credit_balance": sum((row.credit_balance for row in rows), ZERO),
    }
    return render_template("sandbox/finance/trial_balance.html", ctx=ctx, allowed=True,
                           rows=rows, totals=totals)


def _bucket_totals(rows) -> dict[str, Decimal]:
    totals = {bucket: sum((getattr(row, bucket) for row in rows), ZERO)
              for bucket in finance.AGEING_BUCKETS}
    totals["total"] = sum((row.total for row in rows), ZERO)
    return totals


@bp.get("/finance/ageing")
@require_permission("use_sandbox")
def ageing():
    ctx = sandbox_context()
    if not may_see_reports(ctx):
        return render_template("sandbox/finance/ageing.html", ctx=ctx, allowed=False), 403
    receivable = finance.receivable_ageing(ctx)
    payable = finance.payable_ageing(ctx)
    return render_template(
        "sandbox/finance/ageing.html", ctx=ctx, allowed=True, buckets=finance.AGEING_BUCKETS,
        receivable=receivable, payable=payable, receivable_totals=_bucket_totals(receivable),
        payable_totals=_bucket_totals(payable),
    )
