"""Trainers open a learner's sandbox read-only, to see what they did and help them."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from lms.accounts.forms import ConfirmForm
from lms.accounts.models import User
from lms.accounts.permissions import require_permission
from lms.extensions import db
from sandbox.api import sandbox_of
from sandbox.models import Sandbox
from sandbox.views import VIEWING_KEY, bp

PAGE_SIZE = 25


@bp.get("/learners")
@require_permission("view_learner_sandboxes")
def learners():
    text = request.args.get("q", "").strip()[:100]
    query = (select(User, Sandbox).join(Sandbox, Sandbox.owner_id == User.id)
             .order_by(User.username))
    if text:
        query = query.where(or_(User.username.contains(text), User.display_name.contains(text)))
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE)).all()
    return render_template("sandbox/learners.html", rows=rows, q=text, total=total,
                           page_number=page_number, pages=max(1, -(-total // PAGE_SIZE)),
                           form=ConfirmForm())


@bp.post("/learners/<int:owner_id>/open")
@require_permission("view_learner_sandboxes")
def open_learner(owner_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if owner_id > 2**31 - 1 or sandbox_of(owner_id) is None:
        abort(404)
    session[VIEWING_KEY] = owner_id
    owner = db.session.get(User, owner_id)
    flash(_("You are looking at %(name)s's sandbox, read-only.", name=owner.display_name), "info")
    return redirect(url_for("sandbox.home"), 303)


@bp.post("/learners/close")
@require_permission("use_sandbox")
def close_learner():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session.pop(VIEWING_KEY, None)
    return redirect(url_for("sandbox.home"), 303)
