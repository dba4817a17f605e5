"""Reading a course folder (course.yml, Markdown, GIFT, YAML, images) into plain data.

Nothing here touches the database: a folder is read and checked completely first, so a
malformed file stops its course before anything of it changes. Every problem is reported as
``file:line: reason``.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lms.assessment.settings import QUIZ_SETTING_KEYS, settings_from_course_yml
from lms.catalog.kinds import ITEM_KINDS
from lms.catalog.models import LEVELS

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
# Markdown image references with a relative target: ![alt](images/a.png "title")
IMAGE_REFERENCE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")
ASSET_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
COURSE_FIELDS = {"code", "title", "summary", "version", "audience", "cover", "self_enrol",
                 "modules"}
ITEM_FIELDS = {"key", "kind", "title", "source", "url", "minutes", "required", "requires",
               *QUIZ_SETTING_KEYS}


@dataclass
class SourceProblem:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else \
            f"{self.file}: {self.reason}"


class CourseSourceError(Exception):
    """A course folder that cannot be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[SourceProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ItemSource:
    key: str
    kind: str
    title: str
    minutes: int = 10
    required: bool = True
    requires: list[str] = field(default_factory=list)
    body: str = ""
    source_name: str | None = None
    url: str | None = None
    settings: dict = field(default_factory=dict)


@dataclass
class ModuleSource:
    title: str
    items: list[ItemSource] = field(default_factory=list)


@dataclass
class CourseSource:
    code: str
    title: str
    summary: str = ""
    version_label: str = "1.0"
    job_roles: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    cover_name: str | None = None
    self_enrol: bool = False
    modules: list[ModuleSource] = field(default_factory=list)
    # Asset path in the folder -> (content type, bytes)
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def items(self) -> list[ItemSource]:
        return [item for module in self.modules for item in module.items]

    def digest(self) -> str:
        return content_digest(self)


def content_digest(source: CourseSource) -> str:
    """A hash of what a course says, independent of how its files are formatted.

    Sync compares it with the published revision's, so running sync twice, or syncing a
    folder that export just wrote, changes nothing.
    """
    data = {
        "title": source.title, "summary": source.summary.strip(),
        "version": source.version_label, "job_roles": sorted(source.job_roles),
        "levels": sorted(source.levels), "cover": source.cover_name,
        "self_enrol": source.self_enrol,
        "modules": [
            {"title": module.title, "items": [item_fingerprint(item) for item in module.items]}
            for module in source.modules
        ],
        "assets": {name: hashlib.sha256(data).hexdigest()
                   for name, (_type, data) in sorted(source.assets.items())},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def item_fingerprint(item) -> dict:
    """The fields of an item (source or model) that define what learners get."""
    return {
        "key": item.key, "kind": item.kind, "title": item.title, "minutes": item.minutes,
        "required": item.required, "requires": list(item.requires or []),
        "body": (item.body or "").strip(), "url": item.url,
        "settings": dict(item.settings or {}),
    }


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping as ``__line__``."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {
            key.value: key.start_mark.line + 1 for key, _value in node.value
            if isinstance(key, yaml.ScalarNode)
        }
        return mapping


def _line(data: dict, name: str) -> int:
    """The line of field ``name`` in a mapping read by _LineLoader (else the mapping's)."""
    return data.get("__lines__", {}).get(name, data.get("__line__", 1))


class _Reader:
    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[SourceProblem] = []
        self.course_file = f"{folder.name}/course.yml"

    def problem(self, line: int | None, reason: str, file: str | None = None) -> None:
        self.problems.append(SourceProblem(file or self.course_file, line, reason))

    def read_text(self, name: str, line: int) -> str | None:
        path = self.safe_path(name, line)
        if path is None:
            return None
        try:
            return path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            self.problem(None, "not UTF-8 text", f"{self.folder.name}/{name}")
            return None

    def safe_path(self, name: str, line: int) -> Path | None:
        """The file ``name`` inside the folder, refusing paths that climb out of it."""
        if not isinstance(name, str) or not name.strip():
            self.problem(line, "a file name is required")
            return None
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            self.problem(line, f"{name!r} is outside the course folder")
            return None
        if not path.is_file():
            self.problem(line, f"file {name!r} not found")
            return None
        return path


def read_course_folder(folder: Path, known_job_roles: set[str] | None = None) -> CourseSource:
    """Read and check one course folder; raise CourseSourceError listing every problem."""
    reader = _Reader(folder)
    course_path = folder / "course.yml"
    if not course_path.is_file():
        raise CourseSourceError([SourceProblem(reader.course_file, None, "course.yml not found")])
    try:
        data = yaml.load(course_path.read_bytes().decode("utf-8-sig"), Loader=_LineLoader)
    except UnicodeDecodeError:
        raise CourseSourceError(
            [SourceProblem(reader.course_file, None, "not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
        raise CourseSourceError(
            [SourceProblem(reader.course_file, mark.line + 1 if mark else None, reason)]
        ) from None
    if not isinstance(data, dict):
        raise CourseSourceError([SourceProblem(reader.course_file, 1, "expected a mapping")])
    source = _read_course(reader, data, known_job_roles)
    if reader.problems:
        raise CourseSourceError(reader.problems)
    return source


def _read_course(reader: _Reader, data: dict, known_job_roles: set[str] | None) -> CourseSource:
    line = data.get("__line__", 1)
    for unknown in sorted(set(data) - COURSE_FIELDS - {"__line__", "__lines__"}):
        reader.problem(_line(data, unknown), f"unknown field {unknown!r}")
    code = str(data.get("code", ""))
    if not CODE_PATTERN.match(code):
        reader.problem(_line(data, "code"), "code must be lower-case letters, digits and hyphens")
    elif code != reader.folder.name:
        reader.problem(_line(data, "code"),
                       f"code {code!r} differs from the folder name {reader.folder.name!r}")
    title = _text(reader, data, "title", _line(data, "title"), required=True)
    audience = data.get("audience") or {}
    if not isinstance(audience, dict):
        reader.problem(line, "audience must be a mapping with job_roles and levels")
        audience = {}
    job_roles = _string_list(reader, audience.get("job_roles"), "audience.job_roles",
                             _line(audience, "job_roles"))
    if known_job_roles is not None:
        for code_ in job_roles:
            if code_ not in known_job_roles:
                reader.problem(_line(audience, "job_roles"), f"unknown job role {code_!r}")
    levels = _string_list(reader, audience.get("levels"), "audience.levels",
                          _line(audience, "levels"))
    for level in levels:
        if level not in LEVELS:
            reader.problem(_line(audience, "levels"),
                           f"unknown level {level!r} (use {', '.join(LEVELS)})")
    source = CourseSource(
        code=code, title=title, summary=str(data.get("summary") or "").strip(),
        version_label=str(data.get("version", "1.0")), job_roles=job_roles, levels=levels,
        self_enrol=bool(data.get("self_enrol", False)),
    )
    cover = data.get("cover")
    if cover:
        source.cover_name = _asset(reader, source, str(cover), _line(data, "cover"))
    modules = data.get("modules")
    if not isinstance(modules, list) or not modules:
        reader.problem(line, "a course needs a list of modules")
        return source
    for module_data in modules:
        if not isinstance(module_data, dict):
            reader.problem(line, "every module must be a mapping with a title and items")
            continue
        source.modules.append(_read_module(reader, source, module_data))
    _check_keys(reader, source)
    return source


def _read_module(reader: _Reader, source: CourseSource, data: dict) -> ModuleSource:
    line = data["__line__"]
    module = ModuleSource(title=_text(reader, data, "title", line, required=True))
    items = data.get("items")
    if not isinstance(items, list) or not items:
        reader.problem(line, f"module {module.title!r} has no items")
        return module
    for item_data in items:
        if not isinstance(item_data, dict):
            reader.problem(line, "every item must be a mapping")
            continue
        item = _read_item(reader, source, item_data)
        if item is not None:
            # Kept until the whole course is read, to report key problems at their lines.
            item.settings["line"] = (_line(item_data, "key"), _line(item_data, "requires"))
            module.items.append(item)
    return module


def _read_item(reader: _Reader, source: CourseSource, data: dict) -> ItemSource | None:
    line = data["__line__"]
    for unknown in sorted(set(data) - ITEM_FIELDS - {"__line__", "__lines__"}):
        reader.problem(_line(data, unknown), f"unknown field {unknown!r}")
    key = str(data.get("key", ""))
    if not KEY_PATTERN.match(key):
        reader.problem(_line(data, "key"), "key must be lower-case letters, digits, '-' or '_'")
    kind_name = data.get("kind")
    if kind_name not in ITEM_KINDS:
        reader.problem(_line(data, "kind"),
                       f"unknown kind {kind_name!r} (use {', '.join(ITEM_KINDS)})")
        return None
    minutes = data.get("minutes", 10)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 < minutes <= 600:
        reader.problem(_line(data, "minutes"), "minutes must be a whole number from 1 to 600")
        minutes = 10
    item = ItemSource(
        key=key, kind=kind_name,
        title=_text(reader, data, "title", _line(data, "title"), required=True),
        minutes=minutes, required=bool(data.get("required", True)),
        requires=_string_list(reader, data.get("requires"), "requires",
                              _line(data, "requires")),
    )
    if kind_name == "quiz":
        item.settings.update(settings_from_course_yml(data))
        item.settings.setdefault("pass_mark", 60)
    else:
        for setting in sorted(set(QUIZ_SETTING_KEYS) & set(data)):
            reader.problem(_line(data, setting), f"{setting!r} is a quiz setting; "
                                                 f"a {kind_name} does not take it")
    name = data.get("source")
    line = _line(data, "source") if name else _line(data, "url") if data.get("url") else line
    if kind_name == "resource":
        item.url = str(data["url"]).strip() if data.get("url") else None
        if name and not item.url:
            item.settings["asset"] = _asset(reader, source, str(name), line)
    elif name:
        item.source_name = str(name)
        item.body = reader.read_text(item.source_name, line) or ""
        if kind_name == "lesson":
            _read_lesson_images(reader, source, item)
    else:
        reader.problem(line, f"a {kind_name} needs a source file")
        return item
    file_name = f"{reader.folder.name}/{item.source_name}" if item.source_name else None
    settings = {k: v for k, v in item.settings.items() if k != "line"}
    for reason in ITEM_KINDS[kind_name].validate(item.body, item.url, settings):
        reader.problem(None if file_name else line, reason, file_name)
    return item


def _read_lesson_images(reader: _Reader, source: CourseSource, item: ItemSource) -> None:
    for number, text in enumerate(item.body.splitlines(), start=1):
        for target in IMAGE_REFERENCE.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("/"):
                continue
            before = len(reader.problems)
            _asset(reader, source, target, number)
            # Report the lesson file, not course.yml, for a missing image.
            for problem in reader.problems[before:]:
                problem.file = f"{reader.folder.name}/{item.source_name}"


def _asset(reader: _Reader, source: CourseSource, name: str, line: int) -> str | None:
    name = name.strip().removeprefix("./")
    content_type = ASSET_TYPES.get(Path(name).suffix.lower())
    if content_type is None:
        reader.problem(line, f"{name!r}: unsupported file type "
                             f"(use {', '.join(sorted(ASSET_TYPES))})")
        return None
    path = reader.safe_path(name, line)
    if path is None:
        return None
    source.assets[name] = (content_type or mimetypes.guess_type(name)[0], path.read_bytes())
    return name


def _check_keys(reader: _Reader, source: CourseSource) -> None:
    seen: set[str] = set()
    for item in source.items():
        key_line, requires_line = item.settings.get("line", (None, None))
        if item.key in seen:
            reader.problem(key_line, f"key {item.key!r} is used twice")
        for required in item.requires:
            if required not in seen:
                reader.problem(requires_line, f"item {item.key!r} requires {required!r}, "
                                              "which is not an earlier item of the course")
        seen.add(item.key)
    for item in source.items():
        item.settings.pop("line", None)


def _text(reader: _Reader, data: dict, name: str, line: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None or not str(value).strip():
        if required:
            reader.problem(line, f"{name} is required")
        return ""
    value = str(value).strip()
    if len(value) > 200:
        reader.problem(line, f"{name} is longer than 200 characters")
    return value


def _string_list(reader: _Reader, value, name: str, line: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader.problem(line, f"{name} must be a list of names")
        return []
    return list(value)
