"""The base form: Flask-WTF with WTForms' built-in Chinese messages."""
from flask import request
from flask_wtf import FlaskForm
from wtforms import Field

from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db


class Form(FlaskForm):
    class Meta:
        locales = ("zh_CN", "zh")


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
