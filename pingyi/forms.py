"""The base form: Flask-WTF with WTForms' built-in Chinese messages, and every text field cleaned."""
from flask import g, has_request_context, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, FieldList, FormField, PasswordField, TextAreaField

from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.text import clean_line, clean_text

__all__ = ["CleanMeta", "Form", "clean_line", "clean_text", "cleaned_form", "plain_int", "save_versioned"]


def _clean_multiline(value):
    return clean_text(value) if isinstance(value, str) else value


def _clean_single_line(value):
    return clean_line(value) if isinstance(value, str) else value


class CleanMeta:
    """Form Meta that runs clean_text on every text field (passwords are kept exactly as typed;
    the fields of a FormField are cleaned by the enclosed form's own CleanMeta)."""

    locales = ("zh_CN", "zh")

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, (PasswordField, FieldList, FormField)):
            return unbound_field.bind(form=form, **options)
        clean = _clean_multiline if issubclass(field_class, TextAreaField) else _clean_single_line
        filters = [*unbound_field.kwargs.get("filters", ()), clean]
        return unbound_field.bind(form=form, filters=filters, **options)


class Form(FlaskForm):
    class Meta(CleanMeta):
        pass

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        version = self._fields.get("version")
        posted = formdata is not None and has_request_context() and request.method == "POST"
        if version is not None and posted and not version.raw_data:
            version.data = None  # a posted form says which version it edits, never borrows the stored one
        if posted:
            g.setdefault("posted_forms", []).append(self)  # the conflict page labels what was typed


def cleaned_form(formdata, multiline=()):
    """Posted fields read without a Form, each value cleaned as a Form cleans it (`multiline` names the text areas)."""
    return MultiDict([(key, clean_text(value) if key in multiline else clean_line(value))
                      for key, value in formdata.items(multi=True)])


def save_versioned(form, obj, save, error_field=None):
    """Run `save()` for a submitted, valid form that edits `obj`; return (saved, conflict).

    On GET the form carries the record's version. A save from an outdated form raises
    StaleEdit in the service: the conflict is returned for the page to show the other
    person's value, and the form takes the new version so that re-submitting overrides.
    Other domain errors are shown on `error_field`, or placed by it when it is a function
    of (form, error), or above the form.
    """
    if request.method == "GET":
        form.version.data = obj.version
    if not form.validate_on_submit():
        return False, None
    try:
        save()
    except StaleEdit as conflict:
        db.session.rollback()
        form.version.data = obj.version
        return False, conflict
    except DomainError as error:
        db.session.rollback()
        if error_field is None:
            form.form_errors.append(str(error))
        elif isinstance(error_field, Field):
            error_field.errors.append(str(error))
        else:
            error_field(form, error)
        return False, None
    return True, None


def plain_int(raw, maximum=10**9):
    """A whole number typed or posted as ASCII digits (not "²" or "１"), at most `maximum`; else None."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 12 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= maximum else None


def link_args(query):
    """A list page's query arguments to carry into its page and export links: without the page number, empty
    values, and names url_for would take as its own (`endpoint`, `_external`, `_anchor`…), so no address breaks
    a link."""
    return {k: v for k, v in query.items() if v and k != "page" and k != "endpoint" and not k.startswith("_")}
