"""`lms manuals publish|list|export` on real folders."""

from __future__ import annotations

import pytest

from lms.extensions import db as database
from lms.publishing import services
from tests.publishing.conftest import SALES, write_manual

pytestmark = pytest.mark.usefixtures("english_messages")


def test_publish_list_and_export(runner, db, tmp_path):
    write_manual(tmp_path)
    result = runner.invoke(args=["manuals", "publish", "erp-test", "1.0", "--path",
                                 str(tmp_path), "--notes", "首次发布", "--publisher", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output
    # The PDF is left to the PDF tests: here the folder has no font problems to find.
    db.session.rollback()
    result = runner.invoke(args=["manuals", "publish", "erp-test", "1.0", "--path",
                                 str(tmp_path), "--notes", "首次发布"])
    assert result.exit_code == 0, result.output
    assert "erp-test 1.0 published: 2 chapters, PDF" in result.output
    again = runner.invoke(args=["manuals", "publish", "erp-test", "1.1", "--path",
                                str(tmp_path)])
    assert again.exit_code == 1 and "Nothing changed since version 1.0" in again.output
    listing = runner.invoke(args=["manuals", "list"])
    assert "erp-test\tERP 测试手册\t1.0" in listing.output
    exported = runner.invoke(args=["manuals", "export", "erp-test", str(tmp_path / "out")])
    assert exported.exit_code == 0
    assert (tmp_path / "out" / "erp-test" / "sales.md").read_text(encoding="utf-8") == SALES
    assert services.manual_by_code("erp-test").latest_version.version == "1.0"
    database.session.rollback()


def test_publish_reports_every_problem_of_a_folder(runner, db, tmp_path):
    write_manual(tmp_path, {"sales.md": "没有标题\n"}, access="nobody")
    result = runner.invoke(args=["manuals", "publish", "erp-test", "1.0", "--path",
                                 str(tmp_path)])
    assert result.exit_code == 1
    assert "sales.md:1: a chapter starts with a '# title' heading" in result.output
    assert "access must be one of" in result.output
    assert services.manual_by_code("erp-test") is None
    missing = runner.invoke(args=["manuals", "publish", "nothing", "1.0", "--path",
                                  str(tmp_path)])
    assert missing.exit_code == 1 and "manual.yml not found" in missing.output
    bad_number = runner.invoke(args=["manuals", "publish", "erp-test", "one", "--path",
                                     str(tmp_path), "--from-draft"])
    assert bad_number.exit_code == 1 and "no manual with the code" in bad_number.output


def test_screenshots_command_reports_a_bad_list(runner, db, tmp_path):
    folder = write_manual(tmp_path)
    (folder / "screenshots.yml").write_text(
        "- file: ../outside.png\n  persona: sales_clerk\n  path: /sandbox/\n", encoding="utf-8")
    result = runner.invoke(args=["manuals", "screenshots", "erp-test", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "screenshots.yml:1" in result.output and "outside.png" in result.output
    missing = runner.invoke(args=["manuals", "screenshots", "nothing", "--path", str(tmp_path)])
    assert missing.exit_code == 1 and "manual.yml not found" in missing.output
