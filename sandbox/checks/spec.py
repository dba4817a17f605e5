"""Reading checks as a trainer wrote them: validation with clear reasons, then a compiled form.

A check is plain data (parsed YAML). It is checked against the whitelist in ``schema.py``
and turned into the dataclasses below; nothing in it is ever evaluated as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from flask_babel import gettext as _

from sandbox import seed_data
from sandbox.checks.schema import (
    ACTIVITY,
    ALL_OPERATORS,
    BOOLEAN,
    DATE,
    DATETIME,
    DOCUMENT_TYPES,
    NUMBER,
    OPERATORS_BY_KIND,
    TEXT,
    Children,
    DocumentType,
    Field,
)
from sandbox.checks.values import (
    INVALID,
    CheckSpecError,
    convert_value,
    kind_reason,
    parse_checks_yaml,
)

LEARNER = "learner"
PERSONA_CODES = tuple(code for code, *_rest in seed_data.USERS)
ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
# Keys the exercise layer keeps beside a check (points, hint …): allowed, ignored here.
EXERCISE_KEYS = ("points", "hint", "title", "id")
CHECK_KEYS = ("description", "document", "activity", "where", "created_after_start",
              "after_start", "by_persona", "action", "expect")
COUNT_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class FieldRef:
    name: str
    field: Field


@dataclass
class Condition:
    name: str
    field: Field
    op: str
    value: Any


@dataclass
class LineCondition:
    key: str
    children: Children
    negate: bool
    conditions: list


@dataclass
class Action:
    name: str
    after_start: bool = True
    by_persona: str | None = None


@dataclass
class Expect:
    kind: str  # exists | count | sum | value
    field_name: str | None = None
    field: Field | None = None
    comparisons: list[tuple[str, Any]] = dc_field(default_factory=list)


@dataclass
class Check:
    index: int
    description: str | None
    type: DocumentType
    conditions: list
    after_start: bool = False
    by_persona: str | None = None
    action: Action | None = None
    expect: Expect = dc_field(default_factory=lambda: Expect("exists"))
    activity: str | None = None


def validate_checks(spec: Any) -> list[CheckSpecError]:
    """Every problem in a list of checks (an empty list when all are valid)."""
    return compile_checks(spec)[1]


def compile_checks(spec: Any) -> tuple[list[Check | None], list[CheckSpecError]]:
    """The checks in compiled form (None where a check is invalid) and the problems found."""
    if isinstance(spec, str):
        try:
            spec = parse_checks_yaml(spec)
        except CheckSpecError as error:
            return [], [error]
    if spec is None:
        return [], []
    if not isinstance(spec, list):
        return [], [CheckSpecError(None, _("The checks must be a list, one item per check "
                                           "(each starting with “- ”)."))]
    compiled, errors = [], []
    for index, item in enumerate(spec):
        reader = _CheckReader(index)
        check = reader.read(item)
        errors.extend(reader.errors)
        compiled.append(check if not reader.errors else None)
    return compiled, errors


def _choices(values) -> str:
    return ", ".join(sorted(values))


class _CheckReader:
    def __init__(self, index: int) -> None:
        self.index = index
        self.errors: list[CheckSpecError] = []

    def error(self, reason: str, *path: str) -> None:
        self.errors.append(CheckSpecError(self.index, reason, " → ".join(p for p in path if p)))

    def read(self, item: Any) -> Check | None:
        if not isinstance(item, dict):
            self.error(_("a check must be a mapping of keys such as document, where, expect."))
            return None
        for key in item:
            if key not in CHECK_KEYS and key not in EXERCISE_KEYS:
                self.error(_("unknown key “%(key)s”; the keys of a check are: %(keys)s.",
                             key=key, keys=", ".join(CHECK_KEYS)))
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            self.error(_("the description must be text."), "description")
            description = None
        if ("document" in item) == ("activity" in item):
            self.error(_("a check names either a document type (document: …) or an action "
                         "(activity: …), exactly one of them."))
            return None
        if "activity" in item:
            return self.read_activity(item, description)
        return self.read_document(item, description)

    def read_document(self, item: dict, description: str | None) -> Check | None:
        name = item["document"]
        doc_type = DOCUMENT_TYPES.get(name) if isinstance(name, str) else None
        if doc_type is None:
            self.error(_("unknown document type “%(name)s”; known types: %(types)s.",
                         name=name, types=_choices(DOCUMENT_TYPES)), "document")
            return None
        if "after_start" in item:
            self.error(_("for a document, write created_after_start (after_start belongs to "
                         "an activity or action)."), "after_start")
        check = Check(self.index, description, doc_type,
                      self.read_where(doc_type, item.get("where")))
        check.after_start = self.read_flag(item, "created_after_start", False)
        if check.after_start and doc_type.created_column is None:
            self.error(_("%(type)s has no creation time; to require a change after the start, "
                         "add an action (action: …).", type=name), "created_after_start")
        check.by_persona = self.read_persona(item.get("by_persona"), "by_persona")
        if check.by_persona and doc_type.persona_column is None:
            self.error(_("%(type)s records no persona; put by_persona under action: instead.",
                         type=name), "by_persona")
        if "action" in item:
            check.action = self.read_action(item["action"])
        check.expect = self.read_expect(doc_type, item.get("expect"))
        return check

    def read_activity(self, item: dict, description: str | None) -> Check | None:
        action = item["activity"]
        if not isinstance(action, str) or not ACTION_PATTERN.match(action):
            self.error(_("an action is written like sales_order.approve (lower case, dots)."),
                       "activity")
            return None
        for key in ("document", "created_after_start", "action"):
            if key in item:
                self.error(_("“%(key)s” does not apply to an activity check.", key=key), key)
        check = Check(self.index, description, ACTIVITY,
                      self.read_where(ACTIVITY, item.get("where")), activity=action)
        check.after_start = self.read_flag(item, "after_start", True)
        check.by_persona = self.read_persona(item.get("by_persona"), "by_persona")
        check.expect = self.read_expect(ACTIVITY, item.get("expect"))
        return check

    def read_flag(self, item: dict, key: str, default: bool) -> bool:
        value = item.get(key, default)
        if not isinstance(value, bool):
            self.error(_("%(key)s is true or false.", key=key), key)
            return default
        return value

    def read_persona(self, value: Any, *path: str) -> str | None:
        if value is None:
            return None
        if value == LEARNER or value in PERSONA_CODES:
            return value
        self.error(_("unknown persona “%(value)s”; write learner (the learner's persona) or "
                     "one of: %(codes)s.", value=value, codes=", ".join(PERSONA_CODES)), *path)
        return None

    def read_action(self, value: Any) -> Action | None:
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict) or not isinstance(value.get("name"), str) \
                or not ACTION_PATTERN.match(value["name"]):
            self.error(_("an action is written like sales_order.approve, or as a mapping with "
                         "name, after_start and by_persona."), "action")
            return None
        for key in value:
            if key not in ("name", "after_start", "by_persona"):
                self.error(_("unknown key “%(key)s”; the keys of a check are: %(keys)s.",
                             key=key, keys="name, after_start, by_persona"), "action")
        return Action(value["name"], self.read_flag(value, "after_start", True),
                      self.read_persona(value.get("by_persona"), "action", "by_persona"))

    # Conditions ------------------------------------------------------------------------
    def read_where(self, doc_type: DocumentType, where: Any) -> list:
        if where is None:
            return []
        if not isinstance(where, dict):
            self.error(_("where is a mapping of field: condition."), "where")
            return []
        conditions: list = []
        for name, value in where.items():
            negate = isinstance(name, str) and name.startswith("no_")
            key = name[3:] if negate else name
            if key in doc_type.children:
                conditions.extend(self.read_lines(doc_type.children[key], name, negate, value))
            elif name in doc_type.fields:
                conditions.extend(self.read_condition(doc_type.fields, name, value, "where"))
            else:
                allowed = list(doc_type.fields) + [k for c in doc_type.children
                                                   for k in (c, "no_" + c)]
                self.error(_("unknown field “%(field)s” for %(type)s; its fields are: "
                             "%(fields)s.", field=name, type=doc_type.name,
                             fields=", ".join(allowed)), "where")
        return conditions

    def read_lines(self, children: Children, key: str, negate: bool, value: Any) -> list:
        items = value if isinstance(value, list) else [value]
        result = []
        for item in items:
            if not isinstance(item, dict) or not item:
                self.error(_("%(key)s takes a mapping of line conditions, or a list of them.",
                             key=key), "where", key)
                continue
            conditions = []
            for name, condition in item.items():
                if name not in children.fields:
                    self.error(_("unknown field “%(field)s” for %(type)s; its fields are: "
                                 "%(fields)s.", field=name, type=key,
                                 fields=", ".join(children.fields)), "where", key)
                    continue
                conditions.extend(self.read_condition(children.fields, name, condition,
                                                      "where", key))
            result.append(LineCondition(key, children, negate, conditions))
        return result

    def read_condition(self, fields: dict[str, Field], name: str, value: Any,
                       *path: str) -> list[Condition]:
        spec = fields[name]
        if isinstance(value, list):
            value = {"in": value}
        if not isinstance(value, dict) or set(value) == {"field"}:
            value = {"eq": value}
        conditions = []
        for op, operand in value.items():
            if op not in OPERATORS_BY_KIND[spec.kind]:
                reason = (_("unknown operator “%(op)s”; operators are: %(ops)s.", op=op,
                            ops=", ".join(ALL_OPERATORS)) if op not in ALL_OPERATORS else
                          _("operator “%(op)s” does not apply to a %(kind)s field; use one of: "
                            "%(ops)s.", op=op, kind=spec.kind,
                            ops=", ".join(OPERATORS_BY_KIND[spec.kind])))
                self.error(reason, *path, name)
                continue
            converted = self.operand(fields, spec, op, operand, *path, name)
            if converted is not INVALID:
                conditions.append(Condition(name, spec, op, converted))
        return conditions

    def operand(self, fields, spec: Field, op: str, operand: Any, *path: str):
        if isinstance(operand, dict) and set(operand) == {"field"}:
            other = fields.get(operand["field"]) if isinstance(operand["field"], str) else None
            if other is None or other.kind != spec.kind or spec.kind not in (NUMBER, DATE,
                                                                             DATETIME) \
                    or op in ("in", "contains"):
                self.error(_("{field: …} compares with another number or date field of the "
                             "same row; “%(value)s” is not one.", value=operand["field"]), *path)
                return INVALID
            return FieldRef(operand["field"], other)
        if op == "in":
            if not isinstance(operand, list) or not operand:
                self.error(_("in takes a list of values, e.g. [confirmed, delivered]."), *path)
                return INVALID
            values = [convert_value(spec.kind, item) for item in operand]
            if any(v is INVALID or v is None for v in values):
                self.error(kind_reason(spec.kind, operand), *path)
                return INVALID
            return values
        if op == "contains" and not isinstance(operand, str):
            self.error(_("contains takes a piece of text."), *path)
            return INVALID
        if operand is None and op in ("eq", "ne"):
            return None
        value = convert_value(spec.kind, operand)
        if value is INVALID:
            self.error(kind_reason(spec.kind, operand), *path)
        return value

    # Expectations -----------------------------------------------------------------------
    def read_expect(self, doc_type: DocumentType, value: Any) -> Expect:
        if value is None or value == "exists":
            return Expect("exists")
        if not isinstance(value, dict) or len(value) != 1 \
                or next(iter(value)) not in ("count", "sum", "value"):
            self.error(_("expect is exists, {count: …}, {sum: {field: …, …}} or "
                         "{value: {field: …, …}}."), "expect")
            return Expect("exists")
        kind, body = next(iter(value.items()))
        if kind == "count":
            body = body if isinstance(body, dict) else {"eq": body}
            return Expect("count", comparisons=self.comparisons(body, COUNT_OPERATORS,
                                                                NUMBER, "expect", "count"))
        if not isinstance(body, dict) or not isinstance(body.get("field"), str):
            self.error(_("%(kind)s needs the field to look at: {field: …, eq: …}.", kind=kind),
                       "expect", kind)
            return Expect("exists")
        name = body["field"]
        spec = doc_type.fields.get(name)
        allowed = (NUMBER,) if kind == "sum" else (TEXT, NUMBER, DATE, DATETIME, BOOLEAN)
        if spec is None or spec.kind not in allowed:
            usable = [n for n, f in doc_type.fields.items() if f.kind in allowed]
            self.error(_("“%(field)s” cannot be used here; fields that can: %(fields)s.",
                         field=name, fields=", ".join(usable)) if usable else
                       _("“%(field)s” cannot be used here; %(type)s has no field for %(kind)s.",
                         field=name, type=doc_type.name, kind=kind), "expect", kind)
            return Expect("exists")
        ops = {k: v for k, v in body.items() if k != "field"}
        if not ops:
            self.error(_("%(kind)s needs a comparison such as eq: 35.", kind=kind),
                       "expect", kind)
        return Expect(kind, name, spec, self.comparisons(ops, OPERATORS_BY_KIND[spec.kind],
                                                         spec.kind, "expect", kind))

    def comparisons(self, body: dict, allowed, kind: str, *path: str) -> list:
        result = []
        for op, operand in body.items():
            if op not in allowed:
                self.error(_("operator “%(op)s” does not apply to a %(kind)s field; use one of: "
                             "%(ops)s.", op=op, kind=kind, ops=", ".join(allowed)), *path)
                continue
            value = (convert_value(kind, operand) if op != "in" or not isinstance(operand, list)
                     else [convert_value(kind, item) for item in operand])
            if value is INVALID or (isinstance(value, list) and INVALID in value):
                self.error(kind_reason(kind, operand), *path)
                continue
            result.append((op, value))
        return result


