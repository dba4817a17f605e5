"""The demo operation manual (manuals/erp-operation) is consistent: both releases load, every
cross-reference and every lesson link lands on a heading that exists, every image is captured
by screenshots.yml, and 1.0 → 1.1 changes exactly what its release notes say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.publishing.diff import ChapterText, compare_versions
from lms.publishing.rendering import render_chapter
from lms.publishing.screenshots import read_screenshot_specs
from lms.publishing.services import DEFAULT_MANUALS_PATH, read_releases
from lms.publishing.source import image_references, read_manual_folder

FOLDER = DEFAULT_MANUALS_PATH / "erp-operation"
COURSES = Path(__file__).resolve().parents[2] / "courses"
CROSS_REFERENCE = re.compile(r"\]\(([a-z0-9-]+)\.md(?:#([^)\s]+))?\)")
LESSON_LINK = re.compile(r"\]\(manual:erp-operation(?:#([^)\s]+))?\)")


def _anchors(source) -> dict[str, set[str]]:
    slugs, paths = {c.slug for c in source.chapters}, set(source.assets)
    return {c.slug: {h.anchor for h in render_chapter(c.source, slugs, paths).headings}
            for c in source.chapters}


@pytest.fixture(scope="module")
def releases():
    history = read_releases(FOLDER)
    assert [r["version"] for r in history] == ["1.0", "1.1"]
    return {r["version"]: read_manual_folder(FOLDER, FOLDER / r["from"] if r.get("from")
                                             else None) for r in history}


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_cross_references_land_on_headings(releases, version):
    source = releases[version]
    anchors = _anchors(source)
    found = 0
    for chapter in source.chapters:
        for slug, anchor in CROSS_REFERENCE.findall(chapter.source):
            assert slug in anchors, (chapter.filename, slug)
            assert not anchor or anchor in anchors[slug], (chapter.filename, slug, anchor)
            found += 1
    assert found >= 3


def test_lesson_links_land_on_headings_of_the_latest_version(releases):
    anchors = set().union(*_anchors(releases["1.1"]).values())
    links = [(path.name, anchor) for path in COURSES.glob("*/lessons/*.md")
             for anchor in LESSON_LINK.findall(path.read_text(encoding="utf-8"))]
    assert len(links) >= 5
    for lesson, anchor in links:
        assert not anchor or anchor in anchors, (lesson, anchor)


def test_every_image_is_a_captured_screenshot(releases):
    captured = {spec.file for spec in read_screenshot_specs(FOLDER)}
    shown = {path for chapter in releases["1.1"].chapters
             for _line, path in image_references(chapter.source)}
    assert shown and shown <= captured
    assert captured == set(releases["1.1"].assets)


def test_release_1_1_changes_purchasing_and_administration(releases):
    def texts(source):
        slugs, paths = {c.slug for c in source.chapters}, set(source.assets)
        return [ChapterText(c.slug, c.slug, render_chapter(c.source, slugs, paths).html)
                for c in source.chapters]

    changes = compare_versions(texts(releases["1.0"]), texts(releases["1.1"]))
    assert {c.slug for c in changes if c.status != "unchanged"} == {"purchasing",
                                                                   "administration"}
    purchasing = next(c for c in changes if c.slug == "purchasing")
    added = [b for b in purchasing.blocks if b.status == "added" and b.new.kind == "heading"]
    assert any(b.new.text == "审批被退回后怎么办" for b in added)
    inline = "".join(str(b.inline) for b in purchasing.blocks)
    assert "财务<del>人员</del><ins>经理</ins>" in re.sub(r"<span[^>]*>[^<]*</span>", "", inline)
