"""`make bench`: server time and SQL statements of the main pages for a 300-unit county, each as a ratio to
its floor measured in the same run, so the figures hold on a busy machine.

Builds the demo county at 60 units (SQL counts only), grows it to 300 units, 3,000 findings and 60,000
ballots, then times requests through the WSGI app (server time, no network): every page against the
signed-in trivial page (/account/password, the base layout only), the trivial page against the signed-out
sign-in page, and the 300-letter batch (its background job on every core) against the builder alone in one
process on in-memory data.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pingyi import create_app, demo  # noqa: E402
from pingyi.auth.models import User  # noqa: E402
from pingyi.auth.services import start_session  # noqa: E402
from pingyi.campaigns.models import Participation  # noqa: E402
from pingyi.campaigns.services import current_campaign  # noqa: E402
from pingyi.checklists.services import dimensions  # noqa: E402
from pingyi.documents import parallel  # noqa: E402
from pingyi.documents import services as document_services  # noqa: E402
from pingyi.documents.builders import commitment_docx  # noqa: E402
from pingyi.documents.models import DocumentBatch  # noqa: E402
from pingyi.extensions import db, login_manager  # noqa: E402
from pingyi.feedback.models import FeedbackItem, FeedbackNotice  # noqa: E402
from pingyi.jobs import services as jobs  # noqa: E402
from pingyi.findings.models import Finding, Inspection  # noqa: E402
from pingyi.rectifications.models import Rectification  # noqa: E402
from pingyi.tasks.models import Submission  # noqa: E402
from pingyi.tasks.services import campaign_tasks  # noqa: E402
from pingyi.timeutil import utcnow  # noqa: E402
from pingyi.units.models import Unit  # noqa: E402

ROUNDS = 20
BATCH_ROUNDS = 3  # the batch and its floor, in turns: the medians are compared
FLOOR_ROUNDS = 200  # the floors every ratio divides by: a sub-millisecond page needs more samples for a steady median;
# the two are taken in turns (measure_floors)


def grow(campaign, total):
    """Add units (with participation and a spread of submissions) until the county has `total`."""
    groups = campaign.groups
    tasks = [t for t in campaign_tasks(campaign.id) if t.for_units]
    office = db.session.scalar(select(User).where(User.username == "office"))
    count = db.session.query(Unit).count()
    for n in range(count + 1, total + 1):
        unit = Unit(name=f"测试单位{n:03d}", short_name=f"单位{n}", category=("department", "institution", "stationed")[n % 3],
                    sort_order=n)
        db.session.add(unit)
        db.session.add(Participation(campaign=campaign, unit=unit, is_key=n % 9 == 0, group=groups[n % len(groups)]))
        for i, task in enumerate(tasks):
            if (n + i) % 5:
                status = ("submitted", "confirmed", "confirmed", "returned")[(n * 7 + i) % 4]
                db.session.add(Submission(task=task, unit=unit, status=status, note="已完成", submitted_at=utcnow(),
                                          submitted_by_id=office.id))
    db.session.commit()


def add_findings(campaign, total):
    """Spread confirmed (and some pending) findings over the units until the campaign has `total`."""
    office = db.session.scalar(select(User).where(User.username == "office"))
    dims = dimensions(campaign.id)
    units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
    have = db.session.query(Finding).count()
    n = 0
    while have < total:
        unit = units[n % len(units)]
        inspection = Inspection(campaign_id=campaign.id, unit_id=unit.id, method="unannounced",
                                held_on=date(2026, 6, 1 + n % 28), status="submitted", created_by_id=office.id)
        db.session.add(inspection)
        db.session.flush()
        for k in range(min(5, total - have)):
            dim = dims[(n + k) % len(dims)]
            db.session.add(Finding(campaign_id=campaign.id, inspection_id=inspection.id, unit_id=unit.id,
                                   dimension_id=dim.id, item_id=dim.items[k % len(dim.items)].id,
                                   description="测试问题", severity=("minor", "major", "severe")[(n + k) % 3],
                                   source="unannounced", status="confirmed" if (n + k) % 4 else "submitted"))
            have += 1
        n += 1
    db.session.commit()


def add_commitments(campaign):
    """Give every unit without one a sent notice with two 整改计划并承诺 answers: a commitment letter each."""
    office = db.session.scalar(select(User).where(User.username == "office"))
    dim = dimensions(campaign.id)[3]
    have = set(db.session.scalars(select(Rectification.unit_id).where(Rectification.kind == "plan")))
    for unit in db.session.scalars(select(Unit).where(Unit.id.not_in(have))):
        notice = FeedbackNotice(campaign_id=campaign.id, unit_id=unit.id, round="june", status="sent", doc_number=unit.id + 100,
                                created_by_id=office.id, answer_deadline=date(2026, 8, 31), sent_at=utcnow(),
                                received_at=utcnow(), overall="总体较好")
        for k in range(2):
            item = FeedbackItem(dimension_id=dim.id, problem=f"{unit.name}问题{k + 1}：窗口服务效率有待提高",
                                suggestion="落实限时办结制度", deadline=date(2026, 8, 31), sort_order=k)
            notice.items.append(item)
            db.session.add(Rectification(campaign_id=campaign.id, item=item, unit_id=unit.id, kind="plan",
                                         measures="制定整改计划，分步实施", owner="办公室主任", deadline=date(2026, 12, 31),
                                         commitment="年底前整改到位"))
        db.session.add(notice)
    db.session.commit()


def add_ballots(campaign, per_unit):
    """`per_unit` questionnaires entered one by one for every unit, each answering every question."""
    from sqlalchemy import func, insert

    from pingyi.surveys import services as surveys
    from pingyi.surveys.models import Ballot, BallotAnswer
    q = surveys.questionnaires(campaign.id)[0]
    types = surveys.respondent_types(campaign.id)
    opts = surveys.options(campaign.id)
    next_id = (db.session.scalar(select(func.max(Ballot.id))) or 0) + 1
    ballots, answers = [], []
    for unit_id in db.session.scalars(select(Unit.id).order_by(Unit.id)):
        for k in range(per_unit):
            ballots.append({"id": next_id, "campaign_id": campaign.id, "unit_id": unit_id, "questionnaire_id": q.id,
                            "respondent_type_id": types[k % len(types)].id, "round": ("june", "november")[k % 2],
                            "channel": "paper", "created_at": utcnow()})
            for j, question in enumerate(q.questions):
                answers.append({"ballot_id": next_id, "question_id": question.id,
                                "option_id": opts[(unit_id + k + j) % 7 % len(opts)].id})
            next_id += 1
    db.session.execute(insert(Ballot), ballots)
    db.session.execute(insert(BallotAnswer), answers)
    db.session.commit()
    surveys.recount(campaign)  # a bulk import bypasses add_ballot's running counts
    return len(ballots)


def five_components(campaign_id):
    """The heaviest scheme: per-ballot survey with a weighted question, weighted checklist dimensions, rectification
    by deductions, board tasks and a direct score (a value for every unit), minus the findings' deductions."""
    from pingyi.results import direct
    from pingyi.results.components import DEFAULTS
    from pingyi.surveys import services as surveys
    main = surveys.questionnaires(campaign_id)[0]
    dims = dimensions(campaign_id)
    return [
        dict(DEFAULTS["survey"], key="satisfaction", name="群众满意度", kind="survey", weight="50", missing="unrated",
             mode="ballot", question_weights={str(main.questions[-1].id): "2"}),
        dict(DEFAULTS["checklist"], key="checklist", name="检查考核", kind="checklist", weight="15", missing="",
             dimension_weights={str(d.id): str(k + 1) for k, d in enumerate(dims)}),
        dict(DEFAULTS["rectification"], key="rectification", name="整改落实", kind="rectification", weight="10",
             missing="", mode="deduct"),
        dict(DEFAULTS["tasks"], key="tasks", name="工作任务", kind="tasks", weight="5", missing="zero"),
        dict(DEFAULTS["direct"], key="leaders", name="领导评议", kind="direct", weight="20", missing="", max="20"),
        dict(DEFAULTS["findings"], key="findings", name="问题扣分", kind="findings", weight="0", missing=""),
    ], direct


