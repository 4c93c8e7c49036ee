"""The public questionnaire (/s/<code>): its token, its kept pages, and a fast path in front of Flask.

A respondent holds no session. The form's CSRF token is signed over the code it answers (token_for) and
lasts PERMANENT_SESSION_LIFETIME, as a session would: so a page is served and a submission checked with no
session cookie to read, sign or send. A forged submission would need the code, and whoever has the code can
answer it anyway; the code is spent once whatever the token.

Whole pages are kept rendered per process, with a stand-in where the token goes (kept_page). FastPath serves
what a crowd asks for from them without Flask's request machinery: a respondent's view of an open code,
the page of a spent code, and a submission without a comment (the same statement to find the code, the same
group-committed write as the Flask view, the same security headers). Everything else is left to the Flask
view (surveys.views.answer): unknown or closed codes (the throttle counts those), a refused or old token,
answers to show again with a message, a comment (its query code is shown), a signed-in user, and any error.
"""
import io
import logging
import re
from urllib.parse import parse_qsl

from flask import current_app, g, has_request_context, render_template
from itsdangerous import BadSignature, TimestampSigner
from markupsafe import Markup
from werkzeug.http import parse_cookie

from pingyi.cache.services import CSRF_STAND_IN, remembered
from pingyi.forms import plain_int
from pingyi.headers import security_headers
from pingyi.surveys import services, throttle
from pingyi.text import clean_text

log = logging.getLogger(__name__)

THANKS = "您的评价已提交，感谢您对政风行风建设的支持！"
SPENT_TITLE = "答题码已使用"
FAILED_TITLE = "提交未完成"
FAILED = "系统暂时未能保存您的评价，请稍后返回上一页重新提交。如果重新提交时提示答题码已使用，说明您的评价已经保存。"


# ---- the token ---------------------------------------------------------------------------------------------

def _signer():
    return TimestampSigner(current_app.secret_key, salt="pingyi.surveys.public-answer")


def token_for(code):
    """The CSRF token of the questionnaire of `code` (as typed): when it was signed, and a signature over that
    and the code. The code itself is not in it (a typed code can be any text; the token goes into HTML)."""
    code = services.typed_code(code)
    return _signer().sign(code).decode()[len(code.encode()) + 1:]


