"""Finance: journal entries, reversal, expense claims, trial balance, ageing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import sandbox
from lms.extensions import db
from sandbox.models import (
    CustomerInvoice,
    DocumentCounter,
    ExpenseClaim,
    JournalEntry,
    PurchaseOrder,
    SbActivity,
    SbParameter,
)
from sandbox.seed import company_today
from sandbox.services.common import SandboxPermissionError, SandboxRuleError
from sandbox.services.finance import (
    account_balances,
    approve_expense,
    create_journal,
    pay_expense,
    payable_ageing,
    post_journal,
    receivable_ageing,
    reject_expense,
    reverse_journal,
    submit_expense,
    trial_balance,
    update_journal,
)
from sandbox.services.purchasing import pay_bill, receive_goods, record_bill

OFFICE = [("6602", Decimal("1250"), 0), ("1002", 0, Decimal("1250"))]


@pytest.fixture
def box(make_sandbox):
    return make_sandbox("finance1", job_roles=("finance",), persona="accountant")[0]


def act(box, persona):
    return sandbox.open_context(box, persona)


def refused(call, *args, error=SandboxRuleError, match=None, **kwargs):
    """The call is refused; the caller's transaction is then rolled back as a view would."""
    db.session.commit()
    with pytest.raises(error, match=match):
        call(*args, **kwargs)
    db.session.rollback()


def balances(ctx):
    return {row.account.code: row.balance for row in account_balances(ctx)}


def entry(ctx, number):
    return ctx.by_code(JournalEntry, number, field="number")


def claim(ctx, number):
    return ctx.by_code(ExpenseClaim, number, field="number")


def actions(ctx):
    return list(ctx.scalars(select(SbActivity.action).order_by(SbActivity.id)))


def assert_trial_balance_balances(ctx):
    rows = trial_balance(ctx)
    assert rows
    assert sum(row.debit for row in rows) == sum(row.credit for row in rows)
    assert sum(row.debit_balance for row in rows) == sum(row.credit_balance for row in rows)
    assert sum(row.balance for row in account_balances(ctx)) == 0


def test_a_draft_entry_counts_only_once_posted(box):
    accountant = act(box, "accountant")
    before = balances(accountant)
    draft = create_journal(accountant, "报销办公用品", OFFICE)
    assert (draft.number, draft.state, draft.posted_by) == ("JE-0002", "draft", None)
    assert draft.created_by == "accountant" and draft.document_date == company_today()
    assert balances(accountant) == before
    boss = act(box, "finance_manager")
    posted = post_journal(boss, entry(boss, "JE-0002"))
    assert (posted.state, posted.posted_by) == ("posted", "finance_manager")
    after = balances(boss)
    assert after["6602"] == before["6602"] + 1250 and after["1002"] == before["1002"] - 1250
    refused(post_journal, boss, entry(boss, "JE-0002"), match="JE-0002")
    assert actions(boss)[-2:] == ["journal_entry.create", "journal_entry.post"]


@pytest.mark.parametrize("lines", [
    [("6602", Decimal("100"), 0), ("1002", 0, Decimal("99.99"))],
    [("6602", Decimal("100"), 0)],
    [("6602", "abc", 0), ("1002", 0, Decimal("100"))],
    [("9999", Decimal("100"), 0), ("1002", 0, Decimal("100"))],
])
def test_an_unbalanced_or_bad_entry_is_refused(box, lines):
    accountant = act(box, "accountant")
    count = accountant.scalar(select(func.count()).select_from(JournalEntry))
    refused(create_journal, accountant, "错误凭证", lines)
    assert accountant.scalar(select(func.count()).select_from(JournalEntry)) == count
    counter = accountant.scalar(select(DocumentCounter).where(DocumentCounter.prefix == "JE"))
    assert counter.last_number == 1


def test_a_draft_is_edited_and_a_posted_entry_is_not(box):
    accountant = act(box, "accountant")
    draft = create_journal(accountant, "报销办公用品", OFFICE)
    updated = update_journal(accountant, draft, "报销办公用品及快递费",
                             [("6602", "1250.00", ""), ("6601", "80", None),
                              ("1001", None, "1330")])
    assert updated.total_debit == updated.total_credit == Decimal("1330.00")
    assert [line.account.code for line in updated.lines] == ["6602", "6601", "1001"]
    refused(update_journal, accountant, entry(accountant, "JE-0002"), "x",
            [("6602", 1, 0), ("1002", 0, 2)], match="1.00")
    assert len(entry(accountant, "JE-0002").lines) == 3
    post_journal(act(box, "finance_manager"), entry(accountant, "JE-0002"))
    refused(update_journal, accountant, entry(accountant, "JE-0002"), "改", OFFICE,
            match="JE-0002")
    posted = entry(accountant, "JE-0002")
    assert posted.memo == "报销办公用品及快递费" and posted.total_debit == Decimal("1330.00")
    refused(update_journal, accountant, entry(accountant, "JE-0001"), "改期初", OFFICE)


