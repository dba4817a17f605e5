"""People and what they may do: users, departments, job roles, portal roles and permissions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

user_job_roles = Table(
    "user_job_roles",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_roles.id", ondelete="CASCADE"), primary_key=True),
)

user_roles = Table(
    "user_roles",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __str__(self) -> str:
        return self.name


class JobRole(db.Model):
    """A job role such as sales or warehouse; a company can add its own."""

    __tablename__ = "job_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))

    @property
    def label(self) -> str:
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_zh

    def __str__(self) -> str:
        return self.label


class Role(db.Model):
    """A portal role (learner, trainer, admin) holding named permissions."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    grants: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def permissions(self) -> set[str]:
        return {grant.permission for grant in self.grants}


class RolePermission(db.Model):
    __tablename__ = "role_permissions"
    __table_args__ = (UniqueConstraint("role_id", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    permission: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = relationship(back_populates="grants")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Null until the person sets a password through their one-time link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")
    manager: Mapped[User | None] = relationship(remote_side=[id])
    job_roles: Mapped[list[JobRole]] = relationship(
        secondary=user_job_roles, lazy="selectin", order_by=JobRole.code
    )
    roles: Mapped[list[Role]] = relationship(
        secondary=user_roles, lazy="selectin", order_by=Role.name
    )

    # Flask-Login reads is_active to refuse deactivated accounts.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    @property
    def permissions(self) -> set[str]:
        return set().union(*(role.permissions for role in self.roles)) if self.roles else set()

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions

    def has_role(self, name: str) -> bool:
        return any(role.name == name for role in self.roles)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"
