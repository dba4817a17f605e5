"""The check language: how an exercise states what must be true in a learner's sandbox.

Checks are plain data (YAML parsed to lists and dicts), validated against a whitelist of
document types and fields when an exercise is saved, and evaluated with SQL through a
``SandboxContext``. No trainer-written text is ever executed. See ``sandbox/README.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.checks.evaluate import CheckResult, _Run, describe
from sandbox.checks.schema import ACTIVITY, DOCUMENT_TYPES
from sandbox.checks.spec import compile_checks, validate_checks
from sandbox.checks.values import CheckSpecError, parse_checks_yaml
from sandbox.tenancy import SandboxContext

__all__ = [
    "ACTIVITY", "DOCUMENT_TYPES", "CheckResult", "CheckSpecError", "describe_checks",
    "ensure_valid_checks", "evaluate_checks", "parse_checks_yaml", "validate_checks",
]


def ensure_valid_checks(spec: Any) -> list:
    """The checks (parsed if given as YAML text); raises the first CheckSpecError otherwise.

    ``error.problems`` on the raised error lists every problem found.
    """
    if isinstance(spec, str):
        spec = parse_checks_yaml(spec)
    errors = validate_checks(spec)
    if errors:
        first = errors[0]
        first.problems = errors
        raise first
    return spec or []


def describe_checks(spec: Any) -> list[str]:
    """Each valid check's description (its own, or one made from its conditions)."""
    compiled, _errors = compile_checks(spec)
    return [(check.description or describe(check)) if check else "" for check in compiled]


def evaluate_checks(ctx: SandboxContext, checks: Any, started_at: datetime | None = None,
                    learner_persona: str | None = None) -> list[CheckResult]:
    """Run the checks against ctx's sandbox: one CheckResult per check, in order.

    ``started_at`` is when the exercise started (default: the sandbox's last reset);
    ``learner_persona`` the persona code the learner works as (default: ctx's persona).
    An invalid check gives a failed result naming the problem, never an exception.
    """
    if isinstance(checks, str):
        try:
            checks = parse_checks_yaml(checks)
        except CheckSpecError as error:
            return [CheckResult(False, str(error), "")]
    compiled, errors = compile_checks(checks)
    if not compiled and errors:
        return [CheckResult(False, str(errors[0]), "")]
    problems: dict[int | None, list[CheckSpecError]] = {}
    for error in errors:
        problems.setdefault(error.index, []).append(error)
    run = _Run(ctx, started_at or ctx.sandbox.reset_at,
               learner_persona or (ctx.persona.code if ctx.persona else None))
    results = []
    for index, check in enumerate(compiled):
        if check is None:
            item = checks[index] if isinstance(checks, list) else None
            text = item.get("description") if isinstance(item, dict) else None
            results.append(CheckResult(False, "; ".join(str(e) for e in problems[index]),
                                       text if isinstance(text, str) else ""))
        else:
            results.append(run.run(check))
    return results
