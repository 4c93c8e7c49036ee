"""The session cookie: Flask's signed cookie, except that a response may leave the browser the cookie it has, and
a visitor whose session holds only bookkeeping gets none.

A permanent session is signed and sent again with every response, so that it lasts PERMANENT_SESSION_LIFETIME
from the last request. A response after which the session is not needed any longer (a respondent's submitted
questionnaire) calls leave_cookie(): if the session is then what it was at that call, no cookie is signed or
sent, and the one the browser holds stays valid until it expires as before.

Every request marks the session permanent and Flask-Login marks it not fresh, so without more every anonymous
request (a style sheet too) would be sent a cookie holding nothing else. Such a session is not kept: no cookie is
sent, and one the browser holds is deleted. So a respondent's browser holds no cookie and its answer goes by the
public questionnaire's fast path (pingyi.surveys.public), which serves only requests without one."""
from flask import request, session
from flask.sessions import SecureCookieSessionInterface

BOOKKEEPING = {"_permanent", "_fresh"}  # what every request writes into a session, signed in or not


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        if session and set(session) <= BOOKKEEPING:  # nothing worth a cookie
            if self.get_cookie_name(app) not in request.cookies:
                return
            session.clear()  # Flask deletes the cookie the browser holds
        super().save_session(app, session, response)

    def should_set_cookie(self, app, session):
        left = getattr(session, "pingyi_left", None)  # on the request's own session object
        if left is not None and dict(session) == left:
            return False
        return super().should_set_cookie(app, session)


def leave_cookie():
    """Send no session cookie with this response unless the session changes from now on."""
    session.pingyi_left = dict(session)
