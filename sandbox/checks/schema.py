"""What a check may name: the whitelisted document types, their fields and the fields' kinds.

Nothing a trainer writes is ever used to look up an attribute: a check names a type and
fields from the tables below, and only the columns listed here are ever queried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from sandbox.models import (
    Account,
    Customer,
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    DeliveryLine,
    ExpenseClaim,
    GoodsReceipt,
    GoodsReceiptLine,
    JournalEntry,
    JournalLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequisition,
    SalesOrder,
    SalesOrderLine,
    SbActivity,
    SbParameter,
    SbRole,
    SbRolePermission,
    SbUser,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMove,
    Supplier,
    SupplierBill,
    SupplierPayment,
    Transfer,
    TransferLine,
    Warehouse,
)

TEXT, NUMBER, DATE, DATETIME, BOOLEAN, CODE, DOCTYPE = (
    "text", "number", "date", "datetime", "boolean", "code", "document type")

OPERATORS_BY_KIND = {
    TEXT: ("eq", "ne", "in", "contains"),
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "in"),
    DATE: ("eq", "ne", "gt", "gte", "lt", "lte"),
    DATETIME: ("eq", "ne", "gt", "gte", "lt", "lte"),
    BOOLEAN: ("eq", "ne"),
    CODE: ("eq", "ne", "in"),
    DOCTYPE: ("eq", "ne", "in"),
}
ALL_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")


@dataclass(frozen=True)
class Field:
    """A field a check may name: its kind and the column (or SQL expression) behind it."""

    kind: str
    column: str | Callable  # attribute name on the model, or model -> SQL expression
    target: type | None = None  # kind "code": the related model ...
    target_code: str = "code"  # ... and the column its code is in

    def expression(self, model):
        return self.column(model) if callable(self.column) else getattr(model, self.column)


@dataclass(frozen=True)
class Children:
    """Rows that belong to a document (its lines), matched by nested conditions."""

    model: type
    parent_key: str
    fields: dict[str, Field]
    label: object  # lazy string: "a line", "a grant"
    none_label: object  # lazy string: "no line", "no grant"


@dataclass(frozen=True)
class DocumentType:
    name: str
    model: type
    label: object  # lazy string with an article: "a sales order"
    plural: object  # lazy string: "sales orders"
    fields: dict[str, Field]
    children: dict[str, Children] = field(default_factory=dict)
    # How "created after start" and "by persona" are decided; None: not available.
    created_column: str | None = None
    persona_column: str | None = None
    number_column: str | None = None  # shown in messages (SO-0004, P1010 …)


def _text(column: str) -> Field:
    return Field(TEXT, column)


def _number(column: str) -> Field:
    return Field(NUMBER, column)


def _code(column: str, target: type, target_code: str = "code") -> Field:
    return Field(CODE, column, target, target_code)


PRODUCT = _code("product_id", Product, "sku")
WAREHOUSE = _code("warehouse_id", Warehouse)


def _document_fields(**extra: Field) -> dict[str, Field]:
    return {"number": _text("number"), "state": _text("state"),
            "document_date": Field(DATE, "document_date"), "created_by": _text("created_by"),
            "created_at": Field(DATETIME, "created_at"),
            "updated_at": Field(DATETIME, "updated_at"), **extra}


def _lines(model: type, parent_key: str, **fields: Field) -> dict[str, Children]:
    return {"lines": Children(model, parent_key, fields, _l("a line"), _l("no line"))}


def _document(name, model, label, plural, fields, children=None) -> DocumentType:
    return DocumentType(name, model, label, plural, fields, children or {},
                        created_column="created_at", persona_column="created_by",
                        number_column="number")


def _master(name, model, label, plural, fields, number_column="code",
            children=None) -> DocumentType:
    return DocumentType(name, model, label, plural, fields, children or {},
                        number_column=number_column)


MONEY_FIELDS = {"net_amount": _number("net_amount"), "tax_amount": _number("tax_amount"),
                "total_amount": _number("total_amount"), "paid_amount": _number("paid_amount"),
                "due_date": Field(DATE, "due_date")}

DOCUMENT_TYPES: dict[str, DocumentType] = {t.name: t for t in [
    _document("sales_order", SalesOrder, _l("a sales order"), _l("sales orders"),
              _document_fields(customer=_code("customer_id", Customer), warehouse=WAREHOUSE,
                               approval_reasons=_text("approval_reasons"),
                               approved_by=_text("approved_by"),
                               approval_comment=_text("approval_comment")),
              _lines(SalesOrderLine, "order_id", product=PRODUCT, quantity=_number("quantity"),
                     list_price=_number("list_price"), discount_pct=_number("discount_pct"),
                     policy_discount_pct=_number("policy_discount_pct"),
                     delivered_quantity=_number("delivered_quantity"),
                     invoiced_quantity=_number("invoiced_quantity"))),
    _document("delivery", Delivery, _l("a delivery"), _l("deliveries"),
              _document_fields(order=_code("order_id", SalesOrder, "number"),
                               warehouse=WAREHOUSE),
              _lines(DeliveryLine, "delivery_id", product=PRODUCT,
                     quantity=_number("quantity"))),
    _document("customer_invoice", CustomerInvoice, _l("a customer invoice"),
              _l("customer invoices"),
              _document_fields(order=_code("order_id", SalesOrder, "number"),
                               customer=_code("customer_id", Customer), **MONEY_FIELDS)),
    _document("customer_receipt", CustomerReceipt, _l("a customer receipt"),
              _l("customer receipts"),
              _document_fields(invoice=_code("invoice_id", CustomerInvoice, "number"),
                               amount=_number("amount"))),
    _document("purchase_requisition", PurchaseRequisition, _l("a purchase requisition"),
              _l("purchase requisitions"),
              _document_fields(product=PRODUCT, quantity=_number("quantity"),
                               reason=_text("reason"))),
    _document("purchase_order", PurchaseOrder, _l("a purchase order"), _l("purchase orders"),
              _document_fields(supplier=_code("supplier_id", Supplier), warehouse=WAREHOUSE,
                               requisition=_code("requisition_id", PurchaseRequisition,
                                                 "number"),
                               approved_by=_text("approved_by"),
                               approval_comment=_text("approval_comment")),
              _lines(PurchaseOrderLine, "order_id", product=PRODUCT,
                     quantity=_number("quantity"), unit_price=_number("unit_price"),
                     received_quantity=_number("received_quantity"),
                     billed_quantity=_number("billed_quantity"))),
    _document("goods_receipt", GoodsReceipt, _l("a goods receipt"), _l("goods receipts"),
              _document_fields(order=_code("order_id", PurchaseOrder, "number"),
                               warehouse=WAREHOUSE),
              _lines(GoodsReceiptLine, "receipt_id", product=PRODUCT,
                     quantity=_number("quantity"))),
    _document("supplier_bill", SupplierBill, _l("a supplier bill"), _l("supplier bills"),
              _document_fields(order=_code("order_id", PurchaseOrder, "number"),
                               supplier=_code("supplier_id", Supplier), **MONEY_FIELDS)),
    _document("supplier_payment", SupplierPayment, _l("a supplier payment"),
              _l("supplier payments"),
              _document_fields(bill=_code("bill_id", SupplierBill, "number"),
                               amount=_number("amount"))),
    _document("transfer", Transfer, _l("a transfer"), _l("transfers"),
              _document_fields(from_warehouse=_code("from_warehouse_id", Warehouse),
                               to_warehouse=_code("to_warehouse_id", Warehouse)),
              _lines(TransferLine, "transfer_id", product=PRODUCT,
                     quantity=_number("quantity"))),
    _document("stock_count", StockCount, _l("a stock count"), _l("stock counts"),
              _document_fields(warehouse=WAREHOUSE),
              _lines(StockCountLine, "count_id", product=PRODUCT,
                     system_quantity=_number("system_quantity"),
                     counted_quantity=_number("counted_quantity"),
                     variance=Field(NUMBER, lambda m: m.counted_quantity - m.system_quantity))),
    _document("journal_entry", JournalEntry, _l("a journal entry"), _l("journal entries"),
              _document_fields(memo=_text("memo"), source_type=_text("source_type"),
                               source_number=_text("source_number"),
                               reversal_of=_code("reversal_of_id", JournalEntry, "number"),
                               posted_by=_text("posted_by")),
              _lines(JournalLine, "entry_id", account=_code("account_id", Account),
                     debit=_number("debit"), credit=_number("credit"), memo=_text("memo"))),
    _document("expense_claim", ExpenseClaim, _l("an expense claim"), _l("expense claims"),
              _document_fields(claimant=_text("claimant"),
                               expense_account=_code("expense_account_id", Account),
                               amount=_number("amount"), description=_text("description"),
                               approved_by=_text("approved_by"),
                               decision_comment=_text("decision_comment"))),
    DocumentType("stock_move", StockMove, _l("a stock move"), _l("stock moves"),
                 {"product": PRODUCT, "warehouse": WAREHOUSE, "quantity": _number("quantity"),
                  "unit_cost": _number("unit_cost"), "kind": _text("kind"),
                  "document_number": _text("document_number"), "persona": _text("persona"),
                  "created_at": Field(DATETIME, "created_at")},
                 created_column="created_at", persona_column="persona",
                 number_column="document_number"),
    _master("stock_level", StockLevel, _l("a stock level"), _l("stock levels"),
            {"product": PRODUCT, "warehouse": WAREHOUSE, "quantity": _number("quantity")},
            number_column=None),
    _master("customer", Customer, _l("a customer"), _l("customers"),
            {"code": _text("code"), "name": _text("name"), "city": _text("city"),
             "contact": _text("contact"), "phone": _text("phone"), "tier": _text("tier"),
             "credit_limit": _number("credit_limit"),
             "payment_terms_days": _number("payment_terms_days")}),
    _master("supplier", Supplier, _l("a supplier"), _l("suppliers"),
            {"code": _text("code"), "name": _text("name"), "city": _text("city"),
             "contact": _text("contact"), "phone": _text("phone"),
             "lead_time_days": _number("lead_time_days"),
             "payment_terms_days": _number("payment_terms_days"),
             "quality_score": _number("quality_score"),
             "delivery_score": _number("delivery_score"), "price_score": _number("price_score")}),
    _master("product", Product, _l("a product"), _l("products"),
            {"sku": _text("sku"), "name": _text("name"), "category": _text("category"),
             "unit": _text("unit"), "cost": _number("cost"), "list_price": _number("list_price"),
             "reorder_point": _number("reorder_point"),
             "safety_stock": _number("safety_stock")}, number_column="sku"),
    _master("warehouse", Warehouse, _l("a warehouse"), _l("warehouses"),
            {"code": _text("code"), "name": _text("name"), "city": _text("city")}),
    _master("account", Account, _l("an account"), _l("accounts"),
            {"code": _text("code"), "name": _text("name"), "kind": _text("kind")}),
    _master("parameter", SbParameter, _l("a parameter"), _l("parameters"),
            {"key": _text("key"), "value": _text("value")}, number_column="key"),
    _master("role", SbRole, _l("a role"), _l("roles"),
            {"code": _text("code"), "name": _text("name")},
            children={"grants": Children(SbRolePermission, "role_id",
                                         {"permission": _text("permission")}, _l("a grant"),
                                         _l("no grant"))}),
    _master("user", SbUser, _l("a sandbox user"), _l("sandbox users"),
            {"code": _text("code"), "name": _text("name"), "title": _text("title"),
             "job_role": _text("job_role"), "role": _code("role_id", SbRole),
             "active": Field(BOOLEAN, "active")}),
]}

# The activity log, for `activity:` checks: document_type takes a type name from above.
ACTIVITY = DocumentType(
    "activity", SbActivity, _l("a logged action"), _l("logged actions"),
    {"action": _text("action"), "persona": _text("persona"),
     "document_type": Field(DOCTYPE, "document_type"),
     "document_number": _text("document_number"), "created_at": Field(DATETIME, "created_at")},
    created_column="created_at", persona_column="persona", number_column="document_number",
)
