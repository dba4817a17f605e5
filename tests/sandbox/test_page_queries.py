"""SQL statements per sandbox page do not grow with the number of documents."""

import sandbox
from sandbox.services import sales


def _count(client, count_queries, path):
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_sales_order_list_is_constant_in_orders(login_as, client, db, count_queries):
    user = login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    few = _count(client, count_queries, "/sandbox/sales/orders")
    from sqlalchemy import select

    from lms.accounts.models import User

    owner = db.session.scalar(select(User).where(User.username == "sales9"))
    ctx = sandbox.open_context(sandbox.sandbox_of(owner.id))
    for number in range(10):
        sales.create_order(ctx, f"C00{10 + number}", [("P1001", 1 + number, None)])
    db.session.commit()
    many = _count(client, count_queries, "/sandbox/sales/orders")
    assert many == few
    assert user is client


def test_sandbox_home_and_products_query_counts(login_as, client, count_queries):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    # session user (4), sandbox and persona (3), personas, summary counts and lists (12)
    assert _count(client, count_queries, "/sandbox/") == 20
    assert _count(client, count_queries, "/sandbox/products") == 11
