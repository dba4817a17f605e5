"""Manual fixtures: a manual folder written from a dict, published as `lms manuals publish`
does (without the PDF unless a test asks for it: rendering one costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lms.extensions import db as database
from lms.publishing.publish import publish_from_folder

SALES = """# 销售管理

销售模块处理报价、销售订单、发货和开票。

## 销售订单审批

订单金额超过客户剩余信用额度时，订单进入待审批状态，由销售经理审批。

## 发货

确认后的订单可以发货，库存不足时不能发货。[见采购收货](purchasing.md#收货)
"""

PURCHASING = """# 采购管理

## 采购订单

采购订单金额超过两万元需要审批。

## 收货

收货后库存增加。![收货单](images/receipt.png)

| 状态 | 含义 |
| --- | --- |
| 草稿 | 尚未提交 |
"""

# The smallest valid PNG (1x1, transparent).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def write_manual(folder: Path, chapters: dict[str, str] | None = None, *,
                 code: str = "erp-test", images: dict[str, bytes] | None = None,
                 **settings) -> Path:
    """A manual folder ``folder/code`` with ``chapters`` ({file name: Markdown})."""
    chapters = chapters if chapters is not None else {"sales.md": SALES,
                                                      "purchasing.md": PURCHASING}
    images = images if images is not None else {"images/receipt.png": PNG}
    target = folder / code
    target.mkdir(parents=True, exist_ok=True)
    data = {"code": code, "title": "ERP 测试手册", "summary": "测试用的手册。",
            "language": "zh-CN", "access": "public", "job_roles": [],
            "chapters": list(chapters), **settings}
    (target / "manual.yml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                       encoding="utf-8")
    for name, text in chapters.items():
        (target / name).write_text(text, encoding="utf-8")
    for name, content in images.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(content)
    return target


@pytest.fixture
def publish_manual(db, tmp_path):
    """Publish a manual folder (written from the arguments) as ``version``; commits."""
    counter = iter(range(1, 1000))

    def publish(version: str = "1.0", chapters: dict[str, str] | None = None, *,
                notes: str = "", with_pdf: bool = False, **settings):
        folder = write_manual(tmp_path / f"src{next(counter)}", chapters, **settings)
        row = publish_from_folder(folder, version, notes, publisher=None, with_pdf=with_pdf)
        database.session.commit()
        return row

    return publish
