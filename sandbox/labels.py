"""Codes the sandbox stores, as the learner reads them: states, stock-move kinds, actions.

The codes stay what exercises and checks refer to (``state: delivered``,
``activity: sales_order.approve``); pages and refusal messages show these labels instead.
Each list exists once, here: the templates reach it through the globals the sandbox
blueprint registers (``state_label``, ``state_color``, ``move_kind_label``, ``action_label``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Lazy, but imported under the name `pybabel extract` knows, so the context is extracted too.
from flask_babel import lazy_pgettext as pgettext

STATE_LABELS = {
    "quotation": _l("Quotation"),
    "pending_approval": _l("Waiting for approval"),
    "rejected": _l("Rejected"),
    "confirmed": _l("Confirmed"),
    "partially_delivered": _l("Partially delivered"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
    "open": _l("Open"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "draft": _l("Draft"),
    "posted": _l("Posted"),
    "reversed": _l("Reversed"),
    "partially_received": _l("Partially received"),
    "received": _l("Received"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "done": _l("Done"),
    "counting": _l("Counting"),
    "ordered": _l("Ordered"),
}

# Where one document type words a state differently (keyed by model class name, as the
# activity log and stock moves store document types): the company pays a supplier bill
# (部分付款) but is paid on a customer invoice (部分收款); a requisition is open until ordered.
DOCUMENT_STATE_LABELS = {
    "SupplierBill": {"partially_paid": pgettext("supplier bill", "Partially paid")},
    "PurchaseRequisition": {"open": pgettext("purchase requisition", "Open")},
}

# Bootstrap colour of each state's badge.
STATE_COLORS = {
    "quotation": "secondary", "pending_approval": "warning", "rejected": "danger",
    "confirmed": "primary", "partially_delivered": "info", "delivered": "success",
    "cancelled": "dark", "open": "warning", "partially_paid": "info", "paid": "success",
    "draft": "secondary", "posted": "success", "reversed": "dark",
    "partially_received": "info", "received": "success", "submitted": "warning",
    "approved": "primary", "done": "success", "counting": "warning", "ordered": "primary",
}

# Kinds of stock move (sb_stock_moves.kind), as services/stock.move_stock and the seed write them.
MOVE_KIND_LABELS = {
    "opening": pgettext("stock move", "Opening balance"),
    "receipt": pgettext("stock move", "Goods receipt"),
    "delivery": pgettext("stock move", "Delivery"),
    "transfer_out": pgettext("stock move", "Transfer out"),
    "transfer_in": pgettext("stock move", "Transfer in"),
    "count_adjustment": pgettext("stock move", "Count adjustment"),
}

# Activity-log actions (sb_activity.action): what exercises name in `action:` and `activity:`.
ACTION_LABELS = {
    "sales_order.create": _l("Quotation created"),
    "sales_order.update": _l("Sales order changed"),
    "sales_order.submit": _l("Sales order submitted"),
    "sales_order.approve": _l("Sales order approved"),
    "sales_order.reject": _l("Sales order rejected"),
    "sales_order.cancel": _l("Sales order cancelled"),
    "delivery.create": _l("Goods delivered"),
    "customer_invoice.create": _l("Customer invoice issued"),
    "customer_receipt.create": _l("Customer payment recorded"),
    "purchase_requisition.create": _l("Purchase requisition created"),
    "purchase_order.create": _l("Purchase order created"),
    "purchase_order.update": _l("Purchase order changed"),
    "purchase_order.submit": _l("Purchase order submitted"),
    "purchase_order.approve": _l("Purchase order approved"),
    "purchase_order.reject": _l("Purchase order rejected"),
    "purchase_order.cancel": _l("Purchase order cancelled"),
    "goods_receipt.create": _l("Goods received"),
    "supplier_bill.create": _l("Supplier bill recorded"),
    "supplier_payment.create": _l("Supplier bill paid"),
    "transfer.create": _l("Transfer created"),
    "transfer.complete": _l("Transfer completed"),
    "transfer.cancel": _l("Transfer cancelled"),
    "stock_count.create": _l("Stock count started"),
    "stock_count.enter": _l("Counted quantities entered"),
    "stock_count.post": _l("Stock count posted"),
    "stock_count.cancel": _l("Stock count cancelled"),
    "journal_entry.create": _l("Journal entry created"),
    "journal_entry.update": _l("Journal entry changed"),
    "journal_entry.post": _l("Journal entry posted"),
    "journal_entry.reverse": _l("Journal entry reversed"),
    "expense_claim.submit": _l("Expense claim submitted"),
    "expense_claim.approve": _l("Expense claim approved"),
    "expense_claim.reject": _l("Expense claim rejected"),
    "expense_claim.pay": _l("Expense claim paid"),
    "admin.role_permissions": _l("Permissions of a role changed"),
    "admin.user_role": _l("Role of a sandbox user changed"),
    "admin.user_active": _l("Sandbox user activated or deactivated"),
    "admin.role_create": _l("Role created"),
    "admin.user_create": _l("Sandbox user created"),
    "admin.parameter": _l("System parameter changed"),
    "persona.switch": _l("Switched to another sandbox user"),
}


def state_label(state: str | None, document_type: str | None = None) -> str:
    """A document state as the learner reads it: "partially_delivered" → 部分发货.

    ``document_type`` (the model's class name, e.g. "SupplierBill") picks that document's
    wording where it differs. An unknown code is shown as it is.
    """
    label = DOCUMENT_STATE_LABELS.get(document_type or "", {}).get(state or "") \
        or STATE_LABELS.get(state or "")
    return str(label) if label is not None else (state or "")


def document_state(document) -> str:
    """The state of a document (any model with ``state``), labelled for its type."""
    return state_label(document.state, type(document).__name__)


def state_color(state: str | None) -> str:
    """The badge colour of a state (Bootstrap's name); grey for an unknown one."""
    return STATE_COLORS.get(state or "", "secondary")


def move_kind_label(kind: str | None) -> str:
    """A stock move's kind as words: "transfer_out" → 调拨出库; unknown kinds as they are."""
    label = MOVE_KIND_LABELS.get(kind or "")
    return str(label) if label is not None else (kind or "")


def action_label(action: str | None) -> str:
    """An activity-log action as words: "sales_order.submit" → 提交销售订单; else the code."""
    label = ACTION_LABELS.get(action or "")
    return str(label) if label is not None else (action or "")
