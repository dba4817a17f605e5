"""The process part of the PDF: WeasyPrint in a spawned worker with limits.

Only plain data crosses the process boundary: the HTML (a ``str``), the assets
(``{path: (content type, bytes)}``), and back the PDF bytes and its page count, or the
reason it failed. WeasyPrint is imported in the worker only, never in the web process.

The worker fetches nothing but the document's own assets (:func:`fetch_url_for`):
relative image paths resolve against :data:`BASE_URL`, a host that cannot exist, and are
mapped back to asset paths; ``file:``, ``http(s):`` elsewhere and ``data:`` URLs are all
refused. (``data:`` too: sanitised chapters cannot contain it and the stylesheet does not
use it, so allowing it would only widen what a hand-made document could feed WeasyPrint.)
A refused resource is what WeasyPrint treats as missing: it logs it and leaves it out.
"""

from __future__ import annotations

import errno
import functools
import math
import multiprocessing
import resource
import signal
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from urllib.parse import unquote, urlsplit

BASE_URL = "https://manual.invalid/"
# How long to wait for a killed or finished worker to be reaped.
REAP_SECONDS = 5
MAX_REASON_CHARS = 500


class AssetRefused(ValueError):
    """A URL that is not one of the document's own assets."""


class WorkerTimeout(Exception):
    """The worker ran past its wall-clock time and was killed."""


class WorkerOutOfMemory(Exception):
    """The worker hit its address-space limit."""


class WorkerDied(Exception):
    """The worker ended without an answer (killed by a signal, crashed in C code …)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"exit code {exitcode}")
        self.exitcode = exitcode


class WorkerFailed(Exception):
    """WeasyPrint raised; ``str()`` is the exception's type and message."""


# --------------------------------------------------------------------------- assets


def asset_for_url(assets: Mapping[str, tuple[str, bytes]], url: str) -> tuple[str, bytes]:
    """The ``(content type, bytes)`` of the asset ``url`` names, or :class:`AssetRefused`.

    ``assets`` is keyed by asset path (``images/x.png``); keys and URLs are compared
    percent-decoded, since WeasyPrint hands the fetcher URLs as %-encoded URIs.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise AssetRefused(f"not a URL: {url!r}") from None
    base = urlsplit(BASE_URL)
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme, base.netloc):
        raise AssetRefused(f"only the manual's own images are used, not {url!r}")
    path = unquote(parts.path).removeprefix("/")
    for key, value in assets.items():
        if unquote(key) == path:
            return value
    raise AssetRefused(f"the manual has no asset {path!r}")


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ManualAssetFetcher(URLFetcher):
        """A WeasyPrint fetcher that serves one document's assets and nothing else."""

        def __init__(self, assets: Mapping[str, tuple[str, bytes]]) -> None:
            super().__init__(allowed_protocols=("https",))
            self.assets = {unquote(path): value for path, value in assets.items()}

        def fetch(self, url, headers=None):
            content_type, data = asset_for_url(self.assets, url)
            return URLFetcherResponse(url, bytes(data), {"Content-Type": content_type})

    return ManualAssetFetcher


def fetch_url_for(assets: Mapping[str, tuple[str, bytes]]):
    """WeasyPrint's ``url_fetcher`` for a document: its own assets only (see module doc).

    Calling it with a URL returns a ``URLFetcherResponse`` or raises :class:`AssetRefused`.
    """
    return _fetcher_class()(assets)


# --------------------------------------------------------------------------- worker


def _limit(memory_mb: int, timeout: float) -> None:
    """Limits of the worker itself: address space, no core file, and an alarm as a backstop
    should the parent die before it can kill an overdue worker (the worker is not a daemon
    process, so a daemonic caller, e.g. a pool worker, may still start it)."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.alarm(math.ceil(timeout) + REAP_SECONDS)


def _is_out_of_memory(error: BaseException) -> bool:
    """MemoryError, or a failed mmap: under RLIMIT_AS, loading a C extension fails that way."""
    if isinstance(error, MemoryError):
        return True
    message = str(error).lower()
    return isinstance(error, OSError | ImportError) and (
        getattr(error, "errno", None) == errno.ENOMEM
        or "cannot allocate memory" in message or "failed to map segment" in message)


def _render(conn: Connection, markup: str, assets: dict[str, tuple[str, bytes]],
            memory_mb: int, timeout: float) -> None:
    """The worker process: render, send ``("ok", pdf, pages)`` or ``(kind, reason)``."""
    try:
        _limit(memory_mb, timeout)
        from weasyprint import HTML

        document = HTML(string=markup, base_url=BASE_URL,
                        url_fetcher=fetch_url_for(assets)).render()
        data = document.write_pdf()
        message: tuple = ("ok", data, len(document.pages))
    except BaseException as error:  # noqa: B036 - everything must reach the parent
        kind = "memory" if _is_out_of_memory(error) else "error"
        message = (kind, f"{type(error).__name__}: {error}"[:MAX_REASON_CHARS])
    try:
        conn.send(message)
    finally:
        conn.close()


def run_worker(markup: str, assets: dict[str, tuple[str, bytes]], *, timeout: float,
               memory_mb: int) -> tuple[bytes, int]:
    """Render ``markup`` in a spawned process; return ``(pdf bytes, page count)``.

    Raises :class:`WorkerTimeout`, :class:`WorkerOutOfMemory`, :class:`WorkerDied` or
    :class:`WorkerFailed`. The worker is always reaped; on timeout it is killed.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_render, name="praxis-pdf",
                              args=(sender, markup, assets, memory_mb, timeout))
    deadline = time.monotonic() + timeout
    process.start()
    sender.close()  # ours: so the worker's exit shows as end-of-file on `receiver`
    message = None
    finished = False
    try:
        if receiver.poll(max(0.0, deadline - time.monotonic())):
            finished = True
            try:
                message = receiver.recv()
            except EOFError:
                pass  # the worker died before it could answer
    finally:
        receiver.close()
        if finished:
            process.join(REAP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(REAP_SECONDS)
    if not finished:
        raise WorkerTimeout()
    if message is None:
        raise WorkerDied(process.exitcode)
    if message[0] == "ok":
        return message[1], message[2]
    if message[0] == "memory":
        raise WorkerOutOfMemory(message[1])
    raise WorkerFailed(message[1])
