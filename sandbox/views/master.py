"""Master data pages: customers, suppliers, products with their stock."""

from collections import defaultdict

from flask import render_template, request
from sqlalchemy import or_, select

from lms.accounts.permissions import require_permission
from sandbox.models import Customer, Product, StockLevel, Supplier, Warehouse
from sandbox.views import bp, sandbox_context


def _search() -> str:
    return request.args.get("q", "").strip()[:100]


@bp.get("/customers")
@require_permission("use_sandbox")
def customers():
    ctx = sandbox_context()
    query = select(Customer).order_by(Customer.code)
    if text := _search():
        query = query.where(or_(Customer.code.contains(text), Customer.name.contains(text),
                                Customer.city.contains(text)))
    if (tier := request.args.get("tier", "")) in ("A", "B", "C"):
        query = query.where(Customer.tier == tier)
    return render_template("sandbox/customers.html", ctx=ctx, customers=ctx.scalars(query).all(),
                           q=_search(), tier=tier)


@bp.get("/suppliers")
@require_permission("use_sandbox")
def suppliers():
    ctx = sandbox_context()
    query = select(Supplier).order_by(Supplier.code)
    if text := _search():
        query = query.where(or_(Supplier.code.contains(text), Supplier.name.contains(text),
                                Supplier.city.contains(text)))
    return render_template("sandbox/suppliers.html", ctx=ctx, suppliers=ctx.scalars(query).all(),
                           q=_search())


@bp.get("/products")
@require_permission("use_sandbox")
def products():
    ctx = sandbox_context()
    query = select(Product).order_by(Product.sku)
    if text := _search():
        query = query.where(or_(Product.sku.contains(text), Product.name.contains(text)))
    categories = sorted(set(ctx.scalars(select(Product.category))))
    if (category := request.args.get("category", "")) in categories:
        query = query.where(Product.category == category)
    rows = ctx.scalars(query).all()
    warehouses = ctx.scalars(select(Warehouse).order_by(Warehouse.code)).all()
    stock: dict[int, dict[int, object]] = defaultdict(dict)
    for level in ctx.scalars(select(StockLevel)):
        stock[level.product_id][level.warehouse_id] = level.quantity
    below_only = request.args.get("below") == "1"
    if below_only:
        rows = [p for p in rows if any(q < p.reorder_point for q in stock[p.id].values())]
    return render_template("sandbox/products.html", ctx=ctx, products=rows, stock=stock,
                           warehouses=warehouses, categories=categories, category=category,
                           q=_search(), below_only=below_only)
