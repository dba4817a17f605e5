"""Employee import from CSV (the guide's data initialisation), for the CLI and the admin page.

``preview_import`` reads the file and says per row what would happen; ``apply_import`` does it
in the caller's transaction, and only for a file without a single error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts import audit
from lms.accounts.auth import issue_password_token
from lms.accounts.models import JobRole, User
from lms.accounts.services import UserFields, create_user, update_user
from lms.config import SUPPORTED_LOCALES
from lms.database import UTCDateTime, utcnow
from lms.extensions import db

REQUIRED_COLUMNS = ("username", "name", "email", "department", "job_role")
OPTIONAL_COLUMNS = ("manager", "locale")
# Headers as a Chinese HR department writes them map to the same columns.
COLUMN_ALIASES = {
    "用户名": "username", "账号": "username", "姓名": "name", "display_name": "name",
    "邮箱": "email", "电子邮件": "email", "部门": "department", "岗位": "job_role",
    "job_roles": "job_role", "上级": "manager", "直属上级": "manager", "语言": "locale",
}
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MULTI_VALUE_SPLIT = re.compile(r"[;；|、]")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, missing columns, empty)."""


class EmployeeImportUpload(db.Model):
    """An uploaded file kept between preview and import (app servers keep no files)."""

    __tablename__ = "employee_import_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass
class RowResult:
    line: int
    username: str
    status: str = "create"  # create | update | unchanged | error
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    fields: UserFields | None = None


@dataclass
class ImportPreview:
    rows: list[RowResult]

    @property
    def has_errors(self) -> bool:
        return any(row.status == "error" for row in self.rows)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def digest(self) -> str:
        """Fingerprint of what the preview promises, so a confirm applies what was seen."""
        seen = [(row.line, row.username, row.status, row.changes) for row in self.rows]
        return hashlib.sha256(repr(seen).encode("utf-8")).hexdigest()[:32]


def _plausible_chinese(text: str) -> bool:
    """Whether GBK-decoded text reads as Chinese rather than another encoding misread.

    GB18030 accepts almost any byte string, so Big5, Shift-JIS or Latin-1 files "decode" too,
    into private-use code points and rare characters from GBK's extension areas. Real names
    and departments are almost all in GB2312's 6,763 common characters.
    """
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000-\uf8ff]", text):
        return False
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9


