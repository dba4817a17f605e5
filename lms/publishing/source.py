"""Reading a manual folder (manual.yml, Markdown chapters, images) into plain data.

Nothing here touches the database: a folder is read and checked completely first, so a
malformed file stops the publication before anything changes. Every problem is reported as
``file:line: reason`` (the course reader's ``SourceProblem``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lms.catalog.assets import sniff_raster
from lms.catalog.source import SourceProblem
from lms.publishing.models import ACCESS_LEVELS

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
CHAPTER_FILE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\.md$")
ASSET_PATH_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")
# Raster images only: an SVG could carry script when opened on its own.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_CHAPTER_CHARS = 400_000
MAX_TITLE_CHARS = 300
LANGUAGES = ("zh-CN", "en")
# Words the reader's URLs use: /manuals/manage/ is the editor, /manuals/CODE/1.0/search.
RESERVED_CODES = {"manage"}
RESERVED_CHAPTERS = {"search.md"}
MANUAL_FIELDS = {"code", "title", "summary", "company", "language", "access", "job_roles",
                 "chapters"}
# Markdown image targets and raw <img src="…">, relative ones only.
IMAGE_REFERENCE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?|<img\b[^>]*\bsrc=[\"']([^\"']+)")
FIRST_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class ChapterSource:
    filename: str
    source: str

    @property
    def slug(self) -> str:
        return self.filename.removesuffix(".md")


@dataclass
class ManualSource:
    """Everything a manual version is made of, as plain data."""

    code: str
    title: str
    summary: str = ""
    company: str = ""
    language: str = "zh-CN"
    access: str = "signed_in"
    job_roles: list[str] = field(default_factory=list)
    chapters: list[ChapterSource] = field(default_factory=list)
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def settings(self) -> dict:
        settings = {"title": self.title, "summary": self.summary, "language": self.language,
                    "access": self.access, "job_roles": list(self.job_roles)}
        if self.company:  # only when set, so manuals without one keep their content hash
            settings["company"] = self.company
        return settings

    def content_hash(self) -> str:
        """SHA-256 over settings, chapters and image contents: equal sources, equal hash."""
        return content_digest(self.settings(), self.chapters, [
            (path, kind, hashlib.sha256(data).hexdigest())
            for path, (kind, data) in self.assets.items()])

    def manual_yml(self) -> str:
        data = {"code": self.code, **self.settings(),
                "chapters": [c.filename for c in self.chapters]}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def content_digest(settings: dict, chapters: list[ChapterSource],
                   assets: list[tuple[str, str, str]]) -> str:
    """The content hash of a manual: settings, chapters in order, and (path, content type,
    SHA-256) of each image, so a caller holding the images' digests need not read them."""
    digest = {"settings": settings, "chapters": [[c.filename, c.source] for c in chapters],
              "assets": sorted(list(asset) for asset in assets)}
    text = json.dumps(digest, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ManualSourceError(Exception):
    """A manual folder that cannot be published; ``problems`` lists every reason found."""

    def __init__(self, problems: list[SourceProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def chapter_title(source: str) -> str | None:
    """The text of the chapter's first ``# `` heading, or None."""
    for line in source.splitlines():
        match = FIRST_HEADING.match(line)
        if match:
            return match.group(1).strip()
    return None


def _title_line(source: str) -> int:
    return next((n for n, line in enumerate(source.splitlines(), start=1)
                 if FIRST_HEADING.match(line)), 1)


def image_references(source: str) -> list[tuple[int, str]]:
    """(line, path) of every relative image a chapter shows."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        for match in IMAGE_REFERENCE.finditer(line):
            target = (match.group(1) or match.group(2)).split("#")[0].split("?")[0]
            if "://" not in target and not target.startswith(("/", "data:")):
                found.append((number, target.removeprefix("./")))
    return found


def check_settings(data: dict, file: str, problems: list[SourceProblem]) -> None:
    """Problems of manual.yml's settings (also used for the web editor's settings form)."""
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        problems.append(SourceProblem(file, None, "title is required"))
    elif len(data["title"]) > 200:
        problems.append(SourceProblem(file, None, "title is longer than 200 characters"))
    if not isinstance(data.get("company") or "", str) or len(data.get("company") or "") > 200:
        problems.append(SourceProblem(file, None, "company must be a name (200 characters "
                                      "at most)"))
    if data.get("language", "zh-CN") not in LANGUAGES:
        problems.append(SourceProblem(file, None, f"language must be one of {LANGUAGES}"))
    if data.get("access", "signed_in") not in ACCESS_LEVELS:
        problems.append(SourceProblem(file, None, f"access must be one of {ACCESS_LEVELS}"))
    roles = data.get("job_roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        problems.append(SourceProblem(file, None, "job_roles must be a list of job role codes"))
    elif roles and data.get("access", "signed_in") == "public":
        problems.append(SourceProblem(
            file, None, "job_roles restrict a manual to signed-in users: use access: signed_in"))


def check_chapter(filename: str, source: str, assets: dict, problems: list[SourceProblem]) -> None:
    title = chapter_title(source)
    if title is None:
        problems.append(SourceProblem(filename, 1, "a chapter starts with a '# title' heading"))
    elif len(title) > MAX_TITLE_CHARS:
        problems.append(SourceProblem(filename, _title_line(source),
                                      f"the title is longer than {MAX_TITLE_CHARS} characters"))
    if len(source) > MAX_CHAPTER_CHARS:
        problems.append(SourceProblem(filename, None,
                                      f"longer than {MAX_CHAPTER_CHARS} characters"))
    for line, path in image_references(source):
        if path not in assets:
            problems.append(SourceProblem(filename, line, f"image {path} is not in the manual"))


def read_manual_folder(folder: Path, overlay: Path | None = None) -> ManualSource:
    """Read and check ``folder``; files in ``overlay`` (same layout) replace the folder's.

    The overlay is how the demo rebuilds an earlier release from the files that differed.
    """
    problems: list[SourceProblem] = []

    def find(relative: str) -> Path:
        if overlay is not None and (overlay / relative).is_file():
            return overlay / relative
        return folder / relative

    yml_path = find("manual.yml")
    if not yml_path.is_file():
        raise ManualSourceError([SourceProblem(str(folder), None, "manual.yml is missing")])
    try:
        data = yaml.safe_load(yml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ManualSourceError([SourceProblem(
            "manual.yml", mark.line + 1 if mark else None,
            f"not valid YAML: {getattr(error, 'problem', error)}")]) from None
    except UnicodeDecodeError:
        raise ManualSourceError([SourceProblem("manual.yml", None, "not UTF-8 text")]) from None
    if not isinstance(data, dict):
        raise ManualSourceError([SourceProblem("manual.yml", 1, "expected a mapping")])
    for key in sorted(set(data) - MANUAL_FIELDS):
        problems.append(SourceProblem("manual.yml", None, f"unknown field {key!r}"))
    code = data.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append(SourceProblem("manual.yml", None,
                                      "code must be lower-case letters, digits and '-'"))
    elif code in RESERVED_CODES:
        problems.append(SourceProblem("manual.yml", None, f"the code {code!r} is reserved"))
    check_settings(data, "manual.yml", problems)

    assets = _read_images(folder, overlay, problems)
    chapters: list[ChapterSource] = []
    names = data.get("chapters")
    if not isinstance(names, list) or not names:
        problems.append(SourceProblem("manual.yml", None, "chapters must list the chapter files"))
        names = []
    for name in names:
        if not isinstance(name, str) or not CHAPTER_FILE_PATTERN.match(name):
            problems.append(SourceProblem("manual.yml", None, f"bad chapter file name {name!r}: "
                                          "lower-case letters, digits and '-', ending in .md"))
            continue
        if name in RESERVED_CHAPTERS:
            problems.append(SourceProblem("manual.yml", None, f"{name}: the chapter name "
                                          f"{name.removesuffix('.md')!r} is reserved"))
            continue
        if any(c.filename == name for c in chapters):
            problems.append(SourceProblem("manual.yml", None, f"chapter {name} is listed twice"))
            continue
        path = find(name)
        if not path.is_file():
            problems.append(SourceProblem(name, None, "file not found"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(SourceProblem(name, None, "not UTF-8 text"))
            continue
        check_chapter(name, text, assets, problems)
        chapters.append(ChapterSource(name, text))
    if problems:
        raise ManualSourceError(problems)
    return ManualSource(
        code=code, title=data["title"].strip(), summary=str(data.get("summary") or "").strip(),
        company=str(data.get("company") or "").strip(),
        language=data.get("language", "zh-CN"), access=data.get("access", "signed_in"),
        job_roles=list(data.get("job_roles") or []), chapters=chapters, assets=assets)


def _read_images(folder: Path, overlay: Path | None,
                 problems: list[SourceProblem]) -> dict[str, tuple[str, bytes]]:
    assets: dict[str, tuple[str, bytes]] = {}
    for root in (folder, overlay):
        images = root / "images" if root is not None else None
        if images is None or not images.is_dir():
            continue
        for path in sorted(images.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in IMAGE_TYPES:
                continue
            relative = path.relative_to(root).as_posix()
            if not ASSET_PATH_PATTERN.match(relative):
                problems.append(SourceProblem(relative, None, "use letters, digits, '-', '_' "
                                              "and '.' in image file names"))
                continue
            data = path.read_bytes()
            if len(data) > MAX_IMAGE_BYTES:
                problems.append(SourceProblem(relative, None, "larger than 5 MB"))
                continue
            sniffed = sniff_raster(data)
            if sniffed is None:
                problems.append(SourceProblem(relative, None,
                                              "not a PNG, JPEG, GIF or WebP image"))
                continue
            assets[relative] = (sniffed[0], data)
    return assets
