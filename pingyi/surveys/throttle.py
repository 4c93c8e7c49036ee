"""Slow down guessing on the public pages (/s/<code>, /s/status/<query>): an address that asked for more than
PUBLIC_MISS_LIMIT unknown codes within a minute is refused for the rest of that minute. Valid codes are never
counted, so an office network whose staff all answer through one address is never held back. Kept in this
process's memory only (a restart forgets it; no address is written anywhere)."""
import threading
import time
from collections import defaultdict, deque
from functools import wraps

from flask import current_app, make_response, render_template, request

from pingyi.sessions import leave_cookie

_misses = defaultdict(deque)
_lock = threading.Lock()
WINDOW = 60.0


def _recent(address, now):
    hits = _misses[address]
    while hits and hits[0] <= now - WINDOW:
        hits.popleft()
    return hits


def blocked(address, limit, now=None):
    now = time.monotonic() if now is None else now
    with _lock:
        return len(_recent(address, now)) >= limit


def missed(address, now=None):
    now = time.monotonic() if now is None else now
    with _lock:
        _recent(address, now).append(now)
        if len(_misses) > 10000:  # forget idle addresses
            for key in [k for k, v in _misses.items() if not v or v[-1] <= now - WINDOW]:
                del _misses[key]


def reset():
    with _lock:
        _misses.clear()


def public_page(view):
    @wraps(view)
    def limited(*args, **kwargs):
        address = request.remote_addr or ""
        if blocked(address, current_app.config["PUBLIC_MISS_LIMIT"]):
            leave_cookie()  # a page without a form: it gives the visitor no session
            return render_template("surveys/answer_closed.html", title="访问过于频繁", csrf_token=lambda: "",
                                   message="您输入的答题码或查询码多次无效，请一分钟后再试。"), 429
        response = make_response(view(*args, **kwargs))
        if response.status_code == 404:
            missed(address)
        return response
    return limited
