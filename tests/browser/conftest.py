"""Browser tests: the real app served by waitress on a free local port, driven by Debian's Chromium."""
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.conftest import PREBUILDS, built_once

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(directory):
    return dict(os.environ, PINGYI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{directory / 'pingyi.db'}",
                PINGYI_SECRET_KEY="browser-test", PINGYI_UPLOAD_DIR=str(directory / "uploads"))


def load_demo_county(directory):
    """The demo county in a fresh SQLite database under `directory`, loaded as `make run` loads it, except that
    the documents the demo issues are not laid out by LibreOffice (a dozen runs, half the loading time): their
    版记 stands where the builder puts it, as on a server without LibreOffice. What the browser tests download
    from the server is laid out as in production."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=_env(directory), check=True, capture_output=True)
    subprocess.run(flask + ["pingyi", "demo"], cwd=ROOT, env=dict(_env(directory), PINGYI_DOCUMENT_PAGINATE="0"),
                   check=True, capture_output=True)


# Loading takes the better part of a minute: it is done once per run (by whichever worker gets to it first, or
# by a worker waiting for another's demo_template) and each server starts on a copy.
PREBUILDS["browser-demo"] = (lambda session: any(item.path.is_relative_to(Path(__file__).parent)
                                                 for item in session.items), load_demo_county)


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory):
    """A folder holding the demo county as `make run` loads it, for demo_server to copy."""
    return built_once(tmp_path_factory, "browser-demo", load_demo_county)


def waitress(port):
    """The server `make run` starts on Windows: waitress, one process."""
    return [sys.executable, "-m", "waitress", "--host", "127.0.0.1", f"--port={port}", "app:app"]


def production(port):
    """The server `make run` starts on Linux (pingyi.serve: granian, two worker processes)."""
    return [sys.executable, "-m", "pingyi.serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]


@contextmanager
def demo_server(directory, demo_county, run_env=None, command=waitress, started=None):
    """A copy of the demo county (the demo_county fixture) under `directory`, served by `command(port)` (waitress
    by default, as `make run` serves it on Windows); yields the base URL. `run_env`: settings for serving;
    `started`: a list that gets the server's Popen."""
    shutil.copytree(demo_county, directory, dirs_exist_ok=True)
    env = dict(_env(directory), **(run_env or {}))
    port = _free_port()
    server = subprocess.Popen(command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if started is not None:
        started.append(server)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # a busy machine may take a while to start the server
        try:
            urlopen(base + "/login", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError("the app did not start: " + server.stderr.read().decode())
    try:
        yield base
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        server.stderr.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, demo_county):
    # FEEDBACK_RECEIPT_DAYS=0: a notice not signed for at once counts as overdue, so the loop test sees the flag.
    with demo_server(tmp_path_factory.mktemp("live"), demo_county, {"PINGYI_FEEDBACK_RECEIPT_DAYS": "0"}) as base:
        yield base


@pytest.fixture(scope="session")
def crawl_server(tmp_path_factory, demo_county):
    """live_server's copy for the crawls, which only read: its downloads skip LibreOffice's layout pass
    (DOCUMENT_PAGINATE off, as tests/documents check it), else each .docx link costs two or three LibreOffice
    runs of several seconds for every role, the better part of a crawl. The flows download through
    live_server, laid out as in production."""
    with demo_server(tmp_path_factory.mktemp("crawl"), demo_county,
                     {"PINGYI_FEEDBACK_RECEIPT_DAYS": "0", "PINGYI_DOCUMENT_PAGINATE": "0"}) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's Chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    # A refused form answers 422 on purpose; any other console error is a defect.
    page.on("console", lambda m: page.console_errors.append(m.text)
            if m.type == "error" and "422" not in m.text else None)
    yield page
    context.close()


def sign_in(page, base, username, password="demo123", land="/"):
    """Sign in and wait for the home page (the overview for office and leader); then open `land` (the
    dashboard by default, as the flows start there; None stays on the home page)."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: not url.startswith(base + "/login") and not url.endswith("/home"))
    if land is not None and page.url != base + land:
        page.goto(base + land)