def test_a_sales_clerk_cannot_write_or_post_journals(box):
    clerk = act(box, "sales_clerk")
    refused(create_journal, clerk, "x", OFFICE, error=SandboxPermissionError, match="林小燕")
    draft = create_journal(act(box, "accountant"), "报销办公用品", OFFICE)
    number = draft.number
    refused(post_journal, clerk, draft, error=SandboxPermissionError)
    refused(post_journal, act(box, "accountant"), entry(clerk, number),
            error=SandboxPermissionError)  # an accountant prepares, the manager posts
    assert entry(clerk, number).state == "draft"
    refused(reverse_journal, clerk, entry(clerk, "JE-0001"), error=SandboxPermissionError)


def test_reversal_nets_to_zero_and_cannot_be_repeated(box):
    boss, accountant = act(box, "finance_manager"), act(box, "accountant")
    before = balances(boss)
    original = post_journal(boss, create_journal(accountant, "报销办公用品", OFFICE))
    reversal = reverse_journal(boss, original)
    assert reversal.state == "posted" and reversal.reversal_of_id == original.id
    assert reversal.memo == f"冲销 {original.number}"
    assert [(line.account.code, line.debit, line.credit) for line in reversal.lines] == \
        [("6602", 0, Decimal("1250.00")), ("1002", Decimal("1250.00"), 0)]
    assert original.state == "reversed"
    assert balances(boss) == before
    rows = {row.account.code: row for row in trial_balance(boss)}
    assert rows["6602"].debit == rows["6602"].credit == Decimal("1250.00")
    refused(reverse_journal, boss, entry(boss, original.number), match=original.number)
    refused(reverse_journal, boss, entry(boss, reversal.number), match=reversal.number)
    assert boss.scalar(select(func.count()).select_from(JournalEntry)
                       .where(JournalEntry.reversal_of_id.is_not(None))) == 1
    refused(reverse_journal, boss, create_journal(boss, "草稿", OFFICE))  # drafts: edit them
    assert actions(boss).count("journal_entry.reverse") == 1


def test_expense_claim_submit_approve_pay(box):
    clerk = act(box, "sales_clerk")
    submitted = submit_expense(clerk, "6602", "356.50", "购买会议用矿泉水和纸杯")
    assert (submitted.number, submitted.state, submitted.claimant) == \
        ("EXP-0002", "submitted", "sales_clerk")
    number = submitted.number
    boss, accountant = act(box, "finance_manager"), act(box, "accountant")
    refused(pay_expense, accountant, claim(accountant, number), match=number)  # not approved
    refused(approve_expense, clerk, claim(clerk, number), error=SandboxPermissionError)
    before = balances(boss)
    approved = approve_expense(boss, claim(boss, number), "属实")
    assert (approved.state, approved.approved_by) == ("approved", "finance_manager")
    refused(approve_expense, boss, claim(boss, number), match=number)
    paid = pay_expense(accountant, claim(accountant, number))
    assert paid.state == "paid"
    after = balances(accountant)
    assert after["6602"] == before["6602"] + Decimal("356.50")
    assert after["1002"] == before["1002"] - Decimal("356.50")
    posting = accountant.scalar(select(JournalEntry).where(JournalEntry.source_number == number))
    assert posting.state == "posted"
    assert actions(accountant)[-3:] == ["expense_claim.submit", "expense_claim.approve",
                                        "expense_claim.pay"]


@pytest.mark.parametrize("account, amount, text", [
    ("1002", "100", "取现"), ("6001", "100", "收入"), ("6711", "100", "罚款"),
    ("6602", "0", "空"), ("6602", "-5", "负数"), ("6602", "100", "  "), ("7777", "1", "x"),
])
def test_bad_expense_claims_are_refused(box, account, amount, text):
    clerk = act(box, "sales_clerk")
    refused(submit_expense, clerk, account, amount, text)
    assert clerk.scalar(select(func.count()).select_from(ExpenseClaim)) == 1


def test_approving_ones_own_claim_is_refused_unless_allowed(box):
    boss = act(box, "finance_manager")
    own = submit_expense(boss, "6602", 200, "打车费")
    number = own.number
    refused(approve_expense, boss, own, match=number)
    assert claim(boss, number).state == "submitted" and claim(boss, number).approved_by is None
    boss.scalar(select(SbParameter).where(SbParameter.key == "allow_self_approval")
                ).value = "on"
    assert approve_expense(boss, claim(boss, number)).state == "approved"


def test_rejecting_a_claim_needs_a_reason(box):
    general = act(box, "general_manager")
    refused(reject_expense, general, claim(general, "EXP-0001"), "")
    assert claim(general, "EXP-0001").state == "submitted"
    rejected = reject_expense(general, claim(general, "EXP-0001"), "缺少住宿发票")
    assert (rejected.state, rejected.decision_comment) == ("rejected", "缺少住宿发票")
    refused(pay_expense, act(box, "accountant"), claim(general, "EXP-0001"))


