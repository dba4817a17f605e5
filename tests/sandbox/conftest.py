"""Sandbox fixtures: a learner with a provisioned sandbox, and a context to act in it."""

import pytest

import sandbox


@pytest.fixture
def make_sandbox(create_user, db):
    """Provision a sandbox for a new learner; returns (sandbox, context)."""

    def make(username: str = "learner1", job_roles=("sales",), persona: str | None = None):
        user = create_user(username, job_roles=job_roles)
        box = sandbox.provision_sandbox(user.id, list(job_roles))
        db.session.commit()
        return box, sandbox.open_context(box, persona)

    return make


@pytest.fixture
def ctx(make_sandbox):
    """A context in a fresh sandbox, acting as the sales clerk."""
    return make_sandbox()[1]
