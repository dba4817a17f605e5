"""A draft's outline: adding, renaming, moving and deleting its modules and items.

Like ``services``, each function flushes and the caller commits. Positions are kept as
1, 2, 3 … inside each module, so reading order is (module position, item position).
"""

from __future__ import annotations

import re
import unicodedata

from lms.catalog.models import CourseItem, CourseModule, CourseRevision
from lms.catalog.services import item_content_hash
from lms.extensions import db

# The key column's length: a key made longer would fail on PostgreSQL (SQLite would keep it).
MAX_KEY_LENGTH = CourseItem.__table__.c.key.type.length
# Keys made from a title stay short enough to read in a URL.
MAX_TITLE_KEY_LENGTH = 50


def add_module(revision: CourseRevision, title: str) -> CourseModule:
    position = max((m.position for m in revision.modules), default=0) + 1
    module = CourseModule(position=position, title=title)
    revision.modules.append(module)
    db.session.flush()
    return module


def rename_module(module: CourseModule, title: str) -> None:
    module.title = title
    db.session.flush()


def delete_module(module: CourseModule) -> bool:
    """Delete an empty module; False (nothing done) while it still holds items."""
    if module.items:
        return False
    revision = module.revision
    revision.modules.remove(module)
    db.session.flush()
    _renumber(revision.modules)
    return True


def move_module(module: CourseModule, direction: int) -> None:
    modules = list(module.revision.modules)
    index = modules.index(module)
    target = index + direction
    if 0 <= target < len(modules):
        modules[index], modules[target] = modules[target], modules[index]
        _renumber(modules)
        db.session.flush()


def unique_item_key(revision: CourseRevision, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3`` … when taken; never longer than the column.

    The base is shortened to leave room for the number, so a 60-character key that is taken
    becomes 58 characters and ``-2``.
    """
    taken = {item.key for item in revision.items}
    base = wanted[:MAX_KEY_LENGTH]
    key, number = base, 2
    while key in taken:
        suffix = f"-{number}"
        key = base[:MAX_KEY_LENGTH - len(suffix)].rstrip("-_") + suffix
        number += 1
    return key


def item_key_for(revision: CourseRevision, kind: str, title: str, wanted: str | None) -> str:
    """A key not yet used in the revision: the one given, else one made from the title
    (ASCII, lower-case), else ``<kind>-N`` for a title with nothing ASCII in it (Chinese)."""
    if not wanted:
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        wanted = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
        wanted = wanted[:MAX_TITLE_KEY_LENGTH].strip("-")
    if wanted:
        return unique_item_key(revision, wanted)
    taken = {item.key for item in revision.items}
    number = 1
    while f"{kind}-{number}" in taken:
        number += 1
    return f"{kind}-{number}"


def add_item(module: CourseModule, kind: str, title: str, key: str) -> CourseItem:
    """A new, empty item at the end of ``module`` (its key made unique in the revision)."""
    revision = module.revision
    item = CourseItem(
        key=unique_item_key(revision, key), kind=kind, title=title, minutes=10, required=True,
        requires=[], body="", position=max((i.position for i in module.items), default=0) + 1,
        settings={"pass_mark": 60} if kind == "quiz" else {},
    )
    item.module = module
    revision.items.append(item)
    item.content_hash = item_content_hash(item)
    db.session.flush()
    return item


def delete_item(item: CourseItem) -> None:
    """Delete an item; items that required it no longer do."""
    revision, module = item.revision, item.module
    for other in revision.items:
        if item.key in other.requires:
            other.requires = [key for key in other.requires if key != item.key]
            other.content_hash = item_content_hash(other)
    module.items.remove(item)
    revision.items.remove(item)
    db.session.flush()
    _renumber(module.items)


def move_item(item: CourseItem, direction: int) -> None:
    """Move an item one place up (-1) or down (+1), across module borders at the ends."""
    modules = item.revision.modules
    module = item.module
    siblings = list(module.items)
    index = siblings.index(item)
    target = index + direction
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        _renumber(siblings)
    else:
        module_index = modules.index(module) + direction
        if not 0 <= module_index < len(modules):
            return
        other = modules[module_index]
        module.items.remove(item)
        item.module = other
        others = [i for i in other.items if i is not item]
        others = [item, *others] if direction > 0 else [*others, item]
        _renumber(others)
        _renumber(module.items)
    db.session.flush()
    # Positions changed, the loaded lists did not: load them again in their new order, so
    # whoever reads the outline next in this session (draft_problems, say) sees it.
    for touched in {module, item.module}:
        db.session.refresh(touched)


def reorder_items(revision: CourseRevision, order: list[tuple[int, int]]) -> None:
    """Apply a complete new order: (module id, item id) pairs in reading order."""
    items = {item.id: item for item in revision.items}
    modules = {module.id: module for module in revision.modules}
    if sorted(item_id for _m, item_id in order) != sorted(items) or \
            any(module_id not in modules for module_id, _i in order):
        raise ValueError("the order must list every item of the revision exactly once")
    positions: dict[int, int] = {}
    for module_id, item_id in order:
        positions[module_id] = positions.get(module_id, 0) + 1
        item = items[item_id]
        item.module = modules[module_id]
        item.position = positions[module_id]
    db.session.flush()
    for module in revision.modules:
        db.session.refresh(module)


def _renumber(rows) -> None:
    for position, row in enumerate(rows, start=1):
        row.position = position
