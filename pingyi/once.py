"""One-time tokens for create forms: a form sent twice (Back, then 提交 again) shows the record made the first time.

Each create form carries `{{ once_field() }}`, a random token in a hidden field; its view is wrapped in `@once.guard`.
When such a POST ends in a redirect (the record was made), the session remembers token → where it led. The same
token arriving again is not run a second time: the user is taken to that page with a message instead.
"""
import functools
import secrets

from flask import flash, redirect, request, session
from markupsafe import Markup

FIELD = "once_token"
KEEP = 12  # the session cookie stays small; a user does not go back more forms than this


def field():
    """The hidden input for a create form (a template global)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(16)}">')


def used(token):
    """Where the submission with `token` led, if it was already made."""
    return session.get("once", {}).get(token) if token else None


def remember(token, location):
    done = {k: v for k, v in session.get("once", {}).items() if k != token}
    done[token] = location
    session["once"] = dict(list(done.items())[-KEEP:])


def guard(view):
    """Run a create view once per token; a repeat is redirected to what the first submission made."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = request.form.get(FIELD, "") if request.method == "POST" else ""
        location = used(token)
        if location:
            flash("这份表单已经提交过，没有重复创建；下面是当时提交的结果。")
            return redirect(location)
        response = view(*args, **kwargs)
        if token and getattr(response, "status_code", 200) in (301, 302, 303) and response.location:
            remember(token, response.location)
        return response
    return wrapper
