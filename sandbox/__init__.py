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
from sandbox.views import bp as blueprint

__all__ = [
    "blueprint",
    "default_persona",
    "describe_sandbox",
    "open_context",
    "provision_sandbox",
    "reset_sandbox",
    "sandbox_of",
]
