"""Forms of the trainers' course editor (Flask-WTF: every POST carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from lms.accounts.forms import MultiCheckboxField
from lms.catalog.source import CODE_PATTERN, KEY_PATTERN

# Longest lesson, question bank or YAML an author may save (PostgreSQL TEXT has no limit).
MAX_BODY_CHARS = 200_000


class LockedForm(FlaskForm):
    """A form editing one draft: the revision it was loaded from and the row's lock version."""

    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    lock_version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class NewCourseForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(), Length(max=60),
            Regexp(CODE_PATTERN.pattern, message=_l(
                "Use lower-case letters, digits and hyphens, starting with a letter or digit.")),
        ],
    )
    title = StringField(_l("Course title"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create course"), id="create-course")


class CourseSettingsForm(LockedForm):
    title = StringField(_l("Course title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=5000)])
    version_label = StringField(_l("Version label"), validators=[DataRequired(), Length(max=20)])
    job_roles = MultiCheckboxField(_l("Job roles"), choices=[])
    levels = MultiCheckboxField(_l("Levels"), choices=[])
    self_enrol = BooleanField(_l("People may enrol themselves without an assignment"))
    cover = SelectField(_l("Cover image"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Save settings"), id="save-settings")


class ModuleTitleForm(FlaskForm):
    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    title = StringField(_l("Module title"), id="module-title",
                        validators=[DataRequired(), Length(max=200)])


class NewItemForm(FlaskForm):
    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    module_id = SelectField(_l("Module"), id="item-module", coerce=int, choices=[])
    kind = SelectField(_l("Kind"), id="item-kind", choices=[])
    title = StringField(_l("Item title"), id="item-title",
                        validators=[DataRequired(), Length(max=200)])
    key = StringField(
        _l("Key (optional)"), id="item-key",
        validators=[
            Optional(), Length(max=50),
            Regexp(KEY_PATTERN.pattern, message=_l(
                "Use lower-case letters, digits, hyphens and underscores.")),
        ],
        filters=[lambda value: value.strip().lower() if value else value],
    )
    submit = SubmitField(_l("Add item"), id="add-item")


class ItemForm(LockedForm):
    title = StringField(_l("Item title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Estimated minutes"),
                           validators=[DataRequired(), NumberRange(min=1, max=1000)])
    required = BooleanField(_l("Required to complete the course"))
    requires = MultiCheckboxField(_l("Opens after these items are completed"), choices=[])
    body = TextAreaField(_l("Content"), validators=[Length(max=MAX_BODY_CHARS)])
    pass_mark = IntegerField(_l("Pass mark (percent)"),
                             validators=[Optional(), NumberRange(min=0, max=100)])
    url = StringField(_l("Address (https://… or manual:CODE#heading)"),
                      validators=[Optional(), Length(max=500)],
                      filters=[lambda value: value.strip() if value else value])
    save = SubmitField(_l("Save"))
    preview = SubmitField(_l("Preview"))


class PublishForm(FlaskForm):
    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    redo_changed_items = BooleanField(
        _l("People who completed an item that changed must do it again"))


class ActionForm(FlaskForm):
    """The small POST forms (move, delete, discard …): only the CSRF token and the draft id."""

    revision_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    direction = HiddenField()
    withdrawn = HiddenField()


class UploadForm(FlaskForm):
    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    file = FileField(_l("Image"), validators=[FileRequired()])
    item = HiddenField()