def decode_csv_bytes(content: bytes) -> str:
    """Text of a CSV saved as UTF-8 (with or without BOM) or GB18030/GBK."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("The file is UTF-16 text. Save it as “CSV UTF-8” and try again."))
    try:
        text = content.decode("utf-8-sig")
        if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
            return text
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
            if _plausible_chinese(text):
                return text
        except UnicodeDecodeError:
            pass
    raise ImportFileError(
        _("The file's encoding is not recognised. Save it as “CSV UTF-8” or as CSV from Excel "
          "(GBK/GB18030) and try again.")
    )


def _normalise_header(name: str) -> str:
    key = name.strip().lower().replace(" ", "_")
    return COLUMN_ALIASES.get(name.strip(), COLUMN_ALIASES.get(key, key))


def _normalise_locale(value: str) -> str | None:
    value = value.strip().replace("-", "_")
    for locale in SUPPORTED_LOCALES:
        if value.lower() == locale.lower() or value.lower().split("_")[0] == locale.lower():
            return locale
    if value.lower() in {"zh", "zh_hans", "zh_cn"}:
        return "zh_CN"
    return None


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs with normalised column names; raises ImportFileError."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as error:
        raise ImportFileError(_("Line %(line)d cannot be read as CSV (%(reason)s).",
                                line=1, reason=str(error))) from None
    columns = [_normalise_header(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            _("Line 1: missing column(s): %(columns)s. Required columns: %(required)s.",
              columns=", ".join(missing), required=", ".join(REQUIRED_COLUMNS))
        )
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row = {col: (values[i].strip() if i < len(values) else "")
                   for i, col in enumerate(columns)}
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise ImportFileError(_("Line %(line)d cannot be read as CSV (%(reason)s).",
                                line=reader.line_num, reason=str(error))) from None
    if not rows:
        raise ImportFileError(_("The file has a header but no employees."))
    return rows


class _Lookup:
    """What the database already holds, loaded once per preview."""

    def __init__(self) -> None:
        self.job_roles: dict[str, str] = {}
        for job in db.session.scalars(select(JobRole)):
            for key in (job.code, job.name_zh, job.name_en):
                self.job_roles[key.lower()] = job.code

    def user(self, username: str) -> User | None:
        return db.session.scalar(select(User).where(User.username == username))

    def email_owner(self, email: str) -> str | None:
        return db.session.scalar(
            select(User.username).where(func.lower(User.email) == email.lower())
        )


def _check_row(row: dict[str, str], result: RowResult, lookup: _Lookup) -> None:
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            result.errors.append(_("“%(column)s” is empty.", column=column))
    username = row.get("username", "")
    if username and not USERNAME_PATTERN.match(username):
        result.errors.append(
            _("Username “%(name)s” may use only letters, digits, “.”, “_” and “-” (2–64).",
              name=username)
        )
    if len(row.get("name", "")) > 120 or len(row.get("department", "")) > 120:
        result.errors.append(_("Name and department may have at most 120 characters."))
    email = row.get("email", "")
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            result.errors.append(_("“%(email)s” is not a valid email address.", email=email))
    codes = []
    for value in MULTI_VALUE_SPLIT.split(row.get("job_role", "")):
        if value.strip():
            code = lookup.job_roles.get(value.strip().lower())
            if code is None:
                result.errors.append(_("Unknown job role “%(role)s”.", role=value.strip()))
            else:
                codes.append(code)
    locale = None
    if row.get("locale"):
        locale = _normalise_locale(row["locale"])
        if locale is None:
            result.errors.append(_("Unknown language “%(locale)s” (use zh_CN or en).",
                                   locale=row["locale"]))
    result.fields = UserFields(
        username=username, display_name=row.get("name", ""), email=email,
        department=row.get("department") or None, manager_username=row.get("manager") or None,
        locale=locale, job_role_codes=sorted(set(codes)),
    )


def _describe_changes(user: User, fields: UserFields) -> list[str]:
    changes = []
    if user.display_name != fields.display_name:
        changes.append(_("name: %(old)s → %(new)s", old=user.display_name, new=fields.display_name))
    if user.email.lower() != fields.email.lower():
        changes.append(_("email: %(old)s → %(new)s", old=user.email, new=fields.email))
    old_department = user.department.name if user.department else ""
    if old_department != (fields.department or ""):
        changes.append(_("department: %(old)s → %(new)s", old=old_department,
                         new=fields.department or ""))
    old_jobs = sorted(j.code for j in user.job_roles)
    if old_jobs != fields.job_role_codes:
        changes.append(_("job roles: %(old)s → %(new)s", old=", ".join(old_jobs),
                         new=", ".join(fields.job_role_codes)))
    old_manager = user.manager.username if user.manager else None
    if fields.manager_username and old_manager != fields.manager_username:
        changes.append(_("manager: %(old)s → %(new)s", old=old_manager or "",
                         new=fields.manager_username))
    if fields.locale and user.locale != fields.locale:
        changes.append(_("language: %(old)s → %(new)s", old=user.locale or "", new=fields.locale))
    return changes


def preview_import(content: bytes, may_change_admins: bool = True) -> ImportPreview:
    """Say per row what importing ``content`` would do; raises ImportFileError for the file.

    ``may_change_admins`` False (an importer who cannot manage roles) makes rows that would
    change an administrator's account errors.
    """
    rows = read_rows(decode_csv_bytes(content))
    lookup = _Lookup()
    results: list[RowResult] = []
    first_line_of_username: dict[str, int] = {}
    first_line_of_email: dict[str, int] = {}
    for line, row in rows:
        result = RowResult(line=line, username=row.get("username", ""))
        _check_row(row, result, lookup)
        fields = result.fields
        key = fields.username
        if key and key in first_line_of_username:
            result.errors.append(_("Username “%(name)s” already appears on line %(line)d.",
                                   name=fields.username, line=first_line_of_username[key]))
        first_line_of_username.setdefault(key, line)
        email_key = fields.email.lower()
        if email_key and email_key in first_line_of_email:
            result.errors.append(_("Email “%(email)s” already appears on line %(line)d.",
                                   email=fields.email, line=first_line_of_email[email_key]))
        first_line_of_email.setdefault(email_key, line)
        if email_key:
            owner = lookup.email_owner(fields.email)
            if owner is not None and owner != fields.username:
                result.errors.append(_("Email “%(email)s” is already used by user “%(owner)s”.",
                                       email=fields.email, owner=owner))
        existing = lookup.user(fields.username) if fields.username else None
        if existing is not None:
            result.changes = _describe_changes(existing, fields)
            result.status = "update" if result.changes else "unchanged"
            if result.changes and existing.has_role("admin") and not may_change_admins:
                result.errors.append(_("“%(name)s” is an administrator; only someone who "
                                       "manages roles can change that account.",
                                       name=existing.username))
        results.append(result)

    usernames_in_file = set(first_line_of_username)
    for result in results:
        manager = result.fields.manager_username
        if manager:
            if manager == result.fields.username:
                result.errors.append(_("An employee cannot be their own manager."))
            elif manager not in usernames_in_file and lookup.user(manager) is None:
                result.errors.append(_("Manager “%(name)s” is neither in the file nor a user.",
                                       name=manager))
        if result.errors:
            result.status = "error"
    return ImportPreview(rows=results)


def apply_import(preview: ImportPreview) -> list[tuple[User, str]]:
    """Create and update users as previewed; return (new user, set-password token) pairs.

    Managers are set after every user exists, so a row may name a manager on a later line.
    """
    if preview.has_errors:
        raise ValueError("a preview with errors cannot be imported")
    created: list[tuple[User, str]] = []
    managers: list[tuple[User, str]] = []
    for row in preview.rows:
        fields = row.fields
        manager = fields.manager_username
        fields_without_manager = UserFields(**{**fields.__dict__, "manager_username": None})
        if row.status == "create":
            user = create_user(fields_without_manager)
            created.append((user, issue_password_token(user)))
        elif row.status == "update":
            user = db.session.scalar(select(User).where(User.username == fields.username))
            keep = UserFields(**{
                **fields_without_manager.__dict__,
                "locale": fields.locale or user.locale,
                "timezone": user.timezone,
                "manager_username": user.manager.username if user.manager else None,
            })
            update_user(user, keep)
        else:
            continue
        if manager:
            managers.append((user, manager))
    for user, manager_username in managers:
        manager = db.session.scalar(select(User).where(User.username == manager_username))
        if user.manager_id != manager.id:
            before = user.manager.username if user.manager else None
            user.manager = manager
            audit.record("user.update", target_user=user, before={"manager": before},
                         after={"manager": manager.username})
    audit.record(
        "users.import", target="users",
        after={"created": preview.count("create"), "updated": preview.count("update"),
               "unchanged": preview.count("unchanged")},
    )
    db.session.flush()
    return created
