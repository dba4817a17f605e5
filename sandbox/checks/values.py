"""Values in checks: the errors a trainer sees, YAML reading, and typed values.

Values are converted by their field's kind (text, number, date …); nothing is evaluated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from flask_babel import gettext as _

from sandbox.checks.schema import (
    BOOLEAN,
    CODE,
    DATE,
    DATETIME,
    DOCTYPE,
    DOCUMENT_TYPES,
    NUMBER,
    TEXT,
)


class CheckSpecError(ValueError):
    """A mistake in a check, found when the exercise is saved; the message is translated."""

    def __init__(self, index: int | None, reason: str, path: str = "") -> None:
        self.index, self.reason, self.path = index, reason, path
        if index is None:
            message = reason
        elif path:
            message = _("Check %(number)s (%(path)s): %(reason)s", number=index + 1, path=path,
                        reason=reason)
        else:
            message = _("Check %(number)s: %(reason)s", number=index + 1, reason=reason)
        super().__init__(message)


class Sentinel(str):
    """A value known only when the check runs: ``today`` (a date) or ``start`` (a time)."""


TODAY, START = Sentinel("today"), Sentinel("start")


def parse_checks_yaml(text: str) -> list:
    """The checks in a YAML text (a list of mappings); CheckSpecError names the bad line."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        if mark is not None:
            raise CheckSpecError(None, _("The checks are not valid YAML (line %(line)s, column "
                                         "%(column)s): %(problem)s", line=mark.line + 1,
                                         column=mark.column + 1, problem=problem)) from None
        raise CheckSpecError(None, _("The checks are not valid YAML: %(problem)s",
                                     problem=problem)) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise CheckSpecError(None, _("The checks must be a list, one item per check "
                                     "(each starting with “- ”)."))
    return data



INVALID = object()


def convert_value(kind: str, value: Any) -> Any:
    """``value`` in the field's kind, or INVALID; never evaluates anything."""
    if isinstance(value, bool):
        return value if kind == BOOLEAN else INVALID
    if kind in (TEXT, CODE):
        return str(value) if isinstance(value, str | int) else INVALID
    if kind == NUMBER:
        if isinstance(value, int | float | Decimal | str):
            try:
                number = Decimal(str(value).replace(",", ""))
            except InvalidOperation:
                return INVALID
            return number if number.is_finite() else INVALID
        return INVALID
    if kind == DATE:
        if value == "today":
            return TODAY
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(value) if isinstance(value, str) else INVALID
        except ValueError:
            return INVALID
    if kind == DATETIME:
        if value == "start":
            return START
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return INVALID
        if not isinstance(value, datetime):
            return INVALID
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if kind == DOCTYPE:
        doc_type = DOCUMENT_TYPES.get(value) if isinstance(value, str) else None
        return doc_type.model.__name__ if doc_type else INVALID
    return INVALID


def kind_reason(kind: str, value: Any) -> str:
    hints = {TEXT: _("text"), CODE: _("a code such as C0007, P6204 or WH-SH"),
             NUMBER: _("a number such as 20 or 1250.00"),
             DATE: _("a date such as 2026-11-02, or today"),
             DATETIME: _("a time such as 2026-11-02 09:30:00+08:00, or start"),
             BOOLEAN: _("true or false"),
             DOCTYPE: _("a document type such as sales_order")}
    return _("“%(value)s” is not %(expected)s.", value=value, expected=hints[kind])
