"""The finance pages: journal entries, expense claims, trial balance, ageing — and refusals."""

import re
from decimal import Decimal

from sqlalchemy import func, select

import sandbox
from lms.accounts.models import User
from sandbox.models import ExpenseClaim, JournalEntry, SbRole, SbUser
from sandbox.services.admin import set_role_permissions


def _context(db, username="acct9"):
    db.session.expire_all()  # the pages changed rows this session may hold
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def _entry(db, number, username="acct9"):
    return _context(db, username).by_code(JournalEntry, number, field="number")


def _claim(db, number, username="acct9"):
    return _context(db, username).by_code(ExpenseClaim, number, field="number")


def _switch(client, persona):
    assert client.post("/sandbox/persona", data={"persona": persona}).status_code == 303


def _login(login_as, client):
    login_as("acct9", job_roles=["finance"])
    client.get("/sandbox/")


def _new_journal(client, memo="计提办公费", lines=(("6602", "1250", ""), ("1002", "", "1250"))):
    data = {"memo": memo}
    for index, (code, debit, credit) in enumerate(lines):
        data.update({f"account-{index}": code, f"debit-{index}": debit,
                     f"credit-{index}": credit})
    return client.post("/sandbox/finance/journals/new", data=data)


def _count(db, model):
    return _context(db).scalar(select(func.count()).select_from(model))


