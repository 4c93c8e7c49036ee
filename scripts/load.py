"""`make load`: the demo county served as `make run` serves it, under a county's worth of users at once.

1. 50 signed-in users spread over the six demo accounts, each clicking about once a second through the
   main pages for 60 s: requests/s, median, p95, p99 and errors per page.
2. Saturation: 16 users clicking with no pause for 15 s: the throughput the server can carry.
3. The public questionnaire under a crowd: 200 respondents open /s/<code> at once, then all submit at once (180
   codes, 20 of them by two people), each answer on a new connection as from a phone: every code spent exactly
   once, the second use answered 410. Three crowds in a row; the p95 target is read on their median.
The unloaded sign-in and trivial pages are measured first in the same run, as the floor the figures
are read against. Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""
import argparse
import asyncio
import http.client
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNTS = ("office", "evaluator", "supervisor", "leader", "unit", "unit2")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client:
    """One browser: a keep-alive connection to the server and its cookies."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.connection = None

    def request(self, method, path, form=None):
        """(status, body text, seconds); a failed connection counts as status 0."""
        body = urlencode(form).encode() if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "User-Agent": "pingyi-load"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                for header, value in response.getheaders():
                    if header.lower() == "set-cookie":
                        name, _, rest = value.partition("=")
                        self.cookies[name] = rest.split(";", 1)[0]
                return response.status, text, time.perf_counter() - started
            except (OSError, http.client.HTTPException):
                self.connection = None
                if attempt:
                    return 0, "", time.perf_counter() - started
        return 0, "", time.perf_counter() - started

    def sign_in(self, username):
        _, page, _ = self.request("GET", "/login")
        status, _, _ = self.request("POST", "/login", {"csrf_token": CSRF.search(page).group(1),
                                                       "username": username, "password": "demo123"})
        if status != 302:
            raise RuntimeError(f"{username} could not sign in ({status})")


