"""Sandbox scale: reset time, and whether 1,000 sandboxes slow one learner's pages.

    python benchmarks/sandbox_scale.py [--sandboxes 1000] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url names one —
it is erased), provisions the sandboxes, then times, for one learner: a reset, the sandbox
home and product pages, and a check evaluation when the check language is present. The same
timings are taken first with that learner's sandbox alone, so the two can be compared.
Prints a Markdown table to paste into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

import sandbox  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts import services  # noqa: E402
from lms.accounts.models import Role, User, user_roles  # noqa: E402
from lms.demo import rebuild_schema  # noqa: E402
from lms.extensions import db  # noqa: E402

REPEATS = 15


def _timed(action, repeats: int = REPEATS) -> tuple[float, float]:
    """Median and max wall time in milliseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def _make_users(count: int, start: int) -> list[int]:
    learner = db.session.scalar(select(Role).where(Role.name == "learner"))
    rows = [{"username": f"bench{n:05d}", "display_name": f"学员{n}",
             "email": f"bench{n:05d}@bench.example", "active": True}
            for n in range(start, start + count)]
    ids = [row.id for row in db.session.execute(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows)]
    db.session.execute(insert(user_roles), [{"user_id": i, "role_id": learner.id} for i in ids])
    return ids


def _measure(app, learner, label: str) -> dict[str, tuple[float, float]]:
    box = sandbox.sandbox_of(learner.id)
    results = {}

    def reset():
        sandbox.reset_sandbox(box)
        db.session.commit()

    results["reset one sandbox"] = _timed(reset)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(learner.id)
        session["_fresh"] = True
        from lms.accounts.auth import start_session

        session["sid"] = start_session(learner, "127.0.0.1")
        db.session.commit()
    def get(path):
        # A request of its own, as in production (not the benchmark's session).
        with app.app_context():
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    for path in ("/sandbox/", "/sandbox/products", "/sandbox/customers"):
        results[f"GET {path}"] = _timed(lambda p=path: get(p))
    if hasattr(sandbox, "evaluate_checks"):
        checks = [{"document": "sales_order", "where": {"customer": "C0007"},
                   "expect": "exists"},
                  {"document": "stock_level", "where": {"product": "P1010", "warehouse": "WH-SH"},
                   "expect": {"value": {"field": "quantity", "gte": 0}}}]
        ctx = sandbox.open_context(box)
        results["evaluate 2 checks"] = _timed(lambda: sandbox.evaluate_checks(ctx, checks))
    print(f"  measured with {label}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandboxes", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "TESTING": False})
    with app.app_context():
        rebuild_schema()
        services.ensure_reference_data()
        learner_id = _make_users(1, 0)[0]
        db.session.commit()
        learner = db.session.get(User, learner_id)
        sandbox.provision_sandbox(learner.id, ["sales"])
        db.session.commit()
        alone = _measure(app, learner, "1 sandbox")

        started = time.perf_counter()
        for chunk_start in range(1, args.sandboxes, 100):
            ids = _make_users(min(100, args.sandboxes - chunk_start), chunk_start)
            for user_id in ids:
                sandbox.provision_sandbox(user_id, ["sales"])
            db.session.commit()
        provision_seconds = time.perf_counter() - started
        crowded = _measure(app, learner, f"{args.sandboxes} sandboxes")
        dialect = db.engine.dialect.name

    print(f"\n{dialect}, {args.sandboxes} sandboxes (provisioned in "
          f"{provision_seconds:.0f} s, {provision_seconds / max(1, args.sandboxes - 1) * 1000:.0f}"
          f" ms each); median / max of {REPEATS} runs, ms\n")
    print(f"| operation | 1 sandbox | {args.sandboxes} sandboxes |")
    print("| --- | --- | --- |")
    for name in alone:
        a_med, a_max = alone[name]
        c_med, c_max = crowded[name]
        print(f"| {name} | {a_med:.1f} / {a_max:.1f} | {c_med:.1f} / {c_max:.1f} |")


if __name__ == "__main__":
    main()
