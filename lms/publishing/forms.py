"""Forms of the trainers' manual editor (Flask-WTF: every POST carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import HiddenInput

from lms.accounts.forms import MultiCheckboxField
from lms.publishing.models import ACCESS_LEVELS
from lms.publishing.source import CHAPTER_FILE_PATTERN, CODE_PATTERN, LANGUAGES, MAX_CHAPTER_CHARS

# Codes whose URLs the editor itself uses (/manuals/manage/, POST /manuals/manage/new).
RESERVED_CODES = {"manage", "new"}
# Chapter slugs that a reader URL of the version already means (/manuals/CODE/1.0/search).
RESERVED_SLUGS = {"search"}

LANGUAGE_LABELS = {"zh-CN": _l("Simplified Chinese"), "en": _l("English")}
ACCESS_LABELS = {
    "public": _l("Everyone, signed in or not"),
    "signed_in": _l("Signed-in users (of the job roles below, if any are ticked)"),
}


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    """A title typed into a one-line field, with any line breaks made spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


class NewManualForm(FlaskForm):
    code = StringField(
        _l("Manual code"), id="manual-code", filters=[_stripped],
        validators=[
            DataRequired(), Length(max=60),
            Regexp(CODE_PATTERN.pattern, message=_l(
                "Use lower-case letters, digits and hyphens, starting with a letter or digit.")),
        ],
    )
    title = StringField(_l("Manual title"), id="manual-title", filters=[_one_line],
                        validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create manual"), id="create-manual")

    def validate_code(self, field) -> None:
        if field.data in RESERVED_CODES:
            raise ValidationError(_l("“%(code)s” is a word the manual pages use for "
                                     "themselves. Choose another code.", code=field.data))


class ManualSettingsForm(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    title = StringField(_l("Manual title"), id="settings-title", filters=[_one_line],
                        validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), id="settings-summary", filters=[_stripped],
                            validators=[Length(max=5000)])
    company = StringField(_l("Company on the PDF cover"), id="settings-company",
                          filters=[_one_line], validators=[Length(max=200)],
                          description=_l("Leave empty to use the portal's company name."))
    language = SelectField(_l("Language of the manual"), id="settings-language",
                           choices=[SelectChoice(code, LANGUAGE_LABELS[code])
                                    for code in LANGUAGES])
    access = SelectField(_l("Who may read it"), id="settings-access",
                         choices=[SelectChoice(level, ACCESS_LABELS[level])
                                  for level in ACCESS_LEVELS])
    job_roles = MultiCheckboxField(_l("Only for these job roles"), id="settings-job-roles",
                                   choices=[])
    submit = SubmitField(_l("Save settings"), id="save-settings")

    def validate_job_roles(self, field) -> None:
        if field.data and self.access.data == "public":
            raise ValidationError(_l("A manual for everyone cannot be limited to job roles: "
                                     "choose signed-in users, or untick the job roles."))


class NewChapterForm(FlaskForm):
    filename = StringField(_l("Chapter file name"), id="chapter-filename", filters=[_stripped],
                           validators=[DataRequired(), Length(max=63)])
    title = StringField(_l("Chapter title"), id="chapter-title", filters=[_one_line],
                        validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Add chapter"), id="add-chapter")

    def validate_filename(self, field) -> None:
        slug = field.data.removesuffix(".md")
        if not CHAPTER_FILE_PATTERN.match(f"{slug}.md"):
            raise ValidationError(_l("Use lower-case letters, digits and hyphens, such as "
                                     "sales-orders (saved as sales-orders.md)."))
        if slug in RESERVED_SLUGS:
            raise ValidationError(_l("“%(name)s” is a word the reader pages use for "
                                     "themselves. Choose another file name.", name=slug))

    def chapter_filename(self) -> str:
        """The file name as stored: what was typed, with ``.md`` added if it was left out."""
        return self.filename.data.removesuffix(".md") + ".md"


class ChapterForm(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    source = TextAreaField(_l("Chapter text (Markdown)"), id="source",
                           validators=[Length(max=MAX_CHAPTER_CHARS)])
    save = SubmitField(_l("Save"))
    preview = SubmitField(_l("Preview"))


class ImageUploadForm(FlaskForm):
    file = FileField(_l("Image"), validators=[FileRequired()])
    # The chapter editor the upload came from, to go back to without JavaScript.
    chapter = HiddenField()


class PublishManualForm(FlaskForm):
    version = StringField(_l("Version number"), id="publish-version", filters=[_stripped],
                          validators=[DataRequired(), Length(max=32)])
    notes = TextAreaField(_l("Release notes (Markdown, optional)"), id="publish-notes",
                          validators=[Length(max=20_000)])
    # The draft as the page showed it: publishing something else needs a second look.
    draft_hash = HiddenField()
    submit = SubmitField(_l("Publish this version"), id="publish-manual")


class ActionForm(FlaskForm):
    """The small POST forms (move, delete, discard): the CSRF token and maybe a direction."""

    direction = HiddenField()