def test_journal_pages_walk_draft_post_reverse(login_as, client, db):
    _login(login_as, client)
    listing = client.get("/sandbox/finance/journals").data.decode()
    assert "JE-0001" in listing
    form = client.get("/sandbox/finance/journals/new").data.decode()
    assert '<datalist id="accounts">' in form and 'value="6602"' in form

    created = _new_journal(client)
    assert created.status_code == 303
    entry_url = created.location
    page = client.get(entry_url).data.decode()
    assert "JE-0002" in page and 'data-state="draft"' in page and 'id="edit-journal"' in page
    assert 'id="post-journal"' not in page and "许静" in page  # the accountant cannot post
    assert 'data-account="6602"' in page and "1,250.00" in page
    refused = client.post(f"{entry_url}/post", data={}, follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _entry(db, "JE-0002").state == "draft"

    # Edit the draft: an unbalanced version is refused with the input kept.
    form = client.get(f"{entry_url}/edit").data.decode()
    assert 'value="1250.00"' in form and 'value="计提办公费"' in form
    bad = client.post(f"{entry_url}/edit", data={"memo": "改", "account-0": "6602",
                                                 "debit-0": "1300", "account-1": "1002",
                                                 "credit-1": "1250"})
    assert bad.status_code == 422
    assert 'value="1300"' in bad.data.decode() and "1,300.00" in bad.data.decode()
    assert _entry(db, "JE-0002").total_debit == Decimal("1250.00")
    client.post(f"{entry_url}/edit", data={"memo": "办公用品", "account-0": "6602",
                                           "debit-0": "1300", "account-1": "1002",
                                           "credit-1": "1300"})
    entry = _entry(db, "JE-0002")
    assert entry.memo == "办公用品" and entry.total_credit == Decimal("1300.00")

    _switch(client, "finance_manager")
    assert 'id="post-journal"' in client.get(entry_url).data.decode()
    client.post(f"{entry_url}/post", data={})
    entry = _entry(db, "JE-0002")
    assert entry.state == "posted" and entry.posted_by == "finance_manager"
    page = client.get(entry_url).data.decode()
    assert 'id="edit-journal"' not in page and 'id="reverse-journal"' in page
    # A posted entry is not edited.
    refused = client.post(f"{entry_url}/edit", data={"memo": "x", "account-0": "6602",
                                                     "debit-0": "1", "account-1": "1002",
                                                     "credit-1": "1"})
    assert refused.status_code == 422
    assert _entry(db, "JE-0002").memo == "办公用品"

    client.post(f"{entry_url}/reverse", data={})
    assert _entry(db, "JE-0002").state == "reversed"
    reversal = _entry(db, "JE-0003")
    assert reversal.reversal_of_id == entry.id and reversal.source_number == "JE-0002"
    page = client.get(entry_url).data.decode()
    assert 'id="reversed-by"' in page and "JE-0003" in page
    assert 'id="reverse-journal"' not in page
    page = client.get(f"/sandbox/finance/journals/{reversal.id}").data.decode()
    assert f'href="/sandbox/finance/journals/{entry.id}"' in page
    assert 'id="reverse-journal"' not in page
    again = client.post(f"/sandbox/finance/journals/{reversal.id}/reverse", data={},
                        follow_redirects=True)
    assert "alert-danger" in again.data.decode()
    assert _count(db, JournalEntry) == 3

    assert "JE-0003" in client.get("/sandbox/finance/journals?state=posted").data.decode()
    reversed_only = client.get("/sandbox/finance/journals?state=reversed").data.decode()
    assert "JE-0002" in reversed_only and "JE-0001" not in reversed_only
    assert "JE-0001" not in client.get("/sandbox/finance/journals?q=JE-0002").data.decode()


def test_bad_journal_keeps_the_input_and_explains(login_as, client, db):
    _login(login_as, client)
    unbalanced = _new_journal(client, lines=(("6602", "100", ""), ("1002", "", "90")))
    assert unbalanced.status_code == 422
    page = unbalanced.data.decode()
    assert 'value="90"' in page and 'value="计提办公费"' in page and "alert-danger" in page
    assert _new_journal(client, lines=(("9999", "100", ""), ("1002", "", "100"))
                        ).status_code == 422
    assert _new_journal(client, memo=" ").status_code == 422
    assert _new_journal(client, lines=(("6602", "abc", ""), ("1002", "", "1"))
                        ).status_code == 422
    assert _count(db, JournalEntry) == 1


def test_source_document_of_an_automatic_posting(login_as, client, db):
    _login(login_as, client)
    _switch(client, "finance_manager")
    claim = _claim(db, "EXP-0001")
    client.post(f"/sandbox/finance/expenses/{claim.id}/approve", data={"comment": "ok"})
    client.post(f"/sandbox/finance/expenses/{claim.id}/pay", data={})
    payment = _context(db).scalar(select(JournalEntry).where(
        JournalEntry.source_type == "ExpenseClaim"))
    page = client.get(f"/sandbox/finance/journals/{payment.id}").data.decode()
    assert f'href="/sandbox/finance/expenses/{claim.id}"' in page and "EXP-0001" in page
    assert 'data-state="posted"' in page
    listing = client.get("/sandbox/finance/journals?q=EXP-0001").data.decode()
    assert payment.number in listing and "JE-0001" not in listing


def test_expense_claims_submit_approve_pay(login_as, client, db):
    _login(login_as, client)
    page = client.get("/sandbox/finance/expenses").data.decode()
    assert "EXP-0001" in page and 'id="expense-form"' in page
    assert 'value="6602"' in page and 'value="1002"' not in page  # only 66xx accounts
    bad = client.post("/sandbox/finance/expenses", data={"account": "1002", "amount": "88",
                                                         "description": "打车"})
    assert bad.status_code == 422 and 'value="88"' in bad.data.decode()
    assert "打车" in bad.data.decode()
    no_text = client.post("/sandbox/finance/expenses", data={"account": "6602", "amount": "88",
                                                             "description": ""})
    assert no_text.status_code == 422
    assert _count(db, ExpenseClaim) == 1
    created = client.post("/sandbox/finance/expenses", data={"account": "6602", "amount": "88",
                                                             "description": "打车"})
    assert created.status_code == 303
    claim_url = created.location
    claim = _claim(db, "EXP-0002")
    assert claim.claimant == "accountant" and claim.amount == Decimal("88.00")
    page = client.get(claim_url).data.decode()
    assert 'data-state="submitted"' in page and 'id="approve-expense"' not in page
    assert "许静" in page
    refused = client.post(f"{claim_url}/approve", data={}, follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _claim(db, "EXP-0002").state == "submitted"

    _switch(client, "finance_manager")
    no_reason = client.post(f"{claim_url}/reject", data={"comment": ""}, follow_redirects=True)
    assert "alert-danger" in no_reason.data.decode()
    client.post(f"{claim_url}/approve", data={"comment": "同意"})
    claim = _claim(db, "EXP-0002")
    assert claim.state == "approved" and claim.approved_by == "finance_manager"
    _switch(client, "accountant")
    page = client.get(claim_url).data.decode()
    assert 'id="pay-expense"' in page and "审批人 许静：同意" in page
    assert "finance_manager" not in page
    client.post(f"{claim_url}/pay", data={})
    assert _claim(db, "EXP-0002").state == "paid"
    page = client.get(claim_url).data.decode()
    assert 'id="payment-entry"' in page and 'id="pay-expense"' not in page
    again = client.post(f"{claim_url}/pay", data={}, follow_redirects=True)
    assert "alert-danger" in again.data.decode()
    assert _context(db).scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.source_type == "ExpenseClaim")) == 1
    assert "EXP-0001" not in client.get("/sandbox/finance/expenses?state=paid").data.decode()


def test_own_claim_is_not_approved_by_its_claimant(login_as, client, db):
    _login(login_as, client)
    _switch(client, "finance_manager")
    created = client.post("/sandbox/finance/expenses", data={"account": "6601", "amount": "50",
                                                             "description": "快递"})
    refused = client.post(f"{created.location}/approve", data={}, follow_redirects=True)
    assert "alert-danger" in refused.data.decode() and "EXP-0002" in refused.data.decode()
    assert _claim(db, "EXP-0002").state == "submitted"
    _switch(client, "general_manager")
    client.post(f"{created.location}/reject", data={"comment": "无发票"})
    assert _claim(db, "EXP-0002").state == "rejected"


