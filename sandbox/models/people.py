"""Inside the sandbox: its users (personas), roles and permissions, parameters, activity log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db
from sandbox.models.base import SandboxScoped


class SbRole(SandboxScoped, db.Model):
    __tablename__ = "sb_roles"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    grants: Mapped[list[SbRolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def permissions(self) -> set[str]:
        return {grant.permission for grant in self.grants}


class SbRolePermission(SandboxScoped, db.Model):
    __tablename__ = "sb_role_permissions"
    __table_args__ = (UniqueConstraint("role_id", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("sb_roles.id", ondelete="CASCADE"),
                                         index=True)
    permission: Mapped[str] = mapped_column(String(60))
    role: Mapped[SbRole] = relationship(back_populates="grants")


class SbUser(SandboxScoped, db.Model):
    """A person of the training company; the learner acts as one of them (a persona)."""

    __tablename__ = "sb_users"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(80))
    job_role: Mapped[str] = mapped_column(String(40))  # the portal's job-role code
    role_id: Mapped[int] = mapped_column(ForeignKey("sb_roles.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[SbRole] = relationship(lazy="joined")

    def can(self, permission: str) -> bool:
        return self.active and permission in self.role.permissions


class SbParameter(SandboxScoped, db.Model):
    """System parameters (the guide's parameter settings): thresholds, switches."""

    __tablename__ = "sb_parameters"
    __table_args__ = (UniqueConstraint("sandbox_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(200))


class SbActivity(SandboxScoped, db.Model):
    """What happened in the sandbox: exercises are checked against this log."""

    __tablename__ = "sb_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    persona: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60), index=True)
    document_type: Mapped[str | None] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[Any] = mapped_column(JSON, nullable=True)