class Phone:
    """A respondent's phone in the crowd: a keep-alive connection on an asyncio event loop, the request written
    as bytes and the answer read by its length (cookies kept). The crowd's 200 phones run on the two cores the
    server has: as 200 threads with http.client they cost about as much CPU a request as the server's answer
    (the threads' contention for the GIL, and the parsing), and that time would be counted as the server's."""

    def __init__(self, port):
        self.port, self.cookies, self.reader, self.writer = port, {}, None, None

    async def request(self, method, path, form=None):
        """(status, body text, seconds); a failed connection counts as status 0."""
        body = urlencode(form).encode() if form is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUser-Agent: pingyi-load\r\n"
        if self.cookies:
            head += "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"
        if form is not None:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        message = (head + "\r\n").encode() + body
        started = time.perf_counter()
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20), 30)
                self.writer.write(message)
                status, text = await asyncio.wait_for(self._answer(), 30)
                return status, text, time.perf_counter() - started
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                self.close()
                if attempt:
                    return 0, "", time.perf_counter() - started
        return 0, "", time.perf_counter() - started

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _answer(self):
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status, headers = int(lines[0].split(" ", 2)[1]), {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, rest = value.partition("=")
                self.cookies[cookie] = rest.split(";", 1)[0]
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while (size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
                body += await self.reader.readexactly(size + 2)
                body = body[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body.decode("utf-8", "replace")


def start_server(folder, port, keep=None):
    """Migrate, load the demo county and serve it as `make run` does (python -m pingyi.serve). `keep`: a file
    for the demo county, written on the first run and copied from on later ones (no demo build)."""
    env = dict(os.environ, PINGYI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'load.db'}",
               PINGYI_UPLOAD_DIR=str(folder / "uploads"), PINGYI_SECRET_KEY="load-test")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    if keep is not None and Path(keep).exists():
        shutil.copy(keep, folder / "load.db")
        shutil.copytree(f"{keep}.uploads", folder / "uploads")
    else:
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        print("loading the demo county …", flush=True)
        subprocess.run(flask + ["pingyi", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        if keep is not None:
            with closing(sqlite3.connect(folder / "load.db")) as connection:  # everything in the one file
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(folder / "load.db", keep)
            shutil.copytree(folder / "uploads", f"{keep}.uploads", dirs_exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "pingyi.serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            if Client(port).request("GET", "/login")[0] == 200:
                return server, env
        except Exception:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start: " + server.stderr.read().decode())


def demo_paths(env):
    """The main pages of each account, with real ids from the demo database."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("PINGYI_")})
    from sqlalchemy import select

    from pingyi import create_app
    from pingyi.auth.models import User
    from pingyi.campaigns.services import current_campaign
    from pingyi.extensions import db
    from pingyi.tasks.services import campaign_tasks
    from pingyi.units.models import Unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["PINGYI_SQLALCHEMY_DATABASE_URI"], "JOBS_WORKER": False})
    with app.app_context():
        campaign = current_campaign()
        task = next(t for t in campaign_tasks(campaign.id) if t.for_units)
        police = db.session.scalar(select(User).where(User.username == "unit")).unit_id
        education = db.session.scalar(select(User).where(User.username == "unit2")).unit_id
        some = db.session.scalar(select(Unit.id).where(Unit.name == "县司法局"))
        db.engine.dispose()
    common = ["/", "/board", "/findings", "/feedback", "/rectifications", "/results", "/documents"]
    office = common + [f"/board/tasks/{task.id}", "/units", f"/units/{some}", f"/units/{some}/checklist",
                       "/findings/matrix"]
    paths = {"office": office, "leader": office, "evaluator": office, "supervisor": office,
             "unit": common + [f"/board/tasks/{task.id}", f"/units/{police}", f"/units/{police}/checklist"],
             "unit2": common + [f"/board/tasks/{task.id}", f"/units/{education}", f"/units/{education}/checklist"]}
    return paths


def page_name(path):
    return re.sub(r"/\d+", "/<id>", path)


def report(title, samples, seconds):
    """Print per page: requests, requests/s, median, p95, p99 (ms) and errors (5xx or no answer)."""
    print(f"\n{title}")
    print(f"{'page':34} {'n':>6} {'req/s':>7} {'median':>8} {'p95':>8} {'p99':>8} {'errors':>7}")
    rows = defaultdict(list)
    for path, status, elapsed in samples:
        rows[page_name(path)].append((status, elapsed))
    everything = [(s, e) for values in rows.values() for s, e in values]
    for name, values in sorted(rows.items()) + [("ALL", everything)]:
        times = sorted(e * 1000 for _, e in values)
        errors = sum(1 for s, _ in values if s == 0 or s >= 500)
        q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        print(f"{name:34} {len(values):6d} {len(values) / seconds:7.1f} {statistics.median(times):8.1f} "
              f"{q[94]:8.1f} {q[98]:8.1f} {errors:7d}")
    return everything


def browse(port, accounts, paths, seconds, think):
    """Signed-in users clicking through their pages; `think` seconds between clicks (0: no pause)."""
    samples, lock = [], threading.Lock()
    clients = []
    for username in accounts:
        client = Client(port)
        client.sign_in(username)
        allowed = [p for p in paths[username] if client.request("GET", p)[0] == 200]
        clients.append((client, allowed))
    deadline = time.monotonic() + seconds

    def user(client, allowed):
        order = allowed[:]
        random.shuffle(order)
        n = 0
        while time.monotonic() < deadline and n < 100_000:
            path = order[n % len(order)]
            status, _, elapsed = client.request("GET", path)
            with lock:
                samples.append((path, status, elapsed))
            n += 1
            if think:
                time.sleep(max(0.0, think * random.uniform(0.8, 1.2) - elapsed))

    threads = [threading.Thread(target=user, args=c) for c in clients]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return samples, time.monotonic() - started


def floor(port, rounds=120, block=20):
    """Unloaded medians of the sign-in page and a signed-in trivial page (ms), each page warmed up first, then taken
    in turns `block` requests at a time with the order swapped every block, as `make bench` takes its floors: a
    slow spell of the machine falls on both, and neither is read on a server just started."""
    anonymous, client = Client(port), Client(port)
    client.sign_in("office")
    pages = ((anonymous, "/login"), (client, "/account/password"))
    for who, path in pages:
        for _ in range(10):
            who.request("GET", path)
    times = ([], [])
    for n in range(rounds // block):
        for i in ((0, 1) if n % 2 == 0 else (1, 0)):
            who, path = pages[i]
            times[i].extend(who.request("GET", path)[2] for _ in range(block))
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def server_cpu(server):
    """CPU seconds the server and its worker processes have used so far (Linux /proc; None elsewhere): unlike
    response times, this does not grow when other programs share the machine."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat.parent.name) == server.pid or int(fields[1]) == server.pid:  # the master and its workers
                total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError, IndexError):
        return None


async def _crowd(port, codes, questions, option, server):
    """Every phone opens its code's page at once; when all have it (the barrier), every phone submits at once, each
    on a new connection.
    (samples, [the server's CPU at the barrier])."""
    phones = [Phone(port) for _ in codes]
    pages = await asyncio.gather(*(phone.request("GET", f"/s/{code}") for phone, code in zip(phones, codes)))
    samples = [("/s/<code> GET", status, elapsed) for status, _, elapsed in pages]
    at_barrier = [server_cpu(server) if server is not None else None]

    async def submit(phone, code, page):
        token = CSRF.search(page)
        if token is None:
            return None
        # A respondent takes a minute or more to answer, long after the server has closed the idle connection
        # (a server keeps one for seconds): the answer comes on a new connection, as from a real phone.
        phone.close()
        form = {"csrf_token": token.group(1), **{f"q-{qid}": str(option) for qid in questions}}
        return await phone.request("POST", f"/s/{code}", form)
    answers = await asyncio.gather(*(submit(phone, code, page) for phone, code, (_, page, _) in zip(phones, codes, pages)))
    samples += [("/s/<code> POST", status, elapsed) for status, _, elapsed in filter(None, answers)]
    for phone in phones:
        phone.close()
    return samples, at_barrier


def questionnaire_crowd(port, env, server=None, respondents=200, reused=20):
    """`respondents` people submit at once; `reused` codes are used by two of them."""
    from sqlalchemy import func, select

    from pingyi import create_app
    from pingyi.auth.models import User
    from pingyi.campaigns.services import current_campaign
    from pingyi.extensions import db
    from pingyi.surveys import services as surveys
    from pingyi.surveys.models import Ballot, SurveyCode
    from pingyi.units.models import Unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["PINGYI_SQLALCHEMY_DATABASE_URI"], "JOBS_WORKER": False})
    with app.app_context():
        campaign = current_campaign()
        unit = db.session.scalar(select(Unit).where(Unit.name == "县司法局"))
        q = surveys.questionnaires(campaign.id)[0]
        rtype = surveys.respondent_types(campaign.id)[0]
        office = db.session.scalar(select(User).where(User.username == "office"))
        batch = surveys.issue_codes(campaign, unit, q, rtype, "november", respondents - reused, office)
        codes = [c.code for c in batch.codes]
        option = surveys.options(campaign.id)[0].id
        questions = [question.id for question in q.questions]
        ballots_before = db.session.scalar(select(func.count()).select_from(Ballot))
        db.engine.dispose()
    assigned = codes + random.sample(codes, reused)
    cpu_before = server_cpu(server) if server is not None else None
    started = time.monotonic()
    samples, at_barrier = asyncio.run(_crowd(port, assigned, questions, option, server))
    seconds = time.monotonic() - started
    cpu_after = server_cpu(server) if cpu_before is not None else None
    everything = report(f"Public questionnaire: {respondents} respondents at once, {reused} codes used twice",
                        samples, seconds)
    p95 = statistics.quantiles([e * 1000 for _, e in everything], n=100, method="inclusive")[94]
    if cpu_after is not None:
        print(f"server CPU: {cpu_after - cpu_before:.2f} s for {len(samples)} requests, "
              f"{(cpu_after - cpu_before) * 1000 / max(1, len(samples)):.1f} ms a request", end="")
        if at_barrier and at_barrier[0] is not None:
            print(f" (GET {(at_barrier[0] - cpu_before) * 1000 / respondents:.1f} ms, "
                  f"POST {(cpu_after - at_barrier[0]) * 1000 / respondents:.1f} ms)", end="")
        print()
    with app.app_context():
        spent = db.session.scalar(select(func.count()).select_from(SurveyCode)
                                  .where(SurveyCode.batch_id == batch.id, SurveyCode.used_on.is_not(None)))
        ballots = db.session.scalar(select(func.count()).select_from(Ballot)) - ballots_before
        db.engine.dispose()
    posts = [s for p, s, _ in samples if p.endswith("POST")]
    print(f"codes {len(codes)}: spent {spent}, new ballots {ballots}; POST answers: "
          f"{posts.count(200)} × 200, {posts.count(410)} × 410, {sum(1 for s in posts if s == 0 or s >= 500)} errors"
          + "".join(f", {n} × {s}" for s, n in sorted(Counter(s for s in posts if s not in (0, 200, 410) and s < 500).items())))
    return spent == len(codes) == ballots and posts.count(410) == reused and posts.count(200) == len(codes), p95


def crowds(port, env, server, times):
    """`times` crowds in a row (each with fresh codes); their p95s and whether every code was spent exactly once.
    One crowd's p95 moves by a third between runs on a shared 2-core machine, so the target is read on the median."""
    results = [questionnaire_crowd(port, env, server) for _ in range(max(1, times))]
    p95s = [p95 for _, p95 in results]
    median = statistics.median(p95s)
    print(f"\n=> crowd p95 over {len(p95s)} crowds: {', '.join(f'{p:.0f}' for p in p95s)} ms; median {median:.0f} ms; "
          f"target ≤ 300 ms: {'met' if median <= 300 else 'MISSED'}")
    print("every code spent exactly once, second uses answered 410: "
          + ("yes" if all(ok for ok, _ in results) else "NO"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--only", choices=("crowd",), help="crowd: only the public questionnaire crowd (part 3)")
    parser.add_argument("--crowds", type=int, default=3, help="how many crowds in a row (each with fresh codes)")
    parser.add_argument("--keep", help="a file for the demo county: written on the first run, copied from later")
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="pingyi-load-") as tmp:
        server, env = start_server(Path(tmp), args.port, args.keep)
        try:
            if args.only == "crowd":
                crowds(args.port, env, server, args.crowds)
                return
            paths = demo_paths(env)
            sign_in_ms, trivial_ms = floor(args.port)
            print(f"floor (unloaded medians): sign-in page {sign_in_ms:.1f} ms, trivial page {trivial_ms:.1f} ms "
                  f"({trivial_ms / sign_in_ms:.2f}× the sign-in page); server: python -m pingyi.serve, "
                  f"{os.cpu_count()} cores")
            accounts = [ACCOUNTS[n % len(ACCOUNTS)] for n in range(args.users)]
            samples, seconds = browse(args.port, accounts, paths, args.seconds, think=1.0)
            everything = report(f"{args.users} users, about one click a second each, {seconds:.0f} s", samples, seconds)
            p95 = statistics.quantiles([e * 1000 for _, e in everything], n=100, method="inclusive")[94]
            errors = sum(1 for s, _ in everything if s == 0 or s >= 500)
            print(f"=> p95 {p95:.0f} ms ({p95 / trivial_ms:.1f}× the unloaded trivial page), errors {errors}; "
                  f"target p95 ≤ 150 ms and 0 errors: {'met' if p95 <= 150 and not errors else 'MISSED'}")
            samples, seconds = browse(args.port, accounts[:16], paths, 15, think=0)
            print(f"\nsaturation: 16 users with no pause for {seconds:.0f} s: {len(samples) / seconds:.1f} requests/s, "
                  f"{sum(1 for _, s, _ in samples if s == 0 or s >= 500)} errors")
            crowds(args.port, env, server, args.crowds)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
