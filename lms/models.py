"""Every model of the portal, imported in one place so Alembic's autogenerate sees them all."""

import sandbox.models  # noqa: F401, E402  (the sandbox ERP's tables)
from lms.accounts.audit import AuditEntry
from lms.accounts.auth import LoginFailure, PasswordToken, UserSession
from lms.accounts.importer import EmployeeImportUpload
from lms.accounts.models import Department, JobRole, Role, RolePermission, User
from lms.assessment.models import (
    AttemptResponse,
    GradeChange,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
)
from lms.catalog.models import (
    Assignment,
    Course,
    CourseAsset,
    CourseCompletion,
    CourseItem,
    CourseModule,
    CourseRevision,
    Enrolment,
    ItemCompletion,
)
from lms.publishing.models import (
    Manual,
    ManualAsset,
    ManualBlob,
    ManualChapter,
    ManualDraftAsset,
    ManualDraftChapter,
    ManualSearchSection,
    ManualVersion,
)

__all__ = [
    "Manual",
    "ManualAsset",
    "ManualBlob",
    "ManualChapter",
    "ManualDraftAsset",
    "ManualDraftChapter",
    "ManualSearchSection",
    "ManualVersion",
    "Assignment",
    "AttemptResponse",
    "GradeChange",
    "Question",
    "QuestionBank",
    "QuestionCategory",
    "QuestionVersion",
    "Quiz",
    "QuizAttempt",
    "QuizSlot",
    "AuditEntry",
    "Course",
    "CourseAsset",
    "CourseCompletion",
    "CourseItem",
    "CourseModule",
    "CourseRevision",
    "Enrolment",
    "ItemCompletion",
    "Department",
    "EmployeeImportUpload",
    "JobRole",
    "LoginFailure",
    "PasswordToken",
    "Role",
    "RolePermission",
    "User",
    "UserSession",
]