def token_holds(code, token):
    """Whether `token` was given with the questionnaire of `code` by this app, within the session's lifetime."""
    if not token or len(token) > 200 or token.count(".") != 1:  # when it was signed, and the signature
        return False
    code = services.typed_code(code)
    try:
        signed = _signer().unsign(f"{code}.{token}",
                                  max_age=current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
    except BadSignature:  # also an old one (SignatureExpired)
        return False
    return signed.decode() == code


def checks_tokens():
    return current_app.config.get("WTF_CSRF_ENABLED", True)


# ---- the kept pages ----------------------------------------------------------------------------------------

def form_key(found):
    """Everything the blank questionnaire of a code shows: the unit, the intro, the questions and options in
    order (an edit is a new key). It leaves out the data version on purpose: every ballot moves that, and a
    crowd answering would otherwise render the page afresh for each person."""
    return ("public-questionnaire", found.questionnaire_id, found.unit_name, found.intro, found.questions,
            found.options)


def blank_form(found):
    """The blank questionnaire of a code with CSRF_STAND_IN for the token, rendered once per process for what
    it shows and served to every code answering it."""
    return remembered(form_key(found), lambda: _rendering(lambda: render_template(
        "surveys/_answer_form.html", found=found, errors={}, chosen={}, comment="", csrf=CSRF_STAND_IN,
        first_missing=None)))


def render_form_page(found, form_csrf, page_csrf):
    return render_template("surveys/answer.html", form=Markup(blank_form(found).replace(CSRF_STAND_IN, form_csrf)),
                           csrf_token=lambda: page_csrf)


def render_closed_page(title, message, page_csrf):
    return render_template("surveys/answer_closed.html", title=title, message=message, csrf_token=lambda: page_csrf)


def kept_page(key, render, token):
    """A whole page for a respondent as render(form_csrf, page_csrf) gives it, rendered once per process for
    `key` (which must name everything the page shows) and served with `token` where a token goes."""
    html = remembered(("public-page", *key), lambda: _rendering(lambda: render(CSRF_STAND_IN, CSRF_STAND_IN)))
    return html.replace(CSRF_STAND_IN, token)


def form_page(found, token):
    return kept_page(form_key(found), lambda form_csrf, page_csrf: render_form_page(found, form_csrf, page_csrf),
                     token)


def closed_page(title, message, token):
    return kept_page(("closed", title, message), lambda _, page_csrf: render_closed_page(title, message, page_csrf),
                     token)


def posted_answers(found, form):
    """{question_id: option_id} of the questions of `found` answered with a whole number in `form`."""
    chosen = {q.id: plain_int(form.get(f"q-{q.id}")) for q in found.questions}
    return {question_id: option for question_id, option in chosen.items() if option is not None}


def _rendering(render):
    """render() in a request context: the request's own, or in the fast path one made for rendering only (a GET
    of the same address with no cookie, so the page is a respondent's)."""
    if has_request_context():
        return render()
    environ = dict(g.pingyi_public_environ, REQUEST_METHOD="GET", CONTENT_LENGTH="0", QUERY_STRING="")
    environ.pop("HTTP_COOKIE", None)
    environ["wsgi.input"] = io.BytesIO(b"")
    with current_app.request_context(environ):
        return render()


# ---- the fast path -----------------------------------------------------------------------------------------

PATH = re.compile(r"/s/([A-Za-z0-9]{1,40})\Z")
FORM = "application/x-www-form-urlencoded"
MAX_FORM = 64 * 1024  # a questionnaire without a comment is well under 4 KB
STATUS = {200: "200 OK", 410: "410 Gone", 503: "503 Service Unavailable"}


def respond(method, code, form, address):
    """(status, page) for a respondent's request to /s/<code>, or None when the Flask view is to answer it.
    In an app context; `form`: the posted fields (first value of each). The code is read on a pooled connection
    given back at once: a respondent waiting for the shared write holds no session (the writer's does it)."""
    found = services.public_code_plain(code)
    if found is None or not found.open:
        return None
    token = token_for(found.code)
    if found.used_on is not None:
        return 410, closed_page(SPENT_TITLE, services.SPENT, token)
    if method == "GET":
        return 200, form_page(found, token)
    if checks_tokens() and not token_holds(found.code, form.get("csrf_token")):
        return None
    if clean_text(form.get("comment", "")):
        return None
    chosen = posted_answers(found, form)
    if services.public_errors(found, chosen):
        return None
    # Every page the answer may get is at hand before the write: once the write is tried, the answer is said
    # here. (Handed to the view after a failed write, an answer saved after all would be told its code was used.)
    thanks, spent = closed_page("提交成功", THANKS, token), closed_page(SPENT_TITLE, services.SPENT, token)
    failed = closed_page(FAILED_TITLE, FAILED, token)
    try:
        services.answer_with_code(found, chosen, "", address=address)
    except services.CodeSpent:
        return 410, spent
    except Exception:
        log.exception("an answer to the public questionnaire could not be written")
        return 503, failed
    return 200, thanks


class FastPath:
    """WSGI middleware: respond() for a request to /s/<code> with no session or remember cookie (so not a
    signed-in user's), from an address the throttle lets through; Flask for everything else."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.cookies = (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))

    def __call__(self, environ, start_response):
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is not None and environ.get("REQUEST_METHOD") in ("GET", "POST") and self._anonymous(environ):
            served = self._served(environ, match.group(1))
            if served is not None:
                status, html = served
                body = html.encode()
                start_response(STATUS[status], [("Content-Type", "text/html; charset=utf-8"),
                                                ("Content-Length", str(len(body))), ("Vary", "Cookie"),
                                                *security_headers(self.app.config)])
                return [body]
        return self.wsgi_app(environ, start_response)

    def _anonymous(self, environ):
        cookie = environ.get("HTTP_COOKIE")
        return not cookie or not any(name in cookie and name in parse_cookie(cookie) for name in self.cookies)

    def _served(self, environ, code):
        method, form = environ["REQUEST_METHOD"], {}
        if method == "POST":
            body = self._body(environ)
            if body is None:
                return None
            environ["wsgi.input"] = io.BytesIO(body)  # read again by Flask if it answers after all
            if len(body) != int(environ["CONTENT_LENGTH"]):  # the client went away while sending
                return None
            try:
                for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                             errors="replace", max_num_fields=200):
                    form.setdefault(name, value)
            except ValueError:  # too many fields: Flask answers
                return None
        address = environ.get("REMOTE_ADDR") or ""
        try:
            with self.app.app_context():
                if throttle.blocked(address, self.app.config["PUBLIC_MISS_LIMIT"]):
                    return None
                g.pingyi_public_environ = environ
                return respond(method, code, form, address)
        except Exception:  # Flask answers as it does any request (its error page, its log)
            log.exception("the public questionnaire's fast path failed; the app answers %s %s", method,
                          environ.get("PATH_INFO"))
            if method == "POST":
                environ["wsgi.input"].seek(0)
            return None

    @staticmethod
    def _body(environ):
        """The posted body of a small form, or None (left unread) for anything else."""
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != FORM:
            return None
        raw = environ.get("CONTENT_LENGTH") or ""
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_FORM:  # as Werkzeug reads it: digits only
            return None
        return environ["wsgi.input"].read(int(raw))


def install(app):
    """Put the fast path in front of the app (before any proxy fix-up is wrapped around it)."""
    app.wsgi_app = FastPath(app, app.wsgi_app)
