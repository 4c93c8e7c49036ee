"""A per-address limit on the public pages (/s/<code>, /s/status/<query>): guessing codes is slowed down,
while an office network whose staff answer through one address stays far below the limit. Kept in this
process's memory only (a restart forgets it; no address is written anywhere)."""
import threading
import time
from collections import defaultdict, deque
from functools import wraps

from flask import current_app, render_template, request

_hits = defaultdict(deque)
_lock = threading.Lock()
WINDOW = 60.0


def allowed(address, limit, now=None):
    now = time.monotonic() if now is None else now
    with _lock:
        hits = _hits[address]
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        if len(_hits) > 10000:  # forget idle addresses
            for key in [k for k, v in _hits.items() if not v or v[-1] <= now - WINDOW]:
                del _hits[key]
        return True


def reset():
    with _lock:
        _hits.clear()


def public_page(view):
    @wraps(view)
    def limited(*args, **kwargs):
        if not allowed(request.remote_addr or "", current_app.config["PUBLIC_PAGE_LIMIT"]):
            return render_template("surveys/answer_closed.html", title="访问过于频繁",
                                   message="您的网络访问过于频繁，请一分钟后再试。"), 429
        return view(*args, **kwargs)
    return limited
