"""Screenshots of the sandbox ERP for the operation manuals, re-captured from the live UI.

A manual folder may hold ``screenshots.yml``: a list of entries naming an image file in the
folder, the sandbox persona to act as and the ``/sandbox/`` page to show (optionally a CSS
selector to frame, and the viewport size). ``capture_screenshots`` serves the portal on a
loopback port, signs in through the login page with Debian's Chromium (Playwright), and writes
one PNG per entry, so a new version of the ERP gets new pictures without anyone taking them by
hand. ``lms manuals screenshots CODE`` calls it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml
from werkzeug.serving import make_server

import sandbox
from lms.accounts import services as account_services
from lms.config import SUPPORTED_LOCALES
from lms.demo import DEMO_PASSWORD
from lms.extensions import db

SPEC_FILE = "screenshots.yml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MAX_SCREENSHOTS = 60
PAGE_TIMEOUT_MS = 20_000
MAX_SPEC_BYTES = 256 * 1024
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1280, 800
WIDTH_RANGE, HEIGHT_RANGE = (320, 3840), (200, 4000)
REQUIRED_KEYS = ("file", "persona", "path")
KNOWN_KEYS = (*REQUIRED_KEYS, "element", "width", "height")
# The sandbox does not export its persona list: the format is checked here, the code itself
# when capturing (against the persona switcher's choices).
PERSONA_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
PAGE_PATH_PATTERN = re.compile(r"^/sandbox/[A-Za-z0-9_./?&=%+,;:~-]*$")


class ScreenshotError(Exception):
    """A bad ``screenshots.yml`` entry or a failed capture; the message names which and why."""


@dataclass(frozen=True)
class ScreenshotSpec:
    file: str
    persona: str
    path: str
    element: str | None
    width: int
    height: int

    def describe(self) -> str:
        return f"{self.file} ({self.path} as {self.persona})"


# --- reading screenshots.yml ----------------------------------------------------------------


def read_screenshot_specs(manual_dir: Path) -> list[ScreenshotSpec]:
    """The entries of ``manual_dir/screenshots.yml``, validated; ``[]`` if there is none.

    Raises ``ScreenshotError`` naming ``screenshots.yml:<line>`` and the reason for the first
    bad entry: not a mapping, an unknown or missing key, a file outside the folder or not a
    ``.png``, a page outside ``/sandbox/``, a malformed persona code or a bad size.
    """
    manual_dir = Path(manual_dir)
    spec_path = manual_dir / SPEC_FILE
    if not spec_path.is_file():
        return []
    if spec_path.stat().st_size > MAX_SPEC_BYTES:
        raise ScreenshotError(f"{spec_path}: larger than {MAX_SPEC_BYTES // 1024} KB")
    try:
        text = spec_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScreenshotError(f"{spec_path}: not UTF-8 text ({error.reason})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{spec_path}:{mark.line + 1}" if mark else str(spec_path)
        column = f" (column {mark.column + 1})" if mark else ""
        reason = error.problem or error.context or "not valid YAML"
        raise ScreenshotError(f"{where}: YAML syntax error: {reason}{column}") from None
    except yaml.YAMLError as error:
        raise ScreenshotError(f"{spec_path}: YAML syntax error: {error}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise ScreenshotError(f"{spec_path}:1: expected a list of entries (- file: …), "
                              f"found {type(data).__name__}")
    specs: list[ScreenshotSpec] = []
    first_line: dict[str, int] = {}
    for index, (entry, node) in enumerate(zip(data, root.value, strict=False), start=1):
        line = node.start_mark.line + 1
        spec = _spec_from_entry(entry, node, manual_dir, _Where(spec_path, index, line))
        if spec.file in first_line:
            raise ScreenshotError(f"{spec_path}:{line}: entry {index}: file {spec.file!r} is "
                                  f"already written by the entry on line "
                                  f"{first_line[spec.file]}")
        first_line[spec.file] = line
        specs.append(spec)
    return specs


@dataclass
class _Where:
    spec_path: Path
    index: int
    line: int

    def error(self, reason: str, line: int | None = None) -> ScreenshotError:
        return ScreenshotError(f"{self.spec_path}:{line or self.line}: entry {self.index}: "
                               f"{reason}")


def _spec_from_entry(entry, node, manual_dir: Path, where: _Where) -> ScreenshotSpec:
    if not isinstance(entry, dict) or not isinstance(node, yaml.MappingNode):
        raise where.error("expected a mapping with file, persona and path")
    key_lines: dict[str, int] = {}
    for key_node, _value_node in node.value:
        key = key_node.value
        if key in key_lines:
            raise where.error(f"key {key!r} appears twice", key_node.start_mark.line + 1)
        key_lines[key] = key_node.start_mark.line + 1
    for key in entry:
        if key not in KNOWN_KEYS:
            raise where.error(f"unknown key {key!r} (known: {', '.join(KNOWN_KEYS)})",
                              key_lines.get(str(key)))
    missing = [key for key in REQUIRED_KEYS if entry.get(key) in (None, "")]
    if missing:
        raise where.error(f"missing {', '.join(missing)}")

    def fail(key: str, reason: str) -> ScreenshotError:
        return where.error(f"{key}: {reason}", key_lines.get(key))

    file = _checked_file(entry["file"], manual_dir, fail)
    page_path = _checked_page_path(entry["path"], fail)
    persona = entry["persona"]
    if not isinstance(persona, str) or not PERSONA_PATTERN.match(persona):
        raise fail("persona", f"{persona!r} is not a sandbox persona code such as sales_clerk")
    element = entry.get("element")
    if element is not None and (not isinstance(element, str) or not element.strip()
                                or len(element) > 300 or "\n" in element):
        raise fail("element", "expected a CSS selector such as \"main\" (one line)")
    width = _checked_size(entry.get("width", DEFAULT_WIDTH), "width", WIDTH_RANGE, fail)
    height = _checked_size(entry.get("height", DEFAULT_HEIGHT), "height", HEIGHT_RANGE, fail)
    return ScreenshotSpec(file=file, persona=persona, path=page_path,
                          element=element.strip() if element else None,
                          width=width, height=height)


def _checked_file(value, manual_dir: Path, fail: Callable[[str, str], ScreenshotError]) -> str:
    if not isinstance(value, str) or "\\" in value or "\x00" in value:
        raise fail("file", f"{value!r} is not a relative path such as images/orders.png")
    relative = PurePosixPath(value)
    if relative.is_absolute() or re.match(r"^[A-Za-z]:", value):
        raise fail("file", f"{value!r} must be relative to the manual folder")
    if ".." in relative.parts:
        raise fail("file", f"{value!r} leaves the manual folder")
    if relative.suffix.lower() != ".png":
        raise fail("file", f"{value!r} must be a .png file")
    if relative.name == relative.suffix or relative.name.startswith("."):
        raise fail("file", f"{value!r} needs a file name")
    root = Path(manual_dir).resolve()
    if not (root / relative).resolve().is_relative_to(root):  # a symlink pointing outside
        raise fail("file", f"{value!r} leaves the manual folder")
    return relative.as_posix()


def _checked_page_path(value, fail: Callable[[str, str], ScreenshotError]) -> str:
    if not isinstance(value, str) or not value.startswith("/sandbox/"):
        raise fail("path", f"{value!r} is not a page of the sandbox (it must start with "
                           "/sandbox/)")
    segments = urlsplit(value).path.split("/")
    if len(value) > 500 or not PAGE_PATH_PATTERN.match(value) or "//" in value or any(
            segment in (".", "..") for segment in segments):
        raise fail("path", f"{value!r} is not a plain page path such as /sandbox/sales/orders")
    return value


def _checked_size(value, key: str, bounds: tuple[int, int],
                  fail: Callable[[str, str], ScreenshotError]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(key, f"{value!r} is not a whole number of pixels from {low} to {high}")
    return value


# --- capturing --------------------------------------------------------------------------------


def capture_screenshots(app, manual_dir: Path, *, username: str = "trainer",
                        only: list[str] | None = None, progress=print,
                        language: str = "zh_CN",
                        password: str = DEMO_PASSWORD) -> list[Path]:
    """Capture the entries of ``manual_dir/screenshots.yml`` (or those whose file is in
    ``only``) from the running sandbox; return the PNG paths written, in the file's order.

    ``app`` is served on a free loopback port for the duration of the call. Chromium signs in
    through the login page as ``username`` (the demo trainer by default; ``password`` defaults
    to the demo password) with the interface in ``language``, then, per persona, switches
    persona with the sandbox's own switcher.

    **The user's sandbox is reset to the seed** (``sandbox.reset_sandbox``) after every persona
    switch, before that persona's pages are taken, so the pictures show the seeded company
    and come out the same on every run; whatever the user did in their sandbox is lost. It is
    provisioned first if the user has none. Afterwards the user's persona and interface
    language are switched back to what they were and the run signs out (after a failure
    too, as far as that still works).

    Each page has 20 s; more than 60 entries are refused. Raises ``ScreenshotError`` (naming
    the entry) when Chromium or Playwright is missing, sign-in fails, a persona does not
    exist, a page answers other than 200, or the element is not on the page. Files are
    replaced atomically: a failed run leaves earlier pictures intact.
    """
    manual_dir = Path(manual_dir)
    specs = _selected(read_screenshot_specs(manual_dir), only)
    if not specs:
        progress(f"No screenshots to take in {manual_dir / SPEC_FILE}.")
        return []
    if len(specs) > MAX_SCREENSHOTS:
        raise ScreenshotError(f"{len(specs)} screenshots asked for; at most {MAX_SCREENSHOTS} "
                              "per run (use only= to choose)")
    if language not in SUPPORTED_LOCALES:
        raise ScreenshotError(f"unknown language {language!r} (one of "
                              f"{', '.join(SUPPORTED_LOCALES)})")
    sync_playwright, playwright_error = _playwright()
    user_id = _prepare_sandbox(app, username)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="screenshot-server",
                              daemon=True)
    thread.start()
    run = _Run(app=app, base_url=f"http://127.0.0.1:{server.server_port}",
               manual_dir=manual_dir, user_id=user_id, language=language, progress=progress,
               playwright_error=playwright_error)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                 headless=True)
            try:
                written = run.capture_all(browser, specs, username, password)
            finally:
                browser.close()
    except playwright_error as error:
        raise ScreenshotError(f"the browser failed: {_first_line(error)}") from None
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    return [written[spec] for spec in specs]


@dataclass
class _Run:
    """One capture run: the served app, the user whose sandbox is used, and what to restore."""

    app: object
    base_url: str
    manual_dir: Path
    user_id: int
    language: str
    progress: Callable[[str], object]
    playwright_error: type[Exception]
    home_url: str = ""
    original_language: str | None = None
    original_persona: str | None = None

    def capture_all(self, browser, specs: list[ScreenshotSpec], username: str,
                    password: str) -> dict[ScreenshotSpec, Path]:
        context = browser.new_context(
            locale=self.language.replace("_", "-"), device_scale_factor=1,
            viewport={"width": DEFAULT_WIDTH, "height": DEFAULT_HEIGHT})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        self.home_url = _sign_in(page, self.base_url, username, password, self.language)
        written: dict[ScreenshotSpec, Path] = {}
        try:
            self.original_language = _use_language(page, self.home_url, self.language)
            self.original_persona = _current_persona(page, self.base_url)
            for persona, group in _by_persona(specs).items():
                _switch_persona(page, self.base_url, persona, group[0])
                _reset_sandbox(self.app, self.user_id)
                for spec in group:
                    written[spec] = _capture(page, self.base_url, self.manual_dir, spec,
                                             self.playwright_error)
                    self.progress(f"{spec.describe()} → {written[spec]}")
        except BaseException:
            # Best effort, so that the run's own error is the one reported.
            with contextlib.suppress(self.playwright_error, ScreenshotError):
                self.restore(page)
            raise
        self.restore(page)
        return written

    def restore(self, page) -> None:
        """Put back what the run changed for the user, and sign out."""
        if self.original_persona and _switch_persona(page, self.base_url,
                                                     self.original_persona, None):
            _reset_sandbox(self.app, self.user_id)  # the switch is logged: leave it as seeded
        if self.original_language and self.original_language != self.language:
            _use_language(page, self.home_url, self.original_language)
        _sign_out(page, self.home_url)


def _selected(specs: list[ScreenshotSpec], only: list[str] | None) -> list[ScreenshotSpec]:
    if only is None:
        return specs
    wanted = {PurePosixPath(name).as_posix() for name in only}
    unknown = wanted - {spec.file for spec in specs}
    if unknown:
        raise ScreenshotError(f"not in {SPEC_FILE}: {', '.join(sorted(unknown))}")
    return [spec for spec in specs if spec.file in wanted]


def _by_persona(specs: list[ScreenshotSpec]) -> dict[str, list[ScreenshotSpec]]:
    groups: dict[str, list[ScreenshotSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.persona, []).append(spec)
    return groups


def _playwright():
    if not os.path.exists(CHROMIUM):
        raise ScreenshotError(f"{CHROMIUM} is missing: install Debian's chromium package")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise ScreenshotError("Playwright is not installed (pip install playwright; the "
                              "browser is Debian's chromium, no `playwright install`)") from None
    return sync_playwright, Error


def _prepare_sandbox(app, username: str) -> int:
    """The user's id, after checking they may use the sandbox and provisioning theirs."""
    with app.app_context():
        user = account_services.find_user(username)
        if user is None or not user.active:
            raise ScreenshotError(f"no active user {username!r} to sign in as")
        if not user.has_permission("use_sandbox"):
            raise ScreenshotError(f"user {username!r} may not use the sandbox")
        sandbox.provision_sandbox(user.id, [job.code for job in user.job_roles])
        db.session.commit()
        return user.id


