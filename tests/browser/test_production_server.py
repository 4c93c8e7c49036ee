"""The production server (`python -m pingyi.serve`: granian, a worker process per core) serving a copy of the demo
county over real HTTP: what only that server shows. Its worker processes, the public questionnaire's fast path
behind a real HTTP layer (a HEAD, a chunked body, a code submitted twice at once), a document batch built by a
server process's job worker with its builder processes, and a worker that dies being replaced."""
import http.client
import http.cookiejar
import io
import json
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import urllib.request
import zipfile
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.conftest import demo_server, production
from tests.conftest import children, running

pytestmark = pytest.mark.skipif(sys.platform == "win32" or not Path("/proc").is_dir(),
                                reason="waitress serves on Windows; the processes are read from /proc")

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHOICE = re.compile(r'name="(q-\d+)"[^>]*value="(\d+)"')


# Two builder processes a batch, whatever the machine's cores: each server process's job worker then starts the
# builders' fork server as it starts, which shows that process has loaded the app.
# HTTP_COOKIE and HTTP_USER_AGENT in the server's environment must not reach a request (granian starts each
# request's environ from the process's environment).
SETTINGS = {"PINGYI_DOCUMENT_PAGINATE": "0", "PINGYI_DOCUMENT_BATCH_PROCESSES": "2",
            "HTTP_COOKIE": "session=from-the-environment", "HTTP_USER_AGENT": "from-the-environment"}


@pytest.fixture(scope="module")
def served(tmp_path_factory, demo_county):
    """(base URL, the server's Popen, its folder); the documents a batch builds are not laid out by LibreOffice."""
    started, folder = [], tmp_path_factory.mktemp("production")
    with demo_server(folder, demo_county, SETTINGS, command=production, started=started) as base:
        yield base, started[0], folder


def _request(base, method, path, body=None, headers=None, **options):
    """(status, headers, text) of one request on a new connection (`options`: http.client's, e.g. encode_chunked)."""
    parts = urlsplit(base)
    with closing(http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)) as connection:
        connection.request(method, path, body=body, headers=headers or {}, **options)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")  # names in any case


def _open_codes(folder, base, wanted):
    """`wanted` unused codes of the demo county whose questionnaire is open now, with their pages."""
    with closing(sqlite3.connect(folder / "pingyi.db")) as connection:
        codes = [c for (c,) in connection.execute("SELECT code FROM survey_code WHERE used_on IS NULL ORDER BY id")]
    found = []
    for code in codes:
        status, _, page = _request(base, "GET", f"/s/{code}")
        if status == 200 and TOKEN.search(page):
            found.append((code, page))
            if len(found) == wanted:
                return found
    pytest.fail("the demo county has too few open questionnaire codes")


def _answer(page):
    """The form of `page` filled with the first option of every question."""
    form = {"csrf_token": TOKEN.search(page).group(1)}
    for name, value in CHOICE.findall(page):
        form.setdefault(name, value)
    return form


def _spent(folder, code):
    with closing(sqlite3.connect(folder / "pingyi.db")) as connection:
        return connection.execute("SELECT used_on FROM survey_code WHERE code = ?", (code,)).fetchone()[0] is not None


def test_the_server_runs_two_worker_processes_and_answers(served):
    base, server, _ = served
    assert len(children(server.pid)) == 2
    status, _, text = _request(base, "GET", "/healthz")
    assert status == 200 and json.loads(text)["database"] == "ok"


def test_no_request_takes_a_header_from_the_servers_environment(served):
    """A cookieless request is sent no cookie (one taken from HTTP_COOKIE would be refused and deleted), and a
    sign-in sent without a User-Agent is audited with none."""
    base, _, folder = served
    status, headers, _ = _request(base, "GET", "/healthz")
    assert status == 200 and "Set-Cookie" not in headers
    _, headers, login = _request(base, "GET", "/login")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, _, _ = _request(base, "POST", "/login", urlencode({
        "csrf_token": TOKEN.search(login).group(1), "username": "office", "password": "not-the-password"}),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    with closing(sqlite3.connect(folder / "pingyi.db")) as connection:
        action, agent = connection.execute("SELECT action, user_agent FROM audit_entry ORDER BY id DESC").fetchone()
    assert action == "sign_in_failed" and agent == ""


def test_a_code_sent_twice_at_once_over_http_is_spent_once_and_a_head_spends_nothing(served):
    base, _, folder = served
    (code, page), (chunked_code, chunked_page) = _open_codes(folder, base, 2)
    status, headers, _ = _request(base, "HEAD", f"/s/{code}")
    assert status == 200 and "Set-Cookie" not in headers and not _spent(folder, code)
    body = urlencode(_answer(page))
    outcomes = []

    def submit():
        outcomes.append(_request(base, "POST", f"/s/{code}", body,
                                 {"Content-Type": "application/x-www-form-urlencoded"})[0])
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200, 410] and _spent(folder, code)

    # A body sent in chunks (no Content-Length) is read whole: the answer is saved once.
    encoded = urlencode(_answer(chunked_page)).encode()
    status, _, text = _request(base, "POST", f"/s/{chunked_code}", iter([encoded[:10], encoded[10:]]),
                               {"Content-Type": "application/x-www-form-urlencoded"}, encode_chunked=True)
    assert status == 200 and "提交成功" in text and _spent(folder, chunked_code)


def test_a_document_batch_is_built_by_a_server_process_and_its_builders(served):
    base, server, _ = served
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = browser.open(base + "/login", timeout=30).read().decode()
    browser.open(base + "/login", urlencode({"csrf_token": TOKEN.search(login).group(1), "username": "office",
                                            "password": "demo123"}).encode(), timeout=30).read()
    documents = browser.open(base + "/documents", timeout=30).read().decode()
    started = browser.open(base + "/documents/batches", urlencode({
        "csrf_token": TOKEN.search(documents).group(1), "kind": "commitment", "group": ""}).encode(), timeout=30)
    batch = re.search(r"/documents/batches/(\d+)$", started.url).group(1)
    deadline = time.monotonic() + 240
    while "下载压缩包" not in (page := browser.open(f"{base}/documents/batches/{batch}", timeout=30).read().decode()):
        assert "失败" not in page and time.monotonic() < deadline, page
        time.sleep(0.5)
    archive = zipfile.ZipFile(io.BytesIO(browser.open(f"{base}/documents/batches/{batch}/download",
                                                      timeout=60).read()))
    letters = [n for n in archive.namelist() if n.endswith(".docx")]
    assert archive.testzip() is None and "县公安局_整改承诺书_2026.docx" in letters
    assert "未生成的单位说明.txt" in archive.namelist()  # the units without a commitment yet
    # The job worker of each server process started the builders' fork server, where the batch gets its pool.
    assert all(children(worker) for worker in children(server.pid))


def test_a_worker_that_dies_is_replaced_and_a_stopped_server_leaves_no_process(tmp_path_factory, demo_county):
    started = []
    with demo_server(tmp_path_factory.mktemp("respawn"), demo_county, SETTINGS, command=production,
                     started=started) as base:
        server = started[0]
        workers = children(server.pid)
        os.kill(min(workers), signal.SIGKILL)
        deadline = time.monotonic() + 60
        # Replaced, and the new process has loaded the app (its job worker started the builders' fork server):
        # a process still loading it when told to stop is only killed after the 20 s it is given.
        while not ((new := children(server.pid) - workers) and all(children(pid) for pid in new)):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert len(children(server.pid)) == 2 and _request(base, "GET", "/healthz")[0] == 200
        everyone = children(server.pid)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not any(running(pid) for pid in everyone)
