"""Operations on users, roles and job roles. Each flushes, writes its audit entry and returns.

Callers (views, CLI, importer, demo) commit; a failing caller rolls back the whole change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from lms.accounts import audit
from lms.accounts.auth import end_all_sessions, issue_password_token
from lms.accounts.models import Department, JobRole, Role, RolePermission, User
from lms.accounts.permissions import DEFAULT_GRANTS, PERMISSIONS
from lms.accounts.signals import user_saved
from lms.database import utcnow
from lms.extensions import db

DEFAULT_JOB_ROLES = [
    ("sales", "销售", "Sales"),
    ("purchasing", "采购", "Purchasing"),
    ("warehouse", "仓储", "Warehouse"),
    ("finance", "财务", "Finance"),
    ("management", "管理层", "Management"),
    ("it_support", "IT 支持", "IT support"),
]


@dataclass
class UserFields:
    """What an admin form or an import row says about a user."""

    username: str
    display_name: str
    email: str
    department: str | None = None
    manager_username: str | None = None
    locale: str | None = None
    timezone: str | None = None
    job_role_codes: list[str] = field(default_factory=list)
    role_names: list[str] = field(default_factory=list)


def ensure_reference_data() -> None:
    """Create the portal roles with default grants and the standard job roles if missing."""
    existing_roles = {role.name for role in db.session.scalars(select(Role))}
    for name, grants in DEFAULT_GRANTS.items():
        if name not in existing_roles:
            db.session.add(Role(name=name, grants=[RolePermission(permission=p) for p in grants]))
    existing_jobs = set(db.session.scalars(select(JobRole.code)))
    for code, name_zh, name_en in DEFAULT_JOB_ROLES:
        if code not in existing_jobs:
            db.session.add(JobRole(code=code, name_zh=name_zh, name_en=name_en))
    db.session.flush()


def get_or_create_department(name: str | None) -> Department | None:
    name = (name or "").strip()
    if not name:
        return None
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def email_taken(email: str, except_user_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query) is not None


def _job_roles(codes: list[str]) -> list[JobRole]:
    if not codes:
        return []
    found = list(db.session.scalars(select(JobRole).where(JobRole.code.in_(codes))))
    missing = set(codes) - {j.code for j in found}
    if missing:
        raise ValueError(f"unknown job role(s): {', '.join(sorted(missing))}")
    return found


def _roles(names: list[str]) -> list[Role]:
    if not names:
        return []
    found = list(db.session.scalars(select(Role).where(Role.name.in_(names))))
    missing = set(names) - {r.name for r in found}
    if missing:
        raise ValueError(f"unknown role(s): {', '.join(sorted(missing))}")
    return found


def _profile(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "department": user.department.name if user.department else None,
        "manager": user.manager.username if user.manager else None,
        "locale": user.locale,
        "timezone": user.timezone,
    }


def create_user(fields: UserFields, password: str | None = None) -> User:
    """Create a user; with no password they get one through a set-password link."""
    user = User(
        username=fields.username.strip(),
        display_name=fields.display_name.strip(),
        email=fields.email.strip(),
        locale=fields.locale or None,
        timezone=fields.timezone or None,
    )
    user.department = get_or_create_department(fields.department)
    user.manager = find_user(fields.manager_username) if fields.manager_username else None
    user.job_roles = _job_roles(fields.job_role_codes)
    user.roles = _roles(fields.role_names or ["learner"])
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create", target_user=user,
        after={**_profile(user), "job_roles": [j.code for j in user.job_roles],
               "roles": [r.name for r in user.roles]},
    )
    user_saved.send(user)
    return user


def update_user(user: User, fields: UserFields) -> bool:
    """Apply changed profile fields, job roles and (if given) roles; True if anything changed."""
    before = _profile(user)
    user.display_name = fields.display_name.strip()
    user.email = fields.email.strip()
    user.department = get_or_create_department(fields.department)
    user.manager = find_user(fields.manager_username) if fields.manager_username else None
    user.locale = fields.locale or None
    user.timezone = fields.timezone or None
    after = _profile(user)
    changed = False
    if after != before:
        keys = [k for k in after if after[k] != before[k]]
        audit.record(
            "user.update", target_user=user,
            before={k: before[k] for k in keys}, after={k: after[k] for k in keys},
        )
        changed = True
    changed |= set_job_roles(user, fields.job_role_codes)
    if fields.role_names:
        changed |= set_roles(user, fields.role_names)
    db.session.flush()
    if changed:
        user_saved.send(user)
    return changed


def set_job_roles(user: User, codes: list[str]) -> bool:
    before = sorted(j.code for j in user.job_roles)
    if before == sorted(codes):
        return False
    user.job_roles = _job_roles(codes)
    audit.record("user.job_roles", target_user=user, before=before, after=sorted(codes))
    db.session.flush()
    user_saved.send(user)
    return True


def set_roles(user: User, names: list[str]) -> bool:
    before = sorted(r.name for r in user.roles)
    if before == sorted(names):
        return False
    user.roles = _roles(names)
    audit.record("user.roles", target_user=user, before=before, after=sorted(names))
    return True


def set_active(user: User, active: bool) -> bool:
    if user.active == active:
        return False
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record(
        "user.activate" if active else "user.deactivate", target_user=user,
        before={"active": not active}, after={"active": active},
    )
    db.session.flush()
    if active:
        user_saved.send(user)
    return True


def reset_password(user: User) -> str:
    """Clear the password, end the user's sessions and return a one-time set-password token."""
    user.password_hash = None
    end_all_sessions(user)
    token = issue_password_token(user)
    audit.record("user.password_reset", target_user=user)
    db.session.flush()
    return token


def set_password_from_token(token_record, password: str) -> User:
    user = token_record.user
    user.set_password(password)
    token_record.used_at = utcnow()
    end_all_sessions(user)
    audit.record("user.password_set", target_user=user, actor=user)
    db.session.flush()
    return user


def set_role_permissions(role: Role, permissions: list[str]) -> bool:
    unknown = set(permissions) - set(PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permission(s): {', '.join(sorted(unknown))}")
    wanted = set(permissions)
    before = sorted(role.permissions)
    if before == sorted(wanted):
        return False
    # Change only what differs, so the (role, permission) unique key is never hit twice.
    for grant in [g for g in role.grants if g.permission not in wanted]:
        role.grants.remove(grant)
    db.session.flush()
    role.grants.extend(RolePermission(permission=p) for p in sorted(wanted - set(before)))
    audit.record("role.permissions", target=f"role:{role.name}", before=before,
                 after=sorted(wanted))
    db.session.flush()
    return True


def create_job_role(code: str, name_zh: str, name_en: str) -> JobRole:
    job_role = JobRole(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip())
    db.session.add(job_role)
    db.session.flush()
    audit.record("job_role.create", target=f"job_role:{job_role.code}",
                 after={"name_zh": job_role.name_zh, "name_en": job_role.name_en})
    return job_role


def search_users_query(text: str = "", role: str = "", job_role: str = "", status: str = ""):
    """A select() of users matching the admin list's search box and filters."""
    query = select(User).order_by(User.username)
    text = text.strip()
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like))
        )
    if role:
        query = query.where(User.roles.any(Role.name == role))
    if job_role:
        query = query.where(User.job_roles.any(JobRole.code == job_role))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return query