def test_trial_balance_and_ageing(login_as, client, db):
    _login(login_as, client)
    page = client.get("/sandbox/finance/trial-balance").data.decode()
    totals = re.search(r'id="trial-balance-totals" data-debit="([\d.]+)" data-credit="([\d.]+)"',
                       page)
    assert totals and totals.group(1) == totals.group(2) and Decimal(totals.group(1)) > 0
    assert 'data-account="1002"' in page and 'data-account="6602"' not in page
    ageing = client.get("/sandbox/finance/ageing").data.decode()
    assert 'id="receivable-ageing"' in ageing and 'id="payable-ageing"' in ageing
    assert 'data-party="C0001"' in ageing and 'data-party="S003"' in ageing
    assert "INV-2025-0087" in ageing and "BILL-2025-0051" in ageing
    assert 'data-bucket="over_90"' in ageing


def test_reports_need_the_reports_permission(login_as, client, db):
    _login(login_as, client)
    ctx = _context(db)
    ctx.persona = ctx.by_code(SbUser, "it_admin")
    role = ctx.by_code(SbRole, "accountant")
    set_role_permissions(ctx, "accountant", sorted(role.permissions - {"reports.view"}))
    db.session.commit()
    response = client.get("/sandbox/finance/trial-balance")
    assert response.status_code == 403 and 'id="reports-not-allowed"' in response.data.decode()
    assert 'id="trial-balance"' not in response.data.decode()
    response = client.get("/sandbox/finance/ageing")
    assert response.status_code == 403 and 'id="receivable-ageing"' not in response.data.decode()


def test_other_sandbox_ids_and_unknown_actions_are_404(login_as, client, create_user, db):
    other = create_user("other1")
    other_box = sandbox.provision_sandbox(other.id)
    db.session.commit()
    other_ctx = sandbox.open_context(other_box)
    foreign_entry = other_ctx.by_code(JournalEntry, "JE-0001", field="number").id
    foreign_claim = other_ctx.by_code(ExpenseClaim, "EXP-0001", field="number").id
    _login(login_as, client)
    assert client.get(f"/sandbox/finance/journals/{foreign_entry}").status_code == 404
    assert client.get(f"/sandbox/finance/journals/{foreign_entry}/edit").status_code == 404
    assert client.post(f"/sandbox/finance/journals/{foreign_entry}/reverse",
                       data={}).status_code == 404
    assert client.get(f"/sandbox/finance/expenses/{foreign_claim}").status_code == 404
    assert client.post(f"/sandbox/finance/expenses/{foreign_claim}/approve",
                       data={}).status_code == 404
    assert client.get("/sandbox/finance/journals/99999999999").status_code == 404
    assert client.get("/sandbox/finance/expenses/99999999999").status_code == 404
    own = _claim(db, "EXP-0001")
    assert client.post(f"/sandbox/finance/expenses/{own.id}/teleport",
                       data={}).status_code == 404
    assert other_ctx.by_code(ExpenseClaim, "EXP-0001", field="number").state == "submitted"


def test_trainer_view_is_read_only_but_sees_reports(login_as, client, db):
    _login(login_as, client)
    client.post("/logout", data={})
    login_as("trainer9", roles=["trainer"])
    learner = db.session.scalar(select(User).where(User.username == "acct9"))
    assert client.post(f"/sandbox/learners/{learner.id}/open", data={}).status_code == 303
    entry = _entry(db, "JE-0001")
    page = client.get(f"/sandbox/finance/journals/{entry.id}").data.decode()
    assert 'id="read-only-badge"' in page and 'id="reverse-journal"' not in page
    assert 'id="new-journal"' not in client.get("/sandbox/finance/journals").data.decode()
    assert 'id="expense-form"' not in client.get("/sandbox/finance/expenses").data.decode()
    claim = _claim(db, "EXP-0001")
    assert 'id="approve-expense"' not in client.get(
        f"/sandbox/finance/expenses/{claim.id}").data.decode()
    refused = client.post(f"/sandbox/finance/journals/{entry.id}/reverse", data={},
                          follow_redirects=True)
    assert "只读" in refused.data.decode()
    assert _new_journal(client).status_code == 422
    client.post(f"/sandbox/finance/expenses/{claim.id}/approve", data={})
    assert _entry(db, "JE-0001").state == "posted" and _count(db, JournalEntry) == 1
    assert _claim(db, "EXP-0001").state == "submitted"
    assert client.get("/sandbox/finance/trial-balance").status_code == 200
    assert 'id="payable-ageing"' in client.get("/sandbox/finance/ageing").data.decode()
