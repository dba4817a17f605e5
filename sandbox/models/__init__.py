"""Every sandbox model, imported in one place (Alembic and the isolation test see them all)."""

from sandbox.models.base import DocumentCounter, Sandbox, SandboxScoped
from sandbox.models.finance import Account, ExpenseClaim, JournalEntry, JournalLine
from sandbox.models.inventory import (
    StockCount,
    StockCountLine,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
)
from sandbox.models.master import Customer, PriceRule, Product, Supplier, Warehouse
from sandbox.models.people import SbActivity, SbParameter, SbRole, SbRolePermission, SbUser
from sandbox.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequisition,
    SupplierBill,
    SupplierPayment,
)
from sandbox.models.sales import (
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    DeliveryLine,
    SalesOrder,
    SalesOrderLine,
)

__all__ = [
    "Account", "Customer", "CustomerInvoice", "CustomerReceipt", "Delivery", "DeliveryLine",
    "DocumentCounter", "ExpenseClaim", "GoodsReceipt", "GoodsReceiptLine", "JournalEntry",
    "JournalLine", "PriceRule", "Product", "PurchaseOrder", "PurchaseOrderLine",
    "PurchaseRequisition", "SalesOrder", "SalesOrderLine", "Sandbox", "SandboxScoped",
    "SbActivity", "SbParameter", "SbRole", "SbRolePermission", "SbUser", "StockCount",
    "StockCountLine", "StockLevel", "StockMove", "Supplier", "SupplierBill", "SupplierPayment",
    "Transfer", "TransferLine", "Warehouse",
]
