"""Loading course folders into the database (`lms courses sync`) and writing them back
(`lms courses export`).

Each course is loaded in its own savepoint: a course whose files are malformed is reported
and left exactly as it was, while the other courses of the same run still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.accounts.models import JobRole
from lms.assessment.settings import QUIZ_SETTING_KEYS
from lms.catalog import services
from lms.catalog.models import Course, CourseAsset, CourseRevision
from lms.catalog.source import CourseSourceError, SourceProblem, read_course_folder
from lms.extensions import db

# The project's own courses/ folder: the demo curriculum, and `lms courses sync`'s default.
DEFAULT_COURSES_PATH = Path(__file__).resolve().parents[2] / "courses"


@dataclass
class SyncResult:
    code: str
    status: str  # created / updated / unchanged / error
    problems: list[SourceProblem] = field(default_factory=list)
    revision: int | None = None


def course_folders(path: Path) -> list[Path]:
    """The folder itself if it is a course, else every course folder directly inside it."""
    if (path / "course.yml").is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / "course.yml").is_file())


def sync_courses(path: Path, actor=None, redo_changed_items: bool = False) -> list[SyncResult]:
    """Load or update every course under ``path`` and publish what changed (caller commits)."""
    known_job_roles = set(db.session.scalars(select(JobRole.code)))
    results = []
    for folder in course_folders(path):
        try:
            source = read_course_folder(folder, known_job_roles)
        except CourseSourceError as exc:
            results.append(SyncResult(folder.name, "error", exc.problems))
            continue
        course = services.find_course(source.code)
        if course is not None and course.draft_revision is not None:
            # Never overwrite a trainer's unpublished work in the web editor.
            results.append(SyncResult(source.code, "error", [SourceProblem(
                f"{folder.name}/course.yml", None,
                "the course has an unpublished draft from the web editor; "
                "publish or discard it first")]))
            continue
        if course is not None and course.published_revision is not None \
                and services.revision_digest(course.published_revision) == source.digest():
            results.append(SyncResult(source.code, "unchanged",
                                      revision=course.published_revision.number))
            continue
        status = "updated" if course is not None else "created"
        try:
            with db.session.begin_nested():
                if course is None:
                    course = Course(code=source.code)
                    db.session.add(course)
                    db.session.flush()
                services.revision_from_source(course, source, actor)
                revision = services.publish_draft(course, actor, redo_changed_items)
        except services.DraftNotReady as not_ready:
            # The reader checks what publishing does, so only a reader that missed something
            # gets here: report it like a file problem; the savepoint left the course as it was.
            results.append(SyncResult(source.code, "error", [
                SourceProblem(f"{folder.name}/course.yml", None, problem)
                for problem in not_ready.problems]))
            continue
        results.append(SyncResult(source.code, status, revision=revision.number))
    return results


def export_course(course: Course, directory: Path) -> Path:
    """Write the course's latest revision as a course folder ``directory/CODE``."""
    revision: CourseRevision = course.latest_revision
    folder = directory / course.code
    folder.mkdir(parents=True, exist_ok=True)
    assets = {a.id: a for a in db.session.scalars(
        select(CourseAsset).where(CourseAsset.id.in_(list(revision.asset_map.values()))))}
    for name, asset_id in revision.asset_map.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(assets[asset_id].data)
    modules = []
    for module in revision.modules:
        items = []
        for item in module.items:
            items.append(_export_item(folder, item))
        modules.append({"title": module.title, "items": items})
    data = {
        "code": course.code,
        "title": revision.title,
        "summary": revision.summary,
        "version": revision.version_label,
        "audience": {"job_roles": list(revision.audience_job_roles),
                     "levels": list(revision.audience_levels)},
        **({"cover": revision.cover_name} if revision.cover_name else {}),
        "self_enrol": revision.self_enrol,
        "modules": modules,
    }
    (folder / "course.yml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    return folder


_DEFAULT_FILE = {"lesson": "lessons/{key}.md", "quiz": "{key}.gift",
                 "exercise": "exercises/{key}.yml", "survey": "surveys/{key}.yml"}


def _export_item(folder: Path, item) -> dict:
    data: dict = {"key": item.key, "kind": item.kind, "title": item.title,
                  "minutes": item.minutes}
    if not item.required:
        data["required"] = False
    if item.requires:
        data["requires"] = list(item.requires)
    if item.kind == "resource":
        if item.url:
            data["url"] = item.url
        else:
            data["source"] = item.settings.get("asset")
    else:
        name = item.source_name or _DEFAULT_FILE[item.kind].format(key=item.key)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.body, encoding="utf-8")
        data["source"] = name
    for setting in QUIZ_SETTING_KEYS if item.kind == "quiz" else ():
        if setting in item.settings:
            data[setting] = item.settings[setting]
    return data
