"""Courses: modules, items, revisions, assignments, enrolment and completion."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and enrol people when their job role or department changes."""
    from lms.accounts.signals import user_saved
    from lms.catalog.enrolment import refresh_user_enrolments
    from lms.catalog.views import blueprint

    app.register_blueprint(blueprint)
    from lms.catalog.rendering import course_cover_url

    app.add_template_global(course_cover_url)
    user_saved.connect(_enrol_saved_user, weak=False)
    _ = refresh_user_enrolments  # imported here so a broken module fails at start, not later


def _enrol_saved_user(user, **_extra) -> None:
    from lms.catalog.enrolment import refresh_user_enrolments

    refresh_user_enrolments(user)
