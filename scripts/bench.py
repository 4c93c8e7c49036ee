"""`make bench`: server time and SQL statements of the heavy pages for a 300-unit county.

Builds the demo county, grows it to 300 units with submissions, then times requests through the
WSGI app (server time, no network), next to a trivial page that renders only the base layout.
"""
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
from pingyi.documents import services as document_services  # noqa: E402
from pingyi.documents.builders import commitment_docx  # noqa: E402
from pingyi.documents.models import DocumentBatch  # noqa: E402
from pingyi.extensions import db, login_manager  # noqa: E402
from pingyi.feedback.models import FeedbackItem, FeedbackNotice  # noqa: E402
from pingyi.findings.models import Finding, Inspection  # noqa: E402
from pingyi.rectifications.models import Rectification  # noqa: E402
from pingyi.tasks.models import Submission  # noqa: E402
from pingyi.tasks.services import campaign_tasks  # noqa: E402
from pingyi.timeutil import utcnow  # noqa: E402
from pingyi.units.models import Unit  # noqa: E402

ROUNDS = 40


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
            if batch.status != "running":
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


def measure(client, path, statements):
    times, counts = [], []
    for _ in range(ROUNDS):
        statements.clear()
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        counts.append(len(statements))
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], max(counts)


def run(units, findings):
    folder = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": str(folder / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "WTF_CSRF_ENABLED": False})  # the batch is started with a POST
    statements = []
    with app.app_context():
        db.create_all()
        demo.load_demo()
        campaign = current_campaign()
        grow(campaign, units)
        add_findings(campaign, findings)
        add_commitments(campaign)
        ballots = add_ballots(campaign, 200)
        campaign_id = campaign.id
        police_id = db.session.scalar(select(Unit.id).where(Unit.name == "县公安局"))
        task_id = next(t for t in campaign_tasks(campaign.id) if t.title == "书面总结报告").id
        office_id = db.session.scalar(select(User.id).where(User.username == "office"))
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    # Requests run outside this app context, as on a server: each gets its own session and queries.
    client = app.test_client()
    with app.test_request_context():
        identifier = login_manager._session_identifier_generator()
        token = start_session(db.session.get(User, office_id))  # a real server-side session, as a sign-in opens
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["_id"], sess["_sid"] = str(office_id), True, identifier, token
    results = {name: measure(client, path, statements) for name, path in (
        ("trivial page (/account/password)", "/account/password"),
        ("/board", "/board"),
        (f"/board/tasks/{task_id} (per-unit list)", f"/board/tasks/{task_id}"),
        (f"/units/{police_id}/checklist", f"/units/{police_id}/checklist"),
        ("/findings/matrix", "/findings/matrix"),
        (f"/units/{police_id}/documents/commitment.docx", f"/units/{police_id}/documents/commitment.docx"),
        ("/results (live: compute and render)", "/results"),
        (f"/results/units/{police_id} (explanation)", f"/results/units/{police_id}"),
        ("/todo (materials queue)", "/todo?q=materials"),
        ("/overview", "/overview"),
        ("/reminders", "/reminders"),
        (f"/units/{police_id}/dossier.zip", f"/units/{police_id}/dossier.zip"),
    )}
    results["ballots"] = ballots
    batch, total = batch_time(client, app, statements)
    floor = floor_time(app, campaign_id)
    results["batch"] = (batch, floor, total)
    with app.app_context():
        db.engine.dispose()
    return results


def main():
    print(f"pingyi bench: server time over {ROUNDS} requests each, SQLite, signed in as office")
    for units, findings in ((60, 600), (300, 3000)):
        results = run(units, findings)
        trivial = results["trivial page (/account/password)"][0]
        print(f"\n{units} units, {findings} findings")
        print(f"  {'page':42} {'median ms':>10} {'p95 ms':>8} {'SQL':>5} {'x trivial':>10}")
        batch, floor, total = results.pop("batch")
        print(f"  ({results.pop('ballots')} ballots entered one by one, on top of the demo's paper tallies)")
        for name, (median, p95, sql) in results.items():
            print(f"  {name:42} {median:10.1f} {p95:8.1f} {sql:5d} {median / trivial:10.2f}")
        print(f"  commitment letters for {total} units: batch zip through the app {batch:.2f} s, "
              f"floor (builder on in-memory data) {floor:.2f} s, ratio {batch / floor:.2f}")


if __name__ == "__main__":
    main()
