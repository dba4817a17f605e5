"""The training ERP every learner practises in (its own models, services, seed and web UI).

The portal uses only what this module exports; see ``sandbox/README.md``.
"""

from sandbox.api import (
    default_persona,
    describe_sandbox,
    open_context,
    provision_sandbox,
    reset_sandbox,
    sandbox_of,
)
from sandbox.checks import (
    CheckResult,
    CheckSpecError,
    describe_checks,
    ensure_valid_checks,
    evaluate_checks,
    parse_checks_yaml,
    validate_checks,
)
from sandbox.views import bp as blueprint

__all__ = [
    "CheckResult",
    "CheckSpecError",
    "blueprint",
    "describe_checks",
    "ensure_valid_checks",
    "evaluate_checks",
    "parse_checks_yaml",
    "validate_checks",
    "default_persona",
    "describe_sandbox",
    "open_context",
    "provision_sandbox",
    "reset_sandbox",
    "sandbox_of",
]
