"""Checking an image a trainer uploads for a course before it is stored.

The type comes from the bytes, never from the file name or the browser's content type: PNG,
JPEG, GIF and WebP by their signatures, SVG by parsing it as XML. SVG is a document that can
carry scripts, so one holding ``<script>``, ``<foreignObject>``, event-handler attributes or
``javascript:`` links is refused, as is one declaring entities (entity expansion attacks).
"""

from __future__ import annotations

import re
import unicodedata
from typing import IO
from xml.parsers import expat

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.catalog.models import Course, CourseRevision
from lms.catalog.services import store_asset
from lms.extensions import db

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
# Elements that run code or embed another document inside an SVG (compared lower-case).
FORBIDDEN_SVG_ELEMENTS = {"script", "foreignobject", "handler", "iframe", "embed", "object"}
SCRIPT_URL = re.compile(r"(java|vb)script:|data:text/html", re.IGNORECASE)
# What browsers ignore inside a URL scheme ("java\tscript:" still runs).
URL_NOISE = re.compile(r"[\s\x00-\x1f]+")


class AssetRejected(ValueError):
    """An upload that cannot be stored; ``str(error)`` is a message in the user's language."""


class AssetTooLarge(AssetRejected):
    """The upload is over the size limit."""


class _UnsafeSvg(Exception):
    def __init__(self, what: str):
        self.what = what


def max_asset_bytes() -> int:
    return int(current_app.config.get("COURSE_ASSET_MAX_BYTES", DEFAULT_MAX_BYTES))


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} B"


def read_limited(stream: IO[bytes], max_bytes: int) -> bytes:
    """Read at most ``max_bytes``; AssetTooLarge if the stream holds more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AssetTooLarge(_("The image is larger than %(limit)s. Choose a smaller file.",
                              limit=human_size(max_bytes)))
    return data


def sniff_raster(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PNG, JPEG, GIF or WebP image, from its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", ".gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_svg(data: bytes) -> bool:
    """True for a well-formed SVG free of active content; _UnsafeSvg when it has some.

    False when the bytes are not XML with an ``<svg>`` root (then it is no image we take).
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    roots: list[str] = []

    def entity_declared(*_args) -> None:
        raise _UnsafeSvg("<!ENTITY>")

    def external_entity(*_args) -> int:
        raise _UnsafeSvg("<!ENTITY>")

    def processing_instruction(target: str, _data: str) -> None:
        if target.lower() == "xml-stylesheet":
            raise _UnsafeSvg("<?xml-stylesheet?>")

    def start_element(name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if not roots:
            roots.append(local)
        if local.lower() in FORBIDDEN_SVG_ELEMENTS:
            raise _UnsafeSvg(f"<{local}>")
        for attribute, value in attributes.items():
            attribute_local = attribute.rsplit(" ", 1)[-1]
            if attribute_local.lower().startswith("on"):
                raise _UnsafeSvg(attribute_local)
            if SCRIPT_URL.search(URL_NOISE.sub("", value)):
                raise _UnsafeSvg(f'{attribute_local}="javascript:…"')

    parser.EntityDeclHandler = entity_declared
    parser.ExternalEntityRefHandler = external_entity
    parser.ProcessingInstructionHandler = processing_instruction
    parser.StartElementHandler = start_element
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return roots == ["svg"]


def safe_file_name(filename: str, extension: str) -> str:
    """An ASCII, lower-case file name with the extension of the real type: ``Order List.PNG``
    becomes ``order-list.png``; a name with nothing usable (``订单.png``) becomes ``image.png``.
    """
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")[:60].strip("-")
    return f"{cleaned or 'image'}{extension}"


def check_image(filename: str, data: bytes, max_bytes: int | None = None) -> tuple[str, str, bytes]:
    """(safe file name, content type, bytes) of an acceptable image; AssetRejected otherwise."""
    limit = max_asset_bytes() if max_bytes is None else max_bytes
    if not data:
        raise AssetRejected(_("The file is empty."))
    if len(data) > limit:
        raise AssetTooLarge(_("The image is larger than %(limit)s. Choose a smaller file.",
                              limit=human_size(limit)))
    raster = sniff_raster(data)
    if raster is not None:
        content_type, extension = raster
        return safe_file_name(filename, extension), content_type, data
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        try:
            is_svg = check_svg(data)
        except _UnsafeSvg as unsafe:
            raise AssetRejected(_(
                "The SVG image contains active content (%(what)s), which is not allowed. "
                "Remove it and upload the image again.", what=unsafe.what)) from None
        if is_svg:
            return safe_file_name(filename, ".svg"), "image/svg+xml", data
    raise AssetRejected(_("This file is not an image Praxis accepts. Upload a PNG, JPEG, GIF, "
                          "WebP or SVG image."))


def unique_asset_path(asset_map: dict, file_name: str, asset_id: int) -> str:
    """``images/<file_name>``, numbered (``images/a-2.png``) if the name holds another file."""
    stem, dot, extension = file_name.rpartition(".")
    path, number = f"images/{file_name}", 2
    while asset_map.get(path, asset_id) != asset_id:
        path, number = f"images/{stem}-{number}{dot}{extension}", number + 1
    return path


def attach_image(course: Course, revision: CourseRevision, file_name: str, content_type: str,
                 data: bytes) -> str:
    """Store a checked image and list it in the draft's assets; returns its path there.

    The same bytes already listed under another name keep that name (one file, one path).
    """
    asset = store_asset(course, file_name, content_type, data)
    # Read the map again under a row lock (PostgreSQL; SQLite serialises writers anyway), so
    # two uploads at the same moment cannot drop each other's image.
    asset_map = db.session.scalar(select(CourseRevision.asset_map)
                                  .where(CourseRevision.id == revision.id).with_for_update())
    for path, asset_id in asset_map.items():
        if asset_id == asset.id and path.startswith("images/"):
            return path
    path = unique_asset_path(asset_map, file_name, asset.id)
    _save_asset_map(revision, {**asset_map, path: asset.id})
    return path


def _save_asset_map(revision: CourseRevision, asset_map: dict) -> None:
    """Write a revision's asset map without it counting as an edit of the course settings.

    Any ORM change to the revision row bumps ``lock_version``, the optimistic lock of the
    settings form, so an image uploaded in one tab gave the settings form open in another a
    false conflict. Uploads only add entries (locked above) and never overwrite a setting,
    so they need no version check: a Core UPDATE writes this column alone, and the loaded
    object takes the new value as if it had been read so. (A table of asset links would do
    the same, but the map travels with the revision everywhere: drafts, digests, export.)
    """
    table = CourseRevision.__table__
    db.session.execute(update(table).where(table.c.id == revision.id)
                       .values(asset_map=asset_map))
    set_committed_value(revision, "asset_map", asset_map)


def image_paths(revision: CourseRevision) -> list[str]:
    """The revision's images (cover candidates and what lessons can show), sorted."""
    return sorted(path for path in revision.asset_map
                  if path.lower().endswith(IMAGE_EXTENSIONS))