def test_trial_balance_balances_on_the_seed_and_after_the_flows(box):
    accountant = act(box, "accountant")
    assert_trial_balance_balances(accountant)
    seeded = {row.account.code for row in trial_balance(accountant)}
    assert {"1001", "1002", "1122", "1405", "1601", "2202", "4001"} <= seeded
    boss = act(box, "finance_manager")
    post_journal(boss, create_journal(accountant, "报销办公用品", OFFICE))
    reverse_journal(boss, entry(boss, "JE-0002"))
    keeper = act(box, "warehouse_keeper")
    po = accountant.by_code(PurchaseOrder, "PO-0002", field="number")
    receive_goods(keeper, po, {po.lines[0].id: 20})
    pay_bill(boss, record_bill(accountant, po), "500")
    approve_expense(boss, claim(boss, "EXP-0001"))
    pay_expense(accountant, claim(accountant, "EXP-0001"))
    create_journal(accountant, "未过账草稿", [("6603", 10, 0), ("1002", 0, 10)])
    assert_trial_balance_balances(accountant)
    assert "6603" not in {row.account.code for row in trial_balance(accountant)}


def test_receivable_ageing_of_the_seeded_invoices(box):
    ctx = act(box, "accountant")
    rows = {row.party.code: row for row in receivable_ageing(ctx)}
    assert list(rows) == ["C0001", "C0003", "C0006", "C0007", "C0012"]
    # INV-2025-0087: 86,000 + VAT, due 14 days ago; INV-2025-0093 due 6 days ago.
    assert rows["C0001"].days_1_30 == Decimal("97180.00") and rows["C0001"].current == 0
    assert rows["C0003"].days_1_30 == Decimal("48025.00")
    assert rows["C0006"].current == rows["C0006"].total == Decimal("144640.00")
    total = sum(row.total for row in rows.values())
    assert total == Decimal("362165.00") == balances(ctx)["1122"]
    later = {row.party.code: row for row in
             receivable_ageing(ctx, today=company_today() + timedelta(days=60))}
    assert later["C0001"].days_61_90 == Decimal("97180.00")  # 74 days past due
    assert later["C0003"].days_61_90 == Decimal("48025.00")  # 66
    assert later["C0007"].days_31_60 == Decimal("43618.00")  # 48
    assert later["C0006"].days_1_30 == Decimal("144640.00")  # 25
    assert later["C0012"].days_1_30 == Decimal("28702.00")  # 14
    much_later = receivable_ageing(ctx, today=company_today() + timedelta(days=120))
    assert [row.over_90 for row in much_later][:2] == [Decimal("97180.00"), Decimal("48025.00")]


def test_ageing_counts_only_what_is_still_open(box):
    ctx = act(box, "accountant")
    invoice = ctx.by_code(CustomerInvoice, "INV-2025-0087", field="number")
    invoice.paid_amount, invoice.state = Decimal("50000.00"), "partially_paid"
    other = ctx.by_code(CustomerInvoice, "INV-2025-0093", field="number")
    other.paid_amount, other.state = other.total_amount, "paid"
    rows = {row.party.code: row for row in receivable_ageing(ctx)}
    assert rows["C0001"].total == Decimal("47180.00") and "C0003" not in rows


def test_payable_ageing_of_the_seeded_and_new_bills(box):
    ctx = act(box, "accountant")
    rows = {row.party.code: row for row in payable_ageing(ctx)}
    assert list(rows) == ["S001", "S003", "S011"]
    assert rows["S003"].days_1_30 == Decimal("72320.00")  # due 13 days ago
    assert rows["S001"].current == Decimal("20566.00")
    assert sum(row.total for row in rows.values()) == -balances(ctx)["2202"]
    po = ctx.by_code(PurchaseOrder, "PO-0002", field="number")
    receive_goods(act(box, "warehouse_keeper"), po)
    bill = record_bill(ctx, po)
    rows = {row.party.code: row for row in payable_ageing(ctx)}
    assert rows["S014"].current == bill.total_amount == Decimal("5243.20")
    assert sum(row.total for row in rows.values()) == -balances(ctx)["2202"]
    late = {row.party.code: row for row in
            payable_ageing(ctx, today=company_today() + timedelta(days=100))}
    assert late["S003"].over_90 == Decimal("72320.00")  # 113 days
    assert late["S014"].days_31_60 == Decimal("5243.20")  # 55 days


def test_whoever_enters_an_entry_does_not_post_it(box, db):
    boss = act(box, "finance_manager")
    draft = create_journal(boss, "自己录入", OFFICE)
    db.session.commit()
    refused(post_journal, boss, entry(boss, draft.number), match=draft.number)
    assert entry(boss, draft.number).state == "draft"


def test_automatic_postings_are_corrected_through_their_document(box, db):
    from sandbox.services.sales import create_order, deliver, submit_order

    clerk, keeper = act(box, "sales_clerk"), act(box, "warehouse_keeper")
    order = submit_order(clerk, create_order(clerk, "C0002", [("P1001", 2, None)]))
    delivery = deliver(keeper, order)
    db.session.commit()
    boss = act(box, "finance_manager")
    posted = boss.scalar(select(JournalEntry).where(JournalEntry.source_number ==
                                                    delivery.number))
    refused(reverse_journal, boss, posted, match=delivery.number)
    assert boss.get(JournalEntry, posted.id).state == "posted"