def scheme_times(app, client, statements, campaign_id):
    """/results under the plan's three sources and under five components (every unit given a 领导评议 value)."""
    import json

    from pingyi.campaigns.models import Campaign
    from pingyi.results import services as results
    from pingyi.results.schemes import plan_components
    out = {}
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        office = db.session.scalar(select(User).where(User.username == "office"))
        listed, direct = five_components(campaign_id)
        config = results.config_for(campaign)
        saved = config.components_json
        comp = next(c for c in listed if c["kind"] == "direct")
        direct.save_values(campaign, comp, {uid: 15 + uid % 5 for uid, _ in direct.participating_units(campaign)},
                           office)
    for name, scheme in (("/results (plan's scheme: three sources)", plan_components()),
                         ("/results (five components, per-ballot survey)", listed)):
        with app.app_context():
            config = results.config_for(db.session.get(Campaign, campaign_id))
            config.components_json = json.dumps(scheme, ensure_ascii=False)
            db.session.commit()
        out[name] = measure(client, "/results", statements)
    with app.app_context():
        results.config_for(db.session.get(Campaign, campaign_id)).components_json = saved
        db.session.commit()
    return out


def batch_time(client, app, statements):
    """Wall time of a commitment-letter batch for every unit through the web app, polled like the page does."""
    start = time.perf_counter()
    response = client.post("/documents/batches", data={"kind": "commitment"})
    assert response.status_code == 302, response.status_code
    batch_id = int(response.location.rstrip("/").split("/")[-1])
    with app.app_context():
        while True:
            db.session.rollback()
            batch = db.session.get(DocumentBatch, batch_id)
            if batch.status not in ("queued", "running"):
                break
            time.sleep(0.02)
        assert batch.status == "done", batch.error
        return time.perf_counter() - start, batch.total


