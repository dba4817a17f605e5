"""Images in question texts: checked on import, stored once per bank, shown, exported.

Moodle XML carries a question's images as ``<file name="…" path="/" encoding="base64">``
inside the text that shows them, and the text points at one as ``@@PLUGINFILE@@/<name>``
(URL-encoded). On import each image is checked like a course image (type by content, SVG
without active content, the course image size limit: ``lms.catalog.assets.check_image``),
kept once per bank by its sha256 (``QuestionImage``), and the reference becomes
``question-image:<id>/<name>`` — the stored text names the image, not a URL, so it stays
right wherever the portal is served. Between reading the file and storing, a reference is
``question-image:sha256-<hex>/<name>`` (the image has no id yet).

Pages resolve references to ``/question-images/<id>/<name>`` (``question_html``), served
like course files; the Moodle XML export turns them back into ``@@PLUGINFILE@@`` with the
bytes, so an exported bank imports again with the same texts.
"""

from __future__ import annotations

import copy
import hashlib
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from flask import has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.assessment.gift import GiftQuestion
from lms.assessment.models import QuestionImage
from lms.catalog.assets import AssetRejected, check_image
from lms.extensions import db

__all__ = ["IMAGE_HEADERS", "PLUGINFILE", "AssetRejected", "EmbeddedImage",
           "check_embedded_image", "file_location", "image_ids", "image_names",
           "image_references", "image_url", "known_image_ids", "map_texts", "pending_hashes",
           "pending_reference", "question_texts", "reference_name", "resolve_for_page",
           "resolve_link", "store_image", "to_plugin_references", "with_image_ids"]

SCHEME = "question-image:"
PLUGINFILE = "@@PLUGINFILE@@/"
# The reference path stops where Moodle's own @@PLUGINFILE@@ references stop.
_STORED_REFERENCE = re.compile(r"question-image:(\d+)/([^\"'\s<>)]+)")
_PENDING_REFERENCE = re.compile(r"question-image:sha256-([0-9a-f]{64})/")
# Served like course files: the stored type only, never run, cached for good (an id names
# one content).
IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "private, max-age=31536000, immutable",
}


@dataclass(frozen=True)
class EmbeddedImage:
    """A checked image of an import file, not stored yet."""

    name: str
    content_type: str
    data: bytes
    sha256: str


def check_embedded_image(name: str, data: bytes) -> EmbeddedImage:
    """The image ``name`` of an import file, checked as course images are; raises
    ``AssetRejected`` (its message says why) for anything else."""
    _safe_name, content_type, data = check_image(name, data)
    return EmbeddedImage(name, content_type, data, hashlib.sha256(data).hexdigest())


def pending_reference(image: EmbeddedImage, reference: str) -> str:
    """What a text says for ``@@PLUGINFILE@@/<reference>`` until the image is stored."""
    return f"{SCHEME}sha256-{image.sha256}/{reference}"


def reference_name(reference: str) -> str:
    """The file name a reference path ends in: ``sub/%E5%9B%BE.png?time=1`` → ``图.png``."""
    path = re.split(r"[?#]", reference, maxsplit=1)[0]
    return unquote(path).rsplit("/", 1)[-1] or "image"


# --- Texts of a question ------------------------------------------------------------------

def map_texts(question: GiftQuestion, change: Callable[[str], str]) -> GiftQuestion:
    """A copy of ``question`` with ``change`` applied to every text it shows."""
    question = copy.deepcopy(question)
    question.text = change(question.text)
    question.general_feedback = change(question.general_feedback)
    question.wrong_feedback = change(question.wrong_feedback)
    for answer in question.answers:
        answer.text, answer.feedback = change(answer.text), change(answer.feedback)
    for number in question.numeric:
        number.feedback = change(number.feedback)
    for pair in question.matches:
        pair.question = change(pair.question)
    return question


def question_texts(question: GiftQuestion) -> list[str]:
    """Every text the question shows (those ``map_texts`` changes)."""
    return [question.text, question.general_feedback, question.wrong_feedback,
            *(text for answer in question.answers for text in (answer.text, answer.feedback)),
            *(number.feedback for number in question.numeric),
            *(pair.question for pair in question.matches)]


def pending_hashes(question: GiftQuestion) -> set[str]:
    """sha256 of every not-yet-stored image the question's texts refer to."""
    return {digest for text in question_texts(question)
            for digest in _PENDING_REFERENCE.findall(text)}


