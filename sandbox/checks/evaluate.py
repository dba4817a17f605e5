"""Running compiled checks against one sandbox: SQL through the context, and the messages.

Every query goes through ``ctx`` (scoped to its sandbox); subqueries name the sandbox too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, literal, not_, or_, select
from sqlalchemy.orm import aliased

from sandbox.checks.schema import CODE, DOCTYPE, DOCUMENT_TYPES, DocumentType
from sandbox.checks.spec import LEARNER, Check, Condition, FieldRef, LineCondition
from sandbox.checks.values import START, TODAY
from sandbox.models import SbActivity
from sandbox.seed import company_today
from sandbox.tenancy import SandboxContext

SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
SHOWN_NUMBERS = 5
TYPE_NAMES = {doc_type.model.__name__: name for name, doc_type in DOCUMENT_TYPES.items()}


@dataclass
class CheckResult:
    passed: bool
    message: str
    description: str


@dataclass
class _Run:
    ctx: SandboxContext
    started_at: datetime
    learner: str | None

    # Values ---------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if value is TODAY:
            return company_today()
        if value is START:
            return self.started_at
        return value

    def persona(self, value: str) -> str | None:
        return self.learner if value == LEARNER else value

    # SQL ------------------------------------------------------------------------------
    def condition(self, model, cond: Condition | LineCondition):
        if isinstance(cond, LineCondition):
            child = cond.children.model
            sub = select(child.id).where(child.sandbox_id == self.ctx.sandbox_id,
                                         getattr(child, cond.children.parent_key) == model.id,
                                         *[self.condition(child, c) for c in cond.conditions])
            return not_(exists(sub)) if cond.negate else exists(sub)
        column = cond.field.expression(model)
        if cond.field.kind == CODE:
            return self.code_condition(column, cond)
        value = cond.value
        if isinstance(value, FieldRef):
            value = value.field.expression(model)
        return compare(column, cond.op, self.resolve(value) if not isinstance(value, list)
                       else value)

    def code_condition(self, column, cond: Condition):
        if cond.value is None:
            return column.is_(None) if cond.op == "eq" else column.is_not(None)
        target = aliased(cond.field.target)
        code = getattr(target, cond.field.target_code)
        matching = code.in_(cond.value) if cond.op == "in" else code == cond.value
        ids = select(target.id).where(target.sandbox_id == self.ctx.sandbox_id, matching)
        if cond.op == "ne":
            return or_(column.is_(None), column.not_in(ids))
        return column.in_(ids)

    def time_and_persona(self, check: Check) -> list:
        doc_type, model = check.type, check.type.model
        filters = []
        if check.after_start:
            filters.append(getattr(model, doc_type.created_column) >= self.started_at)
            if doc_type.name == "stock_move":
                filters.append(model.kind != "opening")
            elif doc_type.name in DOCUMENT_TYPES:
                # Seeded documents have no activity; a created one was logged when it was made.
                filters.append(self.logged(check.type, after_start=True))
        if check.by_persona:
            filters.append(getattr(model, doc_type.persona_column)
                           == self.persona(check.by_persona))
        if check.action:
            action = check.action
            filters.append(self.logged(check.type, action.name, action.after_start,
                                       self.persona(action.by_persona)
                                       if action.by_persona else None))
        if check.activity:
            filters.append(model.action == check.activity)
        return filters

    def logged(self, doc_type: DocumentType, action: str | None = None,
               after_start: bool = False, persona: str | None = None):
        """An activity-log row about the document (matched by id, or by number)."""
        model = doc_type.model
        about = model.id == SbActivity.document_id
        if doc_type.number_column == "number":
            about = or_(about, model.number == SbActivity.document_number)
        where = [SbActivity.sandbox_id == self.ctx.sandbox_id,
                 SbActivity.document_type == literal(model.__name__), about]
        if action:
            where.append(SbActivity.action == action)
        if after_start:
            where.append(SbActivity.created_at >= self.started_at)
        if persona:
            where.append(SbActivity.persona == persona)
        return exists(select(SbActivity.id).where(*where))

    def count(self, model, filters) -> int:
        return self.ctx.scalar(select(func.count()).select_from(model).where(*filters)) or 0

    # One check --------------------------------------------------------------------------
    def run(self, check: Check) -> CheckResult:
        description = check.description or describe(check, self)
        if (check.by_persona == LEARNER or (check.action and check.action.by_persona == LEARNER)) \
                and not self.learner:
            return CheckResult(False, _("The learner's persona is not known, so this step "
                                        "cannot be checked."), description)
        model = check.type.model
        where = [self.condition(model, c) for c in check.conditions]
        matching = where + self.time_and_persona(check)
        total = self.count(model, [])
        found = self.count(model, matching)
        expected = describe(check, self)
        kind = check.expect.kind
        if kind == "count":
            ok = all(compare_values(Decimal(found), op, v) for op, v in check.expect.comparisons)
            message = _("Expected %(count)s %(what)s; found %(found)s.", what=expected,
                        count=comparisons_text(check.expect.comparisons), found=found)
            return CheckResult(ok, message, description)
        if kind == "exists" and found:
            return CheckResult(True, _("Found %(what)s: %(numbers)s.", what=expected,
                                       numbers=self.numbers(check, matching, found)),
                               description)
        if not found:
            return CheckResult(False, self.none_found(check, expected, where, total),
                               description)
        values = list(self.ctx.scalars(select(check.expect.field.expression(model))
                                       .where(*matching)))
        field_name = check.expect.field_name
        wanted = comparisons_text(check.expect.comparisons)
        if kind == "sum":
            value = sum((Decimal(v) for v in values if v is not None), Decimal("0"))
            message = _("Expected the sum of %(field)s %(wanted)s over %(what)s; it is "
                        "%(value)s (%(found)s found).", field=field_name, what=expected,
                        wanted=wanted, value=show(value), found=found)
        elif found > 1:
            return CheckResult(False, _("Expected exactly one %(what)s to read %(field)s from; "
                                        "found %(found)s: %(numbers)s.", what=expected,
                                        field=field_name, found=found,
                                        numbers=self.numbers(check, matching, found)),
                               description)
        else:
            value = values[0]
            message = _("Expected %(field)s %(wanted)s for %(what)s; it is %(value)s.",
                        field=field_name, what=expected, wanted=wanted, value=show(value))
        ok = value is not None and all(compare_values(value, op, self.resolve(v))
                                       for op, v in check.expect.comparisons)
        return CheckResult(ok, message, description)

    def none_found(self, check: Check, expected: str, where: list, total: int) -> str:
        near = self.count(check.type.model, where) if (check.after_start or check.by_persona
                                                       or check.action) else 0
        if near:
            return _("Expected %(what)s; found none. %(near)s of the %(total)s %(types)s match "
                     "the conditions, but not when, by whom or the logged action.",
                     what=expected, near=near, total=total, types=check.type.plural)
        return _("Expected %(what)s; found none (%(total)s %(types)s in this sandbox).",
                 what=expected, total=total, types=check.type.plural)

    def numbers(self, check: Check, matching: list, found: int) -> str:
        column = check.type.number_column
        if column is None:
            return str(found)
        model = check.type.model
        shown = list(self.ctx.scalars(select(getattr(model, column)).where(*matching)
                                      .order_by(model.id).limit(SHOWN_NUMBERS)))
        text = ", ".join(str(n) for n in shown if n)
        return text + (" …" if found > SHOWN_NUMBERS else "") if text else str(found)


def compare(column, op: str, value):
    if value is None:
        return column.is_(None) if op == "eq" else column.is_not(None)
    if op == "eq":
        return column == value
    if op == "ne":
        return or_(column != value, column.is_(None))
    if op == "in":
        return column.in_(value)
    if op == "contains":
        return column.contains(value, autoescape=True)
    return {"gt": column > value, "gte": column >= value, "lt": column < value,
            "lte": column <= value}[op]


def compare_values(actual, op: str, value) -> bool:
    if isinstance(actual, float | int) and not isinstance(actual, bool):
        actual = Decimal(str(actual))
    if op == "in":
        return actual in value
    if op == "contains":
        return value in (actual or "")
    return {"eq": lambda: actual == value, "ne": lambda: actual != value,
            "gt": lambda: actual > value, "gte": lambda: actual >= value,
            "lt": lambda: actual < value, "lte": lambda: actual <= value}[op]()


def show(value: Any) -> str:
    if isinstance(value, Decimal):
        text = f"{value:,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if value is None:
        return "—"
    if value is TODAY:
        return _("today")
    if value is START:
        return _("the start of the exercise")
    return str(value)


def comparison_text(op: str, value: Any) -> str:
    if isinstance(value, FieldRef):
        shown = value.name
    else:
        shown = show(value)
    if op == "in":
        return _("one of %(values)s", values=shown)
    if op == "contains":
        return _("containing “%(text)s”", text=shown)
    if value is None:
        return _("empty") if op == "eq" else _("not empty")
    return f"{SYMBOLS[op]} {shown}"


def comparisons_text(comparisons: list) -> str:
    return _(" and ").join(comparison_text(op, value) for op, value in comparisons)


def conditions_text(conditions: list, joiner: str = ", ") -> str:
    parts = []
    for cond in conditions:
        if isinstance(cond, LineCondition):
            label = cond.children.none_label if cond.negate else cond.children.label
            parts.append(_("%(what)s with %(conditions)s", what=label,
                           conditions=conditions_text(cond.conditions, _(" and "))))
        else:
            value = cond.value
            if cond.field.kind == DOCTYPE:  # shown as written: sales_order, not SalesOrder
                value = ([TYPE_NAMES.get(v, v) for v in value] if isinstance(value, list)
                         else TYPE_NAMES.get(value, value))
            parts.append(f"{cond.name} {comparison_text(cond.op, value)}")
    return joiner.join(parts)


def describe(check: Check, run: _Run | None = None) -> str:
    """What the check expects, in words (in the user's language)."""
    plural = check.expect.kind in ("count", "sum")
    label = check.type.plural if plural else check.type.label
    if check.activity:
        text = (_("logged actions %(action)s", action=check.activity) if plural
                else _("the action %(action)s", action=check.activity))
    else:
        text = str(label)
    if check.conditions:
        text = _("%(what)s with %(conditions)s", what=text,
                 conditions=conditions_text(check.conditions))
    parts = [text]

    def persona_text(value: str) -> str:
        if value == LEARNER:
            code = run.learner if run else None
            return (_("by the learner's persona (%(code)s)", code=code) if code
                    else _("by the learner's persona"))
        return _("by %(persona)s", persona=value)

    if check.after_start:
        parts.append(_("done after the exercise started") if check.activity
                     else _("created after the exercise started"))
    if check.by_persona:
        parts.append(persona_text(check.by_persona))
    if check.action:
        action = [_("with %(action)s logged", action=check.action.name)]
        if check.action.after_start:
            action.append(_("after the exercise started"))
        if check.action.by_persona:
            action.append(persona_text(check.action.by_persona))
        parts.append(" ".join(action))
    return ", ".join(parts)