def floor_time(app, campaign_id):
    """The same letters built straight from in-memory data: no HTTP, no database while building."""
    with app.app_context():
        from pingyi.campaigns.models import Campaign
        campaign = db.session.get(Campaign, campaign_id)
        data = [document_services.commitment_data(campaign, u) for u in db.session.scalars(select(Unit))]
    start = time.perf_counter()
    for d in data:
        commitment_docx(d)
    return time.perf_counter() - start


def batch_and_floor(client, app, statements, campaign_id, rounds=BATCH_ROUNDS):
    """([batch seconds], [floor seconds], units): the batch and its floor taken in turns, `rounds` times each,
    so that a slow spell of the machine falls on both (one build of 300 letters varies by a quarter)."""
    batches, floors = [], []
    for _ in range(rounds):
        batch, total = batch_time(client, app, statements)
        batches.append(batch)
        floors.append(floor_time(app, campaign_id))
    return batches, floors, total


def measure(client, path, statements, rounds=ROUNDS):
    """(median ms, p95 ms, SQL statements of the last request) of `rounds` GETs after one warm-up request."""
    client.get(path)
    times, counts = [], []
    for _ in range(rounds):
        statements.clear()
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        counts.append(len(statements))
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], counts[-1]


def measure_floors(anonymous, client, statements, rounds=FLOOR_ROUNDS, block=20):
    """measure() of the sign-in page and the trivial page, `rounds` each, taken in turns `block` requests at a time
    (the order swapped every block): a slow spell of the machine falls on both floors, not on one of them."""
    pages = (("sign-in page (/login, signed out)", anonymous, "/login"),
             ("trivial page (/account/password)", client, "/account/password"))
    for _, who, path in pages:
        who.get(path)
    times, counts = {name: [] for name, _, _ in pages}, {}
    for n in range(rounds // block):
        for name, who, path in (pages if n % 2 == 0 else pages[::-1]):
            for _ in range(block):
                statements.clear()
                start = time.perf_counter()
                response = who.get(path)
                times[name].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            counts[name] = len(statements)
    out = {}
    for name, taken in times.items():
        taken.sort()
        out[name] = (statistics.median(taken), taken[max(0, int(len(taken) * 0.95) - 1)], counts[name])
    return out


def sample_time(campaign, people=10000, per_unit=20):
    """Import a register of `people` (two files at the import's row limit) and time one draw from it:
    (seconds, people drawn, the draw's id)."""
    from pingyi.surveys import pools, sampling
    from pingyi.surveys import services as surveys
    office = db.session.scalar(select(User).where(User.username == "office"))
    pool = pools.create_pool("测速名册", "", office)
    names = [u.name for u in sampling.campaign_units(campaign)]
    step = 5000
    for start in range(0, people, step):
        rows = [f"1009{n:07d},,服务对象/群众,{names[n % len(names)]}" for n in range(start, min(people, start + step))]
        pools.import_register("bench.csv", ("手机号码,姓名,测评对象类别,服务单位\n" + "\n".join(rows)).encode(), pool, office)
    started = time.perf_counter()
    draw = sampling.draw_sample(campaign, pool, surveys.questionnaires(campaign.id)[0], "june",
                                {surveys.respondent_types(campaign.id)[0].id: per_unit}, [u.id for u in
                                                                                         sampling.campaign_units(campaign)],
                                12, office)
    return time.perf_counter() - started, draw.drawn_count, draw.id


def pages(police_id, task_id):
    return (
        ("/board", "/board"),
        (f"/board/tasks/{task_id} (per-unit list)", f"/board/tasks/{task_id}"),
        ("/units", "/units"),
        (f"/units/{police_id}", f"/units/{police_id}"),
        (f"/units/{police_id}/checklist", f"/units/{police_id}/checklist"),
        ("/findings", "/findings"),
        ("/findings/matrix", "/findings/matrix"),
        ("/feedback", "/feedback"),
        ("/rectifications", "/rectifications"),
        ("/results (live)", "/results"),
        (f"/results/units/{police_id} (explanation)", f"/results/units/{police_id}"),
        ("/todo (materials queue)", "/todo?q=materials"),
        ("/overview", "/overview"),
        ("/ (dashboard)", "/"),
        ("/documents", "/documents"),
        ("/reminders", "/reminders"),
        (f"/units/{police_id}/documents/commitment.docx", f"/units/{police_id}/documents/commitment.docx"),
        (f"/units/{police_id}/dossier.zip", f"/units/{police_id}/dossier.zip"),
    )


def signed_in_client(app, username):
    client = app.test_client()
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
    with app.test_request_context():
        identifier = login_manager._session_identifier_generator()
        token = start_session(db.session.get(User, user_id))  # a real server-side session, as a sign-in opens
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["_id"], sess["_sid"] = str(user_id), True, identifier, token
    return client


def touch(app):
    """One change to the data (a finding's description), as any save makes: kept results are stale after it."""
    with app.app_context():
        finding = db.session.scalar(select(Finding).order_by(Finding.id).limit(1))
        text = finding.description  # toggled, so every call is a change (the kept county is touched every run)
        finding.description = text[:-1] if text.endswith("。") else text + "。"
        db.session.commit()


def run(small, units, findings, per_unit, only=None, keep=None):
    """Every figure of the bench; with `only`, just the pages whose name contains it (no batch, draw or schemes).
    `keep`: a file for the grown county, written on the first run and copied from on the next ones."""
    folder = Path(tempfile.mkdtemp())
    reuse = keep is not None and Path(keep).exists()
    if reuse:
        shutil.copy(keep, folder / "bench.db")
        shutil.copytree(f"{keep}.uploads", folder / "uploads")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": str(folder / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "WTF_CSRF_ENABLED": False,  # the batch is started with a POST
                      "JOBS_WORKER": False})  # started below, once the tables exist
    statements = []
    if not reuse:
        with app.app_context():
            db.create_all()
    jobs.start_worker(app)
    with app.app_context():
        if not reuse:
            demo.load_demo()
            grow(current_campaign(), small)
            add_findings(current_campaign(), small * 10)
            add_commitments(current_campaign())
        campaign_id = current_campaign().id
        police_id = db.session.scalar(select(Unit.id).where(Unit.name == "县公安局"))
        task_id = next(t for t in campaign_tasks(campaign_id) if t.title == "书面总结报告").id
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    # Requests run outside this app context, as on a server: each gets its own session and queries.
    client = signed_in_client(app, "office")
    listing = [(name, path) for name, path in pages(police_id, task_id) if only is None or only in name]
    small_sql = {}
    if not reuse:
        small_sql = {name: measure(client, path, statements, rounds=1)[2] for name, path in listing}
        small_sql["trivial"] = measure(client, "/account/password", statements, rounds=1)[2]
        with app.app_context():
            campaign = db.session.get(type(current_campaign()), campaign_id)
            grow(campaign, units)
            add_findings(campaign, findings)
            add_commitments(campaign)
            ballots = add_ballots(campaign, per_unit)
            sample = sample_time(campaign)  # a 10,000-person register, drawn from for the grown county
            db.engine.dispose()
        if keep is not None:
            shutil.copy(folder / "bench.db", keep)
            shutil.copytree(folder / "uploads", f"{keep}.uploads", dirs_exist_ok=True)
    else:
        with app.app_context():  # the kept county: its figures, the draw not timed again
            from pingyi.surveys.models import Ballot
            from pingyi.surveys.reach_models import SampleDraw
            ballots = db.session.query(Ballot).filter(Ballot.channel == "paper").count()
            draw = db.session.scalar(select(SampleDraw).order_by(SampleDraw.id.desc()).limit(1))
            sample = (None, draw.drawn_count, draw.id)
    anonymous = app.test_client()
    results = measure_floors(anonymous, client, statements)
    results.update({name: measure(client, path, statements) for name, path in listing})
    if only == "batch":  # the batch against its floor, no page
        return {"pages": results, "small_sql": small_sql, "ballots": ballots,
                **measure_batch(client, app, statements, campaign_id)}
    if only is not None:
        return {"pages": results, "small_sql": small_sql, "ballots": ballots}
    draw_page = f"/surveys/draws/{sample[2]} ({sample[1]} sampled)"
    results[draw_page] = measure(client, f"/surveys/draws/{sample[2]}", statements)
    results.update(scheme_times(app, client, statements, campaign_id))  # /results under other schemes
    touch(app)
    statements.clear()
    start = time.perf_counter()
    client.get("/results")
    recompute = ((time.perf_counter() - start) * 1000, len(statements))
    print(f"  (pages measured, {len(results)}; now the batch)", flush=True)
    return {"pages": results, "small_sql": small_sql, "ballots": ballots, "recompute": recompute, "sample": sample,
            **measure_batch(client, app, statements, campaign_id)}


