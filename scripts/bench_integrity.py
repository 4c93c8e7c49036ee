"""Survey integrity figures (issue 17): the anomaly scan over 60,000 online ballots, and /surveys/anomalies
next to the trivial page. CPU time is printed beside wall time: on a shared machine wall time also counts
other processes' work."""
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pingyi import create_app, demo  # noqa: E402
from pingyi.auth.models import User  # noqa: E402
from pingyi.auth.services import start_session  # noqa: E402
from pingyi.campaigns.models import Participation  # noqa: E402
from pingyi.campaigns.services import current_campaign  # noqa: E402
from pingyi.extensions import db, login_manager  # noqa: E402
from pingyi.surveys import anomalies  # noqa: E402
from pingyi.timeutil import acting_at  # noqa: E402
from tests.surveys import stream  # noqa: E402

BALLOTS = 60000
ROUNDS = 30


def main():
    folder = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": str(folder / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "JOBS_WORKER": False})  # the scan is timed in this process; no background work
    with app.app_context():
        db.create_all()
        demo.load_demo()
        campaign = current_campaign()
        units = db.session.scalars(select(Participation.unit_id).where(Participation.campaign_id == campaign.id)).all()
        for n, unit_id in enumerate(units):
            stream.steady_stream(campaign, unit_id, BALLOTS // len(units), quality=0.8, seed=n, recount=False)
        stream.burst(campaign, units[3], 40, stream.county_time(11, 23, 21, 0), 8, ["10.1.0.1", "10.1.0.2", "10.1.0.3"])
        wall, cpu = time.perf_counter(), time.process_time()
        with acting_at(datetime(2026, 11, 29, 23, 0)):
            added, _ = anomalies.scan(campaign)
        print(f"anomaly scan over {BALLOTS + 40} online ballots: {time.perf_counter() - wall:.2f} s wall, "
              f"{time.process_time() - cpu:.2f} s CPU, {added} new flag(s)")
        office = db.session.scalar(select(User).where(User.username == "office"))
        client = app.test_client()
        with app.test_request_context():
            identifier = login_manager._session_identifier_generator()
            token = start_session(office)
        with client.session_transaction() as sess:
            sess["_sid"], sess["_user_id"], sess["_fresh"], sess["_id"] = token, office.get_id(), True, identifier
    medians = {}
    for path in ("/account/password", "/surveys/anomalies", "/appeals"):
        times = []
        for _ in range(ROUNDS):
            start = time.process_time()
            assert client.get(path).status_code == 200, path
            times.append((time.process_time() - start) * 1000)
        medians[path] = statistics.median(times)
    for path, median in medians.items():
        print(f"  {path:24} {median:8.1f} ms CPU  {median / medians['/account/password']:5.2f} x trivial")


if __name__ == "__main__":
    main()