def with_image_ids(question: GiftQuestion, ids: dict[str, int]) -> GiftQuestion:
    """A copy whose pending references name the stored images (``ids``: sha256 → id); those
    not in ``ids`` stay pending."""

    def change(text: str) -> str:
        if f"{SCHEME}sha256-" not in text:
            return text
        return _PENDING_REFERENCE.sub(
            lambda m: f"{SCHEME}{ids[m[1]]}/" if m[1] in ids else m[0], text)

    return map_texts(question, change)


def image_ids(question: GiftQuestion) -> set[int]:
    """Ids of the stored images the question's texts show."""
    return {int(image_id) for text in question_texts(question)
            for image_id, _path in _STORED_REFERENCE.findall(text)}


def image_names(question: GiftQuestion) -> list[str]:
    """File names of the stored images the question shows, in order of appearance."""
    return list(dict.fromkeys(reference_name(path) for text in question_texts(question)
                              for _image_id, path in _STORED_REFERENCE.findall(text)))


def image_references(question: GiftQuestion) -> dict[str, str]:
    """What a GIFT export of ``question`` writes after ``@@PLUGINFILE@@/``, mapped to the
    stored reference it came from (see ``to_plugin_references``). A path naming two
    different images is left out: which one a file means is unknown."""
    found: dict[str, set[str]] = {}
    for text in question_texts(question):
        for image_id, reference in _STORED_REFERENCE.findall(text):
            stored = f"{SCHEME}{image_id}/{reference}"
            found.setdefault(reference, set()).add(stored)
            found.setdefault(f"{image_id}/{reference}", set()).add(stored)
    return {path: stored.pop() for path, stored in found.items() if len(stored) == 1}


def to_plugin_references(text: str) -> tuple[str, list[tuple[str, int]]]:
    """``text`` with Moodle's ``@@PLUGINFILE@@/<path>`` for stored images, and the files to
    write with it: (path, image id), once each.

    Two different images under one path in the same text get the second one a folder of its
    own (``<id>/a.png``), since Moodle names a text's files by path.
    """
    files: dict[str, int] = {}

    def change(match: re.Match) -> str:
        image_id, reference = int(match[1]), match[2]
        path = re.split(r"[?#]", reference, maxsplit=1)[0]
        if files.setdefault(path, image_id) != image_id:
            reference, path = f"{image_id}/{reference}", f"{image_id}/{path}"
            files.setdefault(path, image_id)
        return PLUGINFILE + reference

    if SCHEME not in text:
        return text, []
    return _STORED_REFERENCE.sub(change, text), list(files.items())


def file_location(path: str) -> tuple[str, str]:
    """(name, path) attributes of a Moodle ``<file>`` for a reference path (URL-encoded)."""
    folder, name = posixpath.split(unquote(path))
    return name or "image", f"/{folder}/" if folder else "/"


# --- Storing and showing ------------------------------------------------------------------

def known_image_ids(bank_id: int, hashes: set[str]) -> dict[str, int]:
    """sha256 → id of the images among ``hashes`` the bank already holds."""
    if not hashes:
        return {}
    return dict(db.session.execute(select(QuestionImage.sha256, QuestionImage.id).where(
        QuestionImage.bank_id == bank_id, QuestionImage.sha256.in_(hashes))).all())


def store_image(bank_id: int, image: EmbeddedImage) -> int:
    """The id of the bank's copy of ``image``, stored if the bank does not hold it yet."""
    known = known_image_ids(bank_id, {image.sha256})
    if known:
        return known[image.sha256]
    row = QuestionImage(bank_id=bank_id, name=image.name[:200], content_type=image.content_type,
                        size=len(image.data), sha256=image.sha256, data=image.data)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another import stored the same image at the same moment
        return known_image_ids(bank_id, {image.sha256})[image.sha256]
    return row.id


def image_url(image_id: int, name: str) -> str:
    """Where a page shows the stored image ``image_id``."""
    if has_request_context():
        return url_for("assessment.question_image", image_id=image_id, name=name)
    return f"/question-images/{image_id}/{quote(name)}"


def resolve_for_page(text: str) -> str:
    """``text`` with its stored-image references turned into image URLs (for HTML texts)."""
    if SCHEME not in text:
        return text
    return _STORED_REFERENCE.sub(lambda m: image_url(int(m[1]), reference_name(m[2])), text)


def resolve_link(target: str) -> str | None:
    """A Markdown link or image target, as ``render_markdown`` resolves it for questions:
    stored-image references become URLs, relative paths stay, other schemes go."""
    match = _STORED_REFERENCE.fullmatch(target.strip())
    if match:
        return image_url(int(match[1]), reference_name(match[2]))
    try:
        scheme = urlsplit(target.strip()).scheme
    except ValueError:
        return None
    return None if scheme else target