def measure_batch(client, app, statements, campaign_id):
    """The batch against its floor, with how many builder processes ran it and whether it was paginated."""
    batch, floor, total = batch_and_floor(client, app, statements, campaign_id)
    with app.app_context():
        processes = parallel.processes(total)
        paginate = app.config.get("DOCUMENT_PAGINATE", not app.config.get("TESTING"))
        db.engine.dispose()
    return {"batch": (batch, floor, total), "processes": processes, "paginate": paginate}


def main():
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="measure only the pages whose name contains this (no batch, draw or schemes); "
                                       "'batch': only the batch against its floor")
    parser.add_argument("--keep", help="a file for the grown county: written on the first run, copied from later")
    args = parser.parse_args()
    small, units, findings, per_unit = 60, 300, 3000, 200
    print(f"pingyi bench: server time over {ROUNDS} requests each (after one warm-up), SQLite, signed in as office; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    out = run(small, units, findings, per_unit, args.only, args.keep)
    pages_ = out["pages"]
    signin = pages_.pop("sign-in page (/login, signed out)")
    trivial = pages_.pop("trivial page (/account/password)")
    print(f"\n{units} units, {findings} findings, {out['ballots']} ballots entered one by one (on top of the demo's "
          f"paper tallies); SQL also at {small} units to show it does not grow with the county")
    print(f"  {'page':44} {'median ms':>9} {'p95 ms':>8} {'SQL':>4} {f'SQL@{small}':>7} {'ratio':>7}  floor")
    print(f"  {'sign-in page (/login, signed out)':44} {signin[0]:9.1f} {signin[1]:8.1f} {signin[2]:4d} {'':>7} "
          f"{1:7.2f}  itself")
    print(f"  {'trivial page (/account/password)':44} {trivial[0]:9.1f} {trivial[1]:8.1f} {trivial[2]:4d} "
          f"{out['small_sql'].get('trivial', ''):>7} {trivial[0] / signin[0]:7.2f}  sign-in page (target ≤ 2)")
    for name, (median, p95, sql) in pages_.items():
        small_sql = out["small_sql"].get(name)  # the draw is made for the grown county only
        print(f"  {name:44} {median:9.1f} {p95:8.1f} {sql:4d} {small_sql if small_sql is not None else '':>7} "
              f"{median / trivial[0]:7.2f}  trivial page (target ≤ 2)")
    if "recompute" in out:  # not with --only: the pages asked for and nothing else
        recompute_ms, recompute_sql = out["recompute"]
        print(f"  {'/results, first view after a change':44} {recompute_ms:9.1f} {'':>8} {recompute_sql:4d} {'':>7} "
              f"{recompute_ms / trivial[0]:7.2f}  trivial page (recomputes once, then kept)")
        seconds, drawn, _ = out["sample"]
        if seconds is not None:
            print(f"\n  sample draw from a 10,000-person register: {drawn} people drawn in {seconds:.2f} s (goal < 2 s)")
    if "batch" not in out:
        return
    batches, floors, total = out["batch"]
    batch, floor = statistics.median(batches), statistics.median(floors)
    print(f"\n  commitment letters for {total} units through the app (POST, background job, polled): {batch:.2f} s; "
          f"floor (the builder on in-memory data, one process): {floor:.2f} s; ratio {batch / floor:.2f} (target ≤ 0.75)")
    print(f"  medians of {len(batches)} rounds taken in turns: batch {', '.join(f'{b:.2f}' for b in batches)} s; "
          f"floor {', '.join(f'{f:.2f}' for f in floors)} s")
    print(f"  builder processes: {out['processes']} (DOCUMENT_BATCH_PROCESSES unset: one per core); DOCUMENT_PAGINATE "
          f"{'on' if out['paginate'] else 'off'} as in production, LibreOffice "
          f"{'installed' if shutil.which('soffice') else 'absent'} (the 整改承诺书 has no 版记, so it is never laid out by "
          f"LibreOffice)")
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
