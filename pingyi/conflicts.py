"""Races end in the conflict page: one error handler for saves that lost to another save at the same instant.

Versioned forms show their own conflict in place (forms.save_versioned). What reaches this handler is the
rest: the version check passed for both saves and the database refused the loser (StaleDataError from the
version counter, a unique or foreign key violation from a concurrent first save, SQLite busy or a PostgreSQL
serialization failure). The transaction is rolled back and the user sees what they typed, with a button
that posts it again.
"""
from flask import current_app, g, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, FieldList, FileField, FormField, HiddenField, SubmitField
from wtforms.csrf.core import CSRFTokenField

from pingyi.errors import StaleEdit
from pingyi.extensions import db
from pingyi.htmx import render

# Posted fields that are machinery, not something the user typed.
HIDDEN_FROM_LIST = {"csrf_token", "version", "submit", "save_draft"}


def is_race(error):
    """True when the database refused a save because another one won, not because the code is wrong."""
    if isinstance(error, (StaleDataError, StaleEdit)):
        return True
    orig = getattr(error, "orig", None)
    message = str(orig or error).lower()
    state = getattr(orig, "sqlstate", None)
    if isinstance(error, IntegrityError):
        return state in ("23505", "23503") or "unique constraint" in message or "foreign key constraint" in message
    if isinstance(error, OperationalError):
        return state in ("40001", "40P01", "55P03") or "database is locked" in message or "database is busy" in message
    return False


def _leaves(fields):
    for f in fields:
        if isinstance(f, (FieldList, FormField)):
            yield from _leaves(f)
        else:
            yield f


def _labels():
    """Posted field name -> (label, {value: choice label}) from the forms the view built for this request
    (pingyi.forms.Form notes itself in g when it reads posted data)."""
    labels = {}
    for form in g.get("posted_forms", ()):
        for f in _leaves(form):
            if isinstance(f, (HiddenField, SubmitField, FileField, CSRFTokenField)):
                continue
            choices = {str(k): v for k, v in (getattr(f, "choices", None) or ()) if not isinstance(v, (list, tuple))}
            if isinstance(f, BooleanField):
                choices = {value: "是" for value in ("y", "on", "1", "true")}
            labels[f.name] = (f.label.text, choices)
    return labels


def typed_fields():
    """What the user posted as (label, value) pairs, machinery left out, choices shown by their labels."""
    labels, shown = _labels(), []
    for key, value in request.form.items(multi=True):
        if key in HIDDEN_FROM_LIST or key.endswith(("-version", "-id", "csrf_token")) or not value.strip():
            continue
        label, choices = labels.get(key, ("填写的内容", {}))
        shown.append((label, choices.get(value, value)))
    return shown


def conflict_response(error):
    """The 409 page: the posted values kept, to copy or post again."""
    db.session.rollback()
    current_app.logger.warning("save conflict on %s %s: %s", request.method, request.path, error)
    typed = [(key, value) for key, value in request.form.items(multi=True)]
    shown = typed_fields()
    files = [f.filename for f in request.files.values() if f and f.filename]
    return render("errors/conflict.html", "errors/_conflict.html", typed=typed, shown=shown, files=files,
                  action=request.full_path.rstrip("?"), resubmittable=request.method == "POST",
                  back=request.referrer), 409


def install(app):
    """Register the handler for every race the database can report."""
    def handle(error):
        if not is_race(error):
            raise error
        return conflict_response(error)

    for kind in (StaleDataError, StaleEdit, IntegrityError, OperationalError):
        app.register_error_handler(kind, handle)
