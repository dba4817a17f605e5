"""Manual search: how long a query takes in a large manual version, on SQLite or PostgreSQL.

    python benchmarks/manual_search.py [--chapters 60] [--sections 40] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url names one — it
is erased), publishes one manual version of CHAPTERS chapters with SECTIONS sections each
(Chinese paragraphs of about 300 characters; without the PDF, which search does not use),
then times searches through the app for two-character, four-character, two-term, Latin and
absent terms. Prints a Markdown table to paste into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app  # noqa: E402
from lms.demo import rebuild_schema  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.publishing import publish, services  # noqa: E402
from lms.publishing.search import search_version  # noqa: E402
from lms.publishing.source import ChapterSource, ManualSource  # noqa: E402

REPEATS = 15
WORDS = ["销售订单", "采购申请", "审批", "库存", "发货单", "应收账款", "凭证", "盘点", "调拨",
         "供应商", "客户", "信用额度", "入库", "出库", "结账", "报表"]
QUERIES = ["审批", "信用额度", "库存 审批", "SO-0042", "不存在的词语"]


def _paragraph(seed: int) -> str:
    words = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(40)]
    return "在系统中处理" + "，然后".join(words) + f"。单号 SO-{seed % 100:04d}。"


def _manual(chapters: int, sections: int) -> ManualSource:
    files = []
    for c in range(chapters):
        parts = [f"# 第 {c + 1} 章 模块说明\n"]
        for s in range(sections):
            parts.append(f"## {c + 1}.{s + 1} {WORDS[(c + s) % len(WORDS)]}的处理\n\n"
                         f"{_paragraph(c * sections + s)}\n")
        files.append(ChapterSource(f"chapter-{c + 1}.md", "\n".join(parts)))
    return ManualSource(code="bench-manual", title="基准测试手册", access="public",
                        chapters=files)


def _timed(action) -> tuple[float, float]:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=60)
    parser.add_argument("--sections", type=int, default=40)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="praxis-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "TESTING": False})
    with app.app_context():
        rebuild_schema()
        started = time.perf_counter()
        manual = services.create_manual("bench-manual", "基准测试手册")
        services.load_draft(manual, _manual(args.chapters, args.sections))
        version = publish.publish_version(manual, "1.0", publisher=None, with_pdf=False)
        db.session.commit()
        publish_ms = (time.perf_counter() - started) * 1000
        sections = args.chapters * (args.sections + 1)
        print(f"{db.engine.dialect.name}: {args.chapters} chapters, {sections} sections, "
              f"published (render + index, no PDF) in {publish_ms:.0f} ms\n")
        client = app.test_client()
        print("| query | hits | median / max ms |\n| --- | --- | --- |")
        for query in QUERIES:
            response = client.get(f"/manuals/bench-manual/{version.version}/search",
                                  query_string={"q": query})
            assert response.status_code == 200, response.status_code
            total = search_version(version.id, query, limit=1)[1]
            median, worst = _timed(lambda q=query: client.get(
                f"/manuals/bench-manual/{version.version}/search", query_string={"q": q}))
            print(f"| `{query}` | {total} | {median:.1f} / {worst:.1f} |")


if __name__ == "__main__":
    main()
