"""What a sandbox user (persona) may do: permission names and the seeded roles' grants."""

from flask_babel import lazy_gettext as _l

SANDBOX_PERMISSIONS = {
    "sales.quote": _l("Create and edit quotations and sales orders"),
    "sales.approve": _l("Approve or reject sales orders"),
    "sales.deliver": _l("Deliver sales orders"),
    "sales.invoice": _l("Invoice customers"),
    "sales.receive_payment": _l("Record customer payments"),
    "purchasing.requisition": _l("Create purchase requisitions"),
    "purchasing.order": _l("Create and edit purchase orders"),
    "purchasing.approve": _l("Approve or reject purchase orders"),
    "purchasing.receive": _l("Receive goods"),
    "purchasing.bill": _l("Record supplier bills"),
    "purchasing.pay": _l("Pay suppliers"),
    "inventory.transfer": _l("Transfer stock between warehouses"),
    "inventory.count": _l("Count stock and post variances"),
    "finance.journal": _l("Create journal entries"),
    "finance.post": _l("Post and reverse journal entries"),
    "finance.expense_approve": _l("Approve expense claims"),
    "finance.expense_pay": _l("Pay expense claims"),
    "expense.submit": _l("Submit expense claims"),
    "reports.view": _l("View reports"),
    "admin.users": _l("Manage sandbox users and roles"),
    "admin.parameters": _l("Change system parameters"),
}

ROLE_GRANTS = {
    "sales_clerk": ["sales.quote", "sales.invoice", "expense.submit", "reports.view"],
    "sales_manager": ["sales.quote", "sales.approve", "sales.invoice", "expense.submit",
                      "reports.view"],
    "buyer": ["purchasing.requisition", "purchasing.order", "purchasing.bill", "expense.submit",
              "reports.view"],
    "purchasing_manager": ["purchasing.requisition", "purchasing.order", "purchasing.approve",
                           "purchasing.bill", "expense.submit", "reports.view"],
    "warehouse_keeper": ["sales.deliver", "purchasing.receive", "purchasing.requisition",
                         "inventory.transfer", "inventory.count", "expense.submit",
                         "reports.view"],
    "accountant": ["sales.invoice", "sales.receive_payment", "purchasing.bill",
                   "finance.journal", "finance.expense_pay", "expense.submit", "reports.view"],
    "finance_manager": ["sales.receive_payment", "purchasing.pay", "finance.journal",
                        "finance.post", "finance.expense_approve", "finance.expense_pay",
                        "expense.submit", "reports.view"],
    "general_manager": ["sales.approve", "purchasing.approve", "finance.expense_approve",
                        "expense.submit", "reports.view"],
    "it_admin": ["admin.users", "admin.parameters", "expense.submit", "reports.view"],
}

# The persona a learner starts as, by their portal job role.
DEFAULT_PERSONA_BY_JOB_ROLE = {
    "sales": "sales_clerk",
    "purchasing": "buyer",
    "warehouse": "warehouse_keeper",
    "finance": "accountant",
    "management": "general_manager",
    "it_support": "it_admin",
}
DEFAULT_PERSONA = "sales_clerk"