def _reset_sandbox(app, user_id: int) -> None:
    with app.app_context():
        sandbox.reset_sandbox(sandbox.sandbox_of(user_id))
        db.session.commit()


def _sign_in(page, base_url: str, username: str, password: str, language: str) -> str:
    """Sign in through the login page; return the URL of the page it leads to."""
    page.goto(f"{base_url}/login", wait_until="load")
    # Chosen before signing in, the language stays for an account that has none of its own.
    _choose_language(page, language)
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation(wait_until="load"):
        page.locator("#submit").click()
    if urlsplit(page.url).path == "/login":
        alert = page.locator(".alert-danger")
        reason = alert.first.inner_text().strip() if alert.count() else "the login page refused"
        raise ScreenshotError(f"cannot sign in as {username!r}: {reason}")
    return page.url


def _sign_out(page, home_url: str) -> None:
    """End the portal session this run opened (the sign-out button sits in a closed menu)."""
    page.goto(home_url, wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.locator("#sign-out").evaluate("button => button.form.requestSubmit(button)")


def _choose_language(page, language: str) -> str:
    """Pick ``language`` in the page's language switcher; return the one shown before."""
    switch = page.locator("#locale-switch")
    shown = switch.input_value()
    if shown != language:
        with page.expect_navigation(wait_until="load"):
            switch.select_option(language)
    return shown


def _use_language(page, home_url: str, language: str) -> str:
    """Show the portal in ``language`` with the switcher on the user's home page (an account's
    own choice is changed only if it differs); return the language it was in."""
    page.goto(home_url, wait_until="load")
    shown = _choose_language(page, language)
    if page.locator("#locale-switch").input_value() != language:
        raise ScreenshotError(f"cannot switch the interface to {language!r}")
    return shown


def _current_persona(page, base_url: str) -> str | None:
    page.goto(f"{base_url}/sandbox/", wait_until="load")
    switcher = page.locator("#persona")
    return switcher.input_value() if switcher.count() else None


def _switch_persona(page, base_url: str, persona: str, spec: ScreenshotSpec | None) -> bool:
    """Act as ``persona`` through the switcher on the sandbox home page, as a user does;
    return whether it had to switch."""
    name = spec.describe() if spec else persona
    response = page.goto(f"{base_url}/sandbox/", wait_until="load")
    switcher = page.locator("#persona")
    if response is None or response.status != 200 or not switcher.count():
        raise ScreenshotError(f"{name}: the sandbox home page has no persona switcher")
    choices = switcher.locator("option").evaluate_all("options => options.map(o => o.value)")
    if persona not in choices:
        raise ScreenshotError(f"{name}: {persona!r} is not a sandbox persona "
                              f"(one of {', '.join(choices)})")
    if switcher.input_value() == persona:
        return False
    switcher.select_option(persona)
    with page.expect_navigation(wait_until="load"):
        page.locator("#switch-persona").click()
    if page.locator("#persona").input_value() != persona:
        raise ScreenshotError(f"{name}: switching to persona {persona!r} failed")
    return True


def _capture(page, base_url: str, manual_dir: Path, spec: ScreenshotSpec,
             playwright_error: type[Exception]) -> Path:
    try:
        image = _take(page, base_url, spec)
    except playwright_error as error:  # a timeout, a selector that does not parse, …
        raise ScreenshotError(f"{spec.describe()}: {_first_line(error)}") from None
    return _write_atomically(manual_dir, spec, image)


def _take(page, base_url: str, spec: ScreenshotSpec) -> bytes:
    name = spec.describe()
    page.set_viewport_size({"width": spec.width, "height": spec.height})
    response = page.goto(f"{base_url}{spec.path}", wait_until="networkidle")
    if response is None or response.status != 200:
        status = response.status if response is not None else "no response"
        raise ScreenshotError(f"{name}: the page answered {status}, not 200")
    landed = urlsplit(page.url).path
    if not landed.startswith("/sandbox/"):
        raise ScreenshotError(f"{name}: the page sent the browser to {landed}")
    options = {"animations": "disabled", "caret": "hide", "type": "png"}
    if spec.element:
        locator = page.locator(spec.element)
        if locator.count() == 0:
            raise ScreenshotError(f"{name}: no element matches {spec.element!r}")
        return locator.first.screenshot(**options)
    return page.screenshot(**options)


def _write_atomically(manual_dir: Path, spec: ScreenshotSpec, image: bytes) -> Path:
    root = manual_dir.resolve()
    target = root / spec.file
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.resolve().is_relative_to(root):
        raise ScreenshotError(f"{spec.describe()}: {spec.file} leaves the manual folder")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".screenshot-",
                                         suffix=".png.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(image)
        # mkstemp makes the file private; a screenshot is a source file like the chapters.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
