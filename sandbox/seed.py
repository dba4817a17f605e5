"""Filling a sandbox with the training company (``seed_data``), fast enough to reset often.

Rows go in with one multi-row INSERT … RETURNING per table; dates in the seed are moved so
that the seed's "today" is the day of the reset, keeping due dates and ageing meaningful.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert

from lms.database import utcnow
from lms.extensions import db
from sandbox import seed_data as data
from sandbox.models import (
    Account,
    Customer,
    CustomerInvoice,
    ExpenseClaim,
    JournalEntry,
    JournalLine,
    PriceRule,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    SbParameter,
    SbRole,
    SbRolePermission,
    SbUser,
    StockLevel,
    StockMove,
    Supplier,
    SupplierBill,
    Warehouse,
)
from sandbox.models.base import DocumentCounter
from sandbox.permissions import ROLE_GRANTS
from sandbox.pricing import policy_for

COMPANY_ZONE = ZoneInfo("Asia/Shanghai")
VAT = Decimal(data.PARAMETERS["vat_rate"]) / 100
CENT = Decimal("0.01")


def sandbox_tables():
    """Every sandbox table, children before parents (the order to delete in)."""
    return [t for t in reversed(db.metadata.sorted_tables)
            if "sandbox_id" in t.c and t.name.startswith("sb_")]


def clear(sandbox_id: int) -> None:
    for table in sandbox_tables():
        db.session.execute(delete(table).where(table.c.sandbox_id == sandbox_id))


class _Seeder:
    def __init__(self, sandbox_id: int, today: date) -> None:
        self.sandbox_id = sandbox_id
        self.shift = today - date.fromisoformat(data.SEED_TODAY)
        # Seeded documents were made "before" the sandbox existed: the morning of its day,
        # or a moment ago for a reset before eight — never in the future.
        morning = datetime.combine(today, time(8, 0), COMPANY_ZONE).astimezone(UTC)
        self.seeded_at = min(morning, utcnow() - timedelta(seconds=1))
        self.today = today

    def day(self, iso: str) -> date:
        return date.fromisoformat(iso) + self.shift

    def insert(self, model, rows: list[dict], key: str | None = None) -> dict:
        """Insert rows for this sandbox; return {key value: id} when ``key`` is given."""
        if not rows:
            return {}
        for row in rows:
            row["sandbox_id"] = self.sandbox_id
        if key is None:
            db.session.execute(insert(model), rows)
            return {}
        result = db.session.execute(
            insert(model).returning(model.id, getattr(model, key), sort_by_parameter_order=True),
            rows,
        )
        return {row_key: row_id for row_id, row_key in result}

    def document(self, number: str, state: str, creator: str, iso_day: str | None = None):
        return {"number": number, "state": state, "created_by": creator,
                "document_date": self.day(iso_day) if iso_day else self.today,
                "created_at": self.seeded_at, "updated_at": self.seeded_at}

    def run(self) -> None:
        self.people()
        self.master_data()
        self.stock()
        self.ledger()
        self.open_documents()

    def people(self) -> None:
        self.insert(SbParameter, [{"key": k, "value": v} for k, v in data.PARAMETERS.items()])
        roles = self.insert(SbRole, [{"code": c, "name": n} for c, n in data.ROLES], key="code")
        self.insert(SbRolePermission, [{"role_id": roles[code], "permission": permission}
                                       for code, grants in ROLE_GRANTS.items()
                                       for permission in grants])
        self.insert(SbUser, [{"code": code, "name": name, "title": title, "job_role": job,
                              "role_id": roles[role], "active": True}
                             for code, name, title, job, role in data.USERS])

    def master_data(self) -> None:
        self.warehouses = self.insert(Warehouse, [
            {"code": c, "name": n, "city": city} for c, n, city in data.WAREHOUSES], key="code")
        self.customers = self.insert(Customer, [
            {"code": c, "name": n, "city": city, "contact": person, "phone": phone, "tier": tier,
             "credit_limit": limit, "payment_terms_days": terms}
            for c, n, city, person, phone, tier, limit, terms in data.CUSTOMERS], key="code")
        self.suppliers = self.insert(Supplier, [
            {"code": c, "name": n, "city": city, "contact": person, "phone": phone,
             "lead_time_days": lead, "payment_terms_days": terms, "quality_score": q,
             "delivery_score": d, "price_score": p}
            for c, n, city, person, phone, lead, terms, q, d, p in data.SUPPLIERS], key="code")
        self.products = self.insert(Product, [
            {"sku": sku, "name": n, "category": cat, "unit": unit, "cost": cost,
             "list_price": price, "reorder_point": reorder, "safety_stock": safety}
            for sku, n, cat, unit, cost, price, reorder, safety in data.PRODUCTS], key="sku")
        self.product_rows = {row[0]: row for row in data.PRODUCTS}
        self.insert(PriceRule, [
            {"tier": tier, "category": cat, "min_quantity": qty, "discount_pct": pct,
             "max_extra_discount_pct": extra, "product_id": None}
            for tier, cat, qty, pct, extra in data.PRICE_RULES])

    def stock(self) -> None:
        self.insert(StockLevel, [
            {"product_id": self.products[sku], "warehouse_id": self.warehouses[wh],
             "quantity": qty} for sku, wh, qty in data.OPENING_STOCK])
        self.insert(StockMove, [
            {"product_id": self.products[sku], "warehouse_id": self.warehouses[wh],
             "quantity": qty, "unit_cost": self.product_rows[sku][4], "kind": "opening",
             "document_type": None, "document_id": None, "document_number": "期初",
             "persona": "system", "created_at": self.seeded_at}
            for sku, wh, qty in data.OPENING_STOCK])

    def ledger(self) -> None:
        self.accounts = self.insert(Account, [{"code": c, "name": n, "kind": k}
                                              for c, n, k in data.ACCOUNTS], key="code")
        invoices = []
        for number, customer, day, net in data.OPEN_INVOICES:
            tax = (net * VAT).quantize(CENT)
            terms = next(c[7] for c in data.CUSTOMERS if c[0] == customer)
            invoices.append({**self.document(number, "open", "accountant", day),
                             "customer_id": self.customers[customer], "order_id": None,
                             "due_date": self.day(day) + timedelta(days=terms),
                             "net_amount": net, "tax_amount": tax, "total_amount": net + tax,
                             "paid_amount": Decimal("0.00")})
        self.insert(CustomerInvoice, invoices)
        bills = []
        for number, supplier, day, net in data.OPEN_BILLS:
            tax = (net * VAT).quantize(CENT)
            terms = next(s[6] for s in data.SUPPLIERS if s[0] == supplier)
            bills.append({**self.document(number, "open", "accountant", day),
                          "supplier_id": self.suppliers[supplier], "order_id": None,
                          "due_date": self.day(day) + timedelta(days=terms),
                          "net_amount": net, "tax_amount": tax, "total_amount": net + tax,
                          "paid_amount": Decimal("0.00")})
        self.insert(SupplierBill, bills)

        receivable = sum((row["total_amount"] for row in invoices), Decimal("0"))
        payable = sum((row["total_amount"] for row in bills), Decimal("0"))
        stock_value = sum((qty * self.product_rows[sku][4] for sku, _wh, qty
                           in data.OPENING_STOCK), Decimal("0")).quantize(CENT)
        debits = [("1001", data.CASH_ON_HAND), ("1002", data.BANK_BALANCE),
                  ("1122", receivable), ("1405", stock_value), ("1601", data.FIXED_ASSETS)]
        capital = sum((amount for _code, amount in debits), Decimal("0")) - payable
        entry = self.insert(JournalEntry, [{
            **self.document("JE-0001", "posted", "finance_manager"), "memo": "期初余额",
            "source_type": None, "source_id": None, "source_number": None,
            "reversal_of_id": None, "posted_by": "finance_manager"}], key="number")
        lines = [{"entry_id": entry["JE-0001"], "account_id": self.accounts[code],
                  "debit": amount, "credit": Decimal("0.00"), "memo": "期初余额"}
                 for code, amount in debits]
        lines += [{"entry_id": entry["JE-0001"], "account_id": self.accounts[code],
                   "debit": Decimal("0.00"), "credit": amount, "memo": "期初余额"}
                  for code, amount in (("2202", payable), ("4001", capital))]
        self.insert(JournalLine, lines)

    def open_documents(self) -> None:
        rules = [PriceRule(tier=t, category=c, min_quantity=q, discount_pct=p,
                           max_extra_discount_pct=e) for t, c, q, p, e in data.PRICE_RULES]
        tiers = {c[0]: c[5] for c in data.CUSTOMERS}
        orders = self.insert(SalesOrder, [
            {**self.document(number, state, creator), "customer_id": self.customers[customer],
             "warehouse_id": self.warehouses["WH-SH"],
             "approval_reasons": "credit" if state == "pending_approval" else None,
             "approved_by": None, "approval_comment": None}
            for number, state, customer, creator, _lines in data.OPEN_SALES_ORDERS], key="number")
        order_lines = []
        for number, _state, customer, _creator, lines in data.OPEN_SALES_ORDERS:
            for sku, quantity, discount in lines:
                row = self.product_rows[sku]
                policy, _extra = policy_for(rules, tiers[customer], row[2], quantity)
                order_lines.append({
                    "order_id": orders[number], "product_id": self.products[sku],
                    "quantity": quantity, "list_price": row[5], "policy_discount_pct": policy,
                    "discount_pct": discount, "delivered_quantity": Decimal("0"),
                    "invoiced_quantity": Decimal("0")})
        self.insert(SalesOrderLine, order_lines)

        purchases = self.insert(PurchaseOrder, [
            {**self.document(number, state, creator), "supplier_id": self.suppliers[supplier],
             "warehouse_id": self.warehouses["WH-SH"], "requisition_id": None,
             "approved_by": None, "approval_comment": None}
            for number, state, supplier, creator, _lines in data.OPEN_PURCHASE_ORDERS],
            key="number")
        self.insert(PurchaseOrderLine, [
            {"order_id": purchases[number], "product_id": self.products[sku],
             "quantity": quantity, "unit_price": price, "received_quantity": Decimal("0"),
             "billed_quantity": Decimal("0")}
            for number, _state, _supplier, _creator, lines in data.OPEN_PURCHASE_ORDERS
            for sku, quantity, price in lines])
        self.insert(ExpenseClaim, [
            {**self.document(number, "submitted", claimant), "claimant": claimant,
             "expense_account_id": self.accounts[account], "amount": amount,
             "description": text, "approved_by": None, "decision_comment": None}
            for number, claimant, account, amount, text in data.OPEN_EXPENSE_CLAIMS])
        self.insert(DocumentCounter, [
            {"prefix": "SO", "last_number": len(data.OPEN_SALES_ORDERS)},
            {"prefix": "PO", "last_number": len(data.OPEN_PURCHASE_ORDERS)},
            {"prefix": "EXP", "last_number": len(data.OPEN_EXPENSE_CLAIMS)},
            {"prefix": "JE", "last_number": 1},
        ])


def seed(sandbox_id: int, today: date) -> None:
    """Insert the training company into an empty sandbox."""
    _Seeder(sandbox_id, today).run()


def company_today() -> date:
    return datetime.now(COMPANY_ZONE).date()


