"""screenshots.yml is validated entry by entry; capture_screenshots takes real PNGs of the
sandbox with Debian's Chromium."""

from __future__ import annotations

import os
import struct
import textwrap
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

import sandbox
from lms import create_app
from lms.accounts import services as account_services
from lms.accounts.auth import UserSession
from lms.demo import seed_demo_company
from lms.extensions import db
from lms.publishing.screenshots import (
    CHROMIUM,
    ScreenshotError,
    ScreenshotSpec,
    capture_screenshots,
    read_screenshot_specs,
)
from tests.conftest import make_test_config

GOOD = """\
# pictures of the sales chapter
- file: images/sales-order-list.png
  persona: sales_clerk
  path: /sandbox/sales/orders
  element: "main"
- file: ./home.png
  persona: sales_manager
  path: /sandbox/
  width: 1024
  height: 700
"""


def write_specs(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screenshots.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_reads_a_good_file_with_defaults(tmp_path):
    specs = read_screenshot_specs(write_specs(tmp_path / "manual", GOOD))
    assert specs == [
        ScreenshotSpec(file="images/sales-order-list.png", persona="sales_clerk",
                       path="/sandbox/sales/orders", element="main", width=1280, height=800),
        ScreenshotSpec(file="home.png", persona="sales_manager", path="/sandbox/",
                       element=None, width=1024, height=700),
    ]


def test_no_file_or_an_empty_file_means_no_screenshots(tmp_path):
    assert read_screenshot_specs(tmp_path) == []
    assert read_screenshot_specs(write_specs(tmp_path, "# nothing yet\n")) == []


ENTRY = "- file: a.png\n  persona: sales_clerk\n  path: /sandbox/\n"


@pytest.mark.parametrize(("text", "expected"), [
    (ENTRY + "  colour: red\n", ":4: entry 1: unknown key 'colour'"),
    ("- file: ../x.png\n  persona: sales_clerk\n  path: /sandbox/\n",
     ":1: entry 1: file: '../x.png' leaves the manual folder"),
    ("- file: /tmp/x.png\n  persona: sales_clerk\n  path: /sandbox/\n",
     "must be relative to the manual folder"),
    (ENTRY + "- file: images/list.jpg\n  persona: sales_clerk\n  path: /sandbox/\n",
     ":4: entry 2: file: 'images/list.jpg' must be a .png file"),
    ("- file: a.png\n  persona: sales_clerk\n  path: /admin/users\n",
     ":3: entry 1: path: '/admin/users' is not a page of the sandbox"),
    ("- file: a.png\n  persona: sales_clerk\n  path: /sandbox/../admin\n",
     "is not a plain page path"),
    ("- file: a.png\n  persona: Sales Clerk!\n  path: /sandbox/\n",
     ":2: entry 1: persona: 'Sales Clerk!' is not a sandbox persona code"),
    ("- file: a.png\n  path: /sandbox/\n", "entry 1: missing persona"),
    (ENTRY + "  width: wide\n", ":4: entry 1: width: 'wide' is not a whole number of pixels"),
    (ENTRY + "  height: 100000\n", "height: 100000 is not a whole number"),
    (ENTRY + "  element: ''\n", "element: expected a CSS selector"),
    (ENTRY + ENTRY, ":4: entry 2: file 'a.png' is already written by the entry on line 1"),
    (ENTRY + "  persona: buyer\n", ":4: entry 1: key 'persona' appears twice"),
    ("- just a string\n", ":1: entry 1: expected a mapping"),
    ("file: a.png\n", ":1: expected a list of entries"),
    ("- file: a.png\n  persona: [sales_clerk\n  path: /sandbox/\n", ":3: YAML syntax error"),
])
def test_bad_entries_are_refused_with_line_and_reason(tmp_path, text, expected):
    folder = write_specs(tmp_path / "manual", text)
    with pytest.raises(ScreenshotError) as caught:
        read_screenshot_specs(folder)
    message = str(caught.value)
    assert message.startswith(str(folder / "screenshots.yml")), message
    assert expected in message


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = write_specs(tmp_path / "manual", "- {file: out/a.png, persona: buyer, "
                                              "path: /sandbox/}\n")
    (tmp_path / "elsewhere").mkdir()
    (folder / "out").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ScreenshotError, match="leaves the manual folder"):
        read_screenshot_specs(folder)


# --- a real capture ---------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (and Pillow's own check where it is installed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    try:
        from PIL import Image
    except ImportError:
        return width, height
    with Image.open(path) as image:
        image.verify()
        assert image.size == (width, height)
    return width, height


@pytest.fixture(scope="module")
def demo_app(fresh_database_url, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    app = create_app(make_test_config(fresh_database_url("screenshots")),
                     instance_path=str(tmp_path_factory.mktemp("screenshots-instance")))
    with app.app_context():
        upgrade()
        seed_demo_company(manual_pdfs=False)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.browser
@pytest.mark.own_database
def test_captures_element_and_viewport_then_refuses_a_missing_page(demo_app, tmp_path):
    folder = write_specs(tmp_path / "manual", """\
        - file: images/sales-order-list.png
          persona: sales_manager
          path: /sandbox/sales/orders
          element: "main table"
        - file: images/home.png
          persona: buyer
          path: /sandbox/
        - file: images/missing.png
          persona: buyer
          path: /sandbox/no-such-page
        """)
    lines: list[str] = []
    written = capture_screenshots(demo_app, folder, progress=lines.append,
                                  only=["images/sales-order-list.png", "images/home.png"])

    table, home = folder / "images/sales-order-list.png", folder / "images/home.png"
    assert written == [table, home]
    assert png_size(home) == (1280, 800)
    width, height = png_size(table)
    assert width <= 1280 and height < 800 and (width, height) != (1280, 800)
    assert len(lines) == 2 and "images/home.png (/sandbox/ as buyer)" in lines[1]
    assert not list(folder.rglob("*.tmp"))
    with demo_app.app_context():
        trainer = account_services.find_user("trainer")
        box = sandbox.sandbox_of(trainer.id)
        # Back to the trainer's own persona and language, and the sandbox as seeded.
        assert box.current_persona == "sales_clerk"
        assert trainer.locale is None
        assert sandbox.describe_sandbox(box).counts["activities"] == 0
        # The run signed out: no portal session of the trainer's is left open.
        assert db.session.scalar(select(func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == trainer.id)) == 0
        db.session.remove()

    before = home.read_bytes()
    with pytest.raises(ScreenshotError) as caught:
        capture_screenshots(demo_app, folder, progress=lines.append)
    message = str(caught.value)
    assert "images/missing.png (/sandbox/no-such-page as buyer)" in message
    assert "404" in message
    assert home.read_bytes() == before or png_size(home) == (1280, 800)
    assert not (folder / "images/missing.png").exists()


@pytest.mark.browser
@pytest.mark.own_database
def test_an_unknown_persona_is_named(demo_app, tmp_path):
    folder = write_specs(tmp_path / "manual",
                         "- {file: a.png, persona: chief_wizard, path: /sandbox/}\n")
    with pytest.raises(ScreenshotError, match=r"a\.png .*'chief_wizard' is not a sandbox "
                                              r"persona \(one of sales_clerk, "):
        capture_screenshots(demo_app, folder, progress=lambda _line: None)
