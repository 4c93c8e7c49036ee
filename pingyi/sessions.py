"""The session cookie: Flask's signed cookie, except that a response may leave the browser the cookie it has.

A permanent session is signed and sent again with every response, so that it lasts PERMANENT_SESSION_LIFETIME
from the last request. A response after which the session is not needed any longer (a respondent's submitted
questionnaire) calls leave_cookie(): if the session is then what it was at that call, no cookie is signed or
sent, and the one the browser holds stays valid until it expires as before."""
from flask import session
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app, session):
        left = getattr(session, "pingyi_left", None)  # on the request's own session object
        if left is not None and dict(session) == left:
            return False
        return super().should_set_cookie(app, session)


def leave_cookie():
    """Send no session cookie with this response unless the session changes from now on."""
    session.pingyi_left = dict(session)
