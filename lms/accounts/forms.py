"""Forms for signing in, one's own profile, and the admin pages."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.auth import MIN_PASSWORD_LENGTH

COMMON_TIMEZONES = [
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
    "Asia/Kolkata", "Europe/London", "Europe/Berlin", "America/New_York",
    "America/Los_Angeles", "UTC",
]
LOCALE_CHOICES = [
    SelectChoice("", _l("Company default")), SelectChoice("zh_CN", "简体中文"),
    SelectChoice("en", "English"),
]
TIMEZONE_CHOICES = [SelectChoice("", _l("Company default"))] + [
    SelectChoice(tz) for tz in COMMON_TIMEZONES
]
USERNAME_RULE = Regexp(
    r"^[A-Za-z0-9_.-]{2,64}$",
    message=_l("Use 2–64 letters, digits, “.”, “_” or “-”."),
)


def _known_timezone(_form, field) -> None:
    if field.data and field.data not in available_timezones():
        raise ValidationError(_l("Unknown time zone."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=256,
                   message=_l("The password must have at least 8 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, validate_choice=True)
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES, validators=[_known_timezone])
    submit = SubmitField(_l("Save preferences"))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), USERNAME_RULE])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    department = StringField(_l("Department"), validators=[Optional(), Length(max=120)])
    manager = StringField(_l("Manager (username)"), validators=[Optional(), Length(max=64)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES, validators=[_known_timezone])
    job_roles = MultiCheckboxField(_l("Job roles"), choices=[])
    roles = MultiCheckboxField(_l("Portal roles"), choices=[])
    submit = SubmitField(_l("Save"))


class JobRoleForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Regexp(r"^[a-z][a-z0-9_]{1,39}$",
                                           message=_l("Use lower-case letters, digits and “_”."))],
    )
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Add job role"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Employee file (CSV)"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv"], _l("Only .csv files can be imported.")),
        ],
    )
    submit = SubmitField(_l("Upload and preview"))


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is its content."""

    submit = SubmitField(_l("Confirm"))

