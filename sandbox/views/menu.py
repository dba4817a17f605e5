"""The sandbox's menu: one group per module; entries appear once their page exists."""

from flask import current_app
from flask_babel import lazy_gettext as _l

MENU = [
    (_l("Sales"), [
        ("sandbox.sales_orders", _l("Sales orders")),
        ("sandbox.customer_invoices", _l("Customer invoices")),
    ]),
    (_l("Purchasing"), [
        ("sandbox.purchase_requisitions", _l("Purchase requisitions")),
        ("sandbox.purchase_orders", _l("Purchase orders")),
        ("sandbox.supplier_bills", _l("Supplier bills")),
    ]),
    (_l("Inventory"), [
        ("sandbox.products", _l("Products and stock")),
        ("sandbox.reorder_alerts", _l("Reorder alerts")),
        ("sandbox.transfers", _l("Transfers")),
        ("sandbox.stock_counts", _l("Stock counts")),
        ("sandbox.stock_moves", _l("Stock moves")),
    ]),
    (_l("Finance"), [
        ("sandbox.journal_entries", _l("Journal entries")),
        ("sandbox.expense_claims", _l("Expense claims")),
        ("sandbox.trial_balance", _l("Trial balance")),
        ("sandbox.ageing", _l("Receivable and payable ageing")),
    ]),
    (_l("Master data"), [
        ("sandbox.customers", _l("Customers")),
        ("sandbox.suppliers", _l("Suppliers")),
        ("sandbox.products", _l("Products and stock")),
    ]),
    (_l("Administration"), [
        ("sandbox.admin_users", _l("Users and roles")),
        ("sandbox.parameters", _l("System parameters")),
        ("sandbox.activity", _l("Activity log")),
    ]),
]


def visible_menu():
    """The menu groups with only the entries whose pages exist."""
    groups = []
    for label, entries in MENU:
        present = [(endpoint, text) for endpoint, text in entries
                   if endpoint in current_app.view_functions]
        if present:
            groups.append((label, present))
    return groups
