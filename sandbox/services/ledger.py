"""Posting to the general ledger: every automatic posting of the flows goes through here."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from sandbox.models import Account, JournalEntry, JournalLine
from sandbox.seed import company_today
from sandbox.services.common import CENT, SandboxRuleError
from sandbox.tenancy import SandboxContext


def account(ctx: SandboxContext, code: str) -> Account:
    found = ctx.scalar(select(Account).where(Account.code == code))
    if found is None:
        raise SandboxRuleError(_("There is no account %(code)s.", code=code))
    return found


def checked_lines(ctx: SandboxContext, lines) -> list[tuple[str, Decimal, Decimal]]:
    """(account code, debit, credit) lines rounded to fen, empty ones dropped, all checked.

    A line has a debit or a credit, not both, never negative; there are at least two lines;
    the accounts exist; debits equal credits. Raises SandboxRuleError otherwise.
    """
    rounded = [(code, Decimal(debit).quantize(CENT), Decimal(credit).quantize(CENT))
               for code, debit, credit in lines]
    rounded = [(code, d, c) for code, d, c in rounded if d or c]
    if len(rounded) < 2:
        raise SandboxRuleError(_("A journal entry needs at least two lines."))
    for code, debit, credit in rounded:
        if debit < 0 or credit < 0 or (debit and credit):
            raise SandboxRuleError(
                _("Line for account %(code)s: enter either a debit or a credit, not negative.",
                  code=code))
    total_debit = sum(d for _c, d, _k in rounded)
    total_credit = sum(c for _c, _d, c in rounded)
    if total_debit != total_credit:
        raise SandboxRuleError(
            _("The entry does not balance: debits %(debit)s, credits %(credit)s.",
              debit=f"{total_debit:,.2f}", credit=f"{total_credit:,.2f}"))
    for code, _d, _c in rounded:
        account(ctx, code)  # refuses an unknown account
    return rounded


def build_entry(ctx: SandboxContext, memo: str, lines: list[tuple[str, Decimal, Decimal]],
                *, source=None, state: str = "posted") -> JournalEntry:
    """A journal entry from (account code, debit, credit) lines; it must balance.

    The lines are checked by ``checked_lines``; a refused entry adds nothing.
    """
    rounded = checked_lines(ctx, lines)
    accounts = {code: account(ctx, code) for code, _d, _c in rounded}
    persona = ctx.persona.code if ctx.persona else "system"
    entry = ctx.add(JournalEntry(
        number=ctx.next_number("JE"), state=state, document_date=company_today(),
        created_by=persona, memo=memo[:200],
        source_type=type(source).__name__ if source is not None else None,
        source_id=getattr(source, "id", None), source_number=getattr(source, "number", None),
        posted_by=persona if state == "posted" else None,
    ))
    for code, debit, credit in rounded:
        entry.lines.append(ctx.add(JournalLine(account=accounts[code], debit=debit,
                                               credit=credit, memo=memo[:200])))
    return entry
