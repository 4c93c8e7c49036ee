"""Anomaly checks of online answers: no flag on a realistic stream, flags on bursts, runs, one busy network and
late codes; the office's decision with its reason; excluded ballots leave the results; the marks and salt go
when the round closes; and nothing in the schema or the audit log links a ballot to a code or a person."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from pingyi.audit.models import AuditEntry
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.results import services as results
from pingyi.surveys import anomalies
from pingyi.surveys import services as surveys
from pingyi.surveys import throttle
from pingyi.surveys.integrity_models import AnomalyFlag, ArrivalMark, RoundSalt
from pingyi.surveys.models import BallotCount, SurveyCode
from pingyi.timeutil import acting_at
from tests.conftest import unit_named, user
from tests.surveys import stream


def _kinds(found, unit_id):
    return sorted(f["kind"] for f in found if f["unit_id"] == unit_id)


@pytest.fixture
def justice(county):
    return unit_named("县司法局")


def test_a_realistic_steady_stream_raises_no_flag(county):
    units = [unit_named(n) for n in ("县司法局", "县民政局", "县财政局", "县人民医院")]
    for n, unit in enumerate(units):  # 1,300 answers each over the month, most through five carrier addresses
        stream.steady_stream(county, unit.id, 1300, quality=(0.92, 0.85, 0.7, 0.95)[n], seed=n, recount=False)
    found = anomalies.detect(county)
    assert [f for f in found if f["unit_id"] in {u.id for u in units}] == []


def test_a_burst_is_flagged_with_exactly_its_ballots(county, justice):
    stream.steady_stream(county, justice.id, 800, seed=3)
    burst = stream.burst(county, justice.id, 40, stream.county_time(11, 23, 21, 2), 8,
                         [f"10.8.{n}.1" for n in range(4)])  # four office lines: 10 each, below the network rule
    found = [f for f in anomalies.detect(county) if f["unit_id"] == justice.id]
    assert [f["kind"] for f in found] == ["burst"]
    flagged = set(found[0]["ballots"])
    assert set(burst) <= flagged and len(flagged - set(burst)) <= 1  # at most a real answer in the same minutes
    assert "40 份" in found[0]["detail"] or "41 份" in found[0]["detail"]


def test_a_run_of_identical_sheets_is_flagged(county, justice):
    stream.steady_stream(county, justice.id, 300, seed=4)
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    sheet = {question.id: opts[0].id for question in q.questions}
    rng = __import__("random").Random(5)
    arrivals = stream.steady_arrivals(rng, 25, 24, 28)  # spread over five days: no burst, only the run
    run = stream.add_ballots(county, justice.id, q, surveys.respondent_types(county.id)[0].id, arrivals,
                             [sheet] * 25, [stream.realistic_network(rng) for _ in arrivals])
    found = [f for f in anomalies.detect(county) if f["unit_id"] == justice.id]
    assert [f["kind"] for f in found] == ["pattern"]
    assert set(run) <= set(found[0]["ballots"])


def test_one_network_answering_fast_is_flagged_but_never_blocked(county, app):
    throttle.reset()
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    batch = surveys.issue_codes(county, unit_named("县民政局"), q, surveys.respondent_types(county.id)[3], "november",
                                24, user("office"))
    client = app.test_client()
    with acting_at(datetime(2026, 11, 20, 9, 0)):
        for n, code in enumerate(batch.codes):  # an office's staff behind one address, answering through the morning
            data = {f"q-{question.id}": opts[n % 2].id for question in q.questions}
            with acting_at(datetime(2026, 11, 20, 9, 2 * n)):
                page = client.post(f"/s/{code.code}", data=data, environ_base={"REMOTE_ADDR": "59.52.10.1"})
            assert page.status_code == 200 and "提交成功" in page.text
    found = [f for f in anomalies.detect(county) if f["unit_id"] == batch.unit_id]
    assert [f["kind"] for f in found] == ["network"]
    assert len(found[0]["ballots"]) == 24 and "共用出口" in found[0]["detail"]


def test_a_code_used_outside_the_survey_window_is_flagged(county):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    with acting_at(datetime(2026, 12, 3, 10, 0)):
        assert surveys.answer_with_code(code, {x.id: opts[0].id for x in q.questions}, "") == {}
    found = [f for f in anomalies.detect(county) if f["kind"] == "window"]
    assert len(found) == 1 and found[0]["unit_id"] == code.batch.unit_id and "12月3日" in found[0]["detail"]


def _scanned_burst(county, unit):
    stream.steady_stream(county, unit.id, 200, seed=9)
    burst = stream.burst(county, unit.id, 30, stream.county_time(11, 23, 21, 0), 6, ["10.9.0.1", "10.9.0.2"])
    with acting_at(datetime(2026, 11, 24, 9, 0)):
        assert anomalies.scan(county) == (1, 0)
    return db.session.scalar(select(AnomalyFlag).where(AnomalyFlag.unit_id == unit.id)), burst


def test_excluding_a_flag_takes_its_ballots_out_of_the_results_and_keeping_restores_them(county, justice):
    flag, burst = _scanned_burst(county, justice)
    office = user("office")
    before = results.compute(county)["details"][justice.id]
    with pytest.raises(DomainError, match="请填写理由"):
        anomalies.decide(flag, "excluded", "  ", flag.version, office)
    assert anomalies.decide(flag, "excluded", "经核实为单位组织代填", flag.version, office) == len(flag_ids(flag))
    after = results.compute(county)["details"][justice.id]
    assert sum(t["ballots"] for t in after["types"]) == sum(t["ballots"] for t in before["types"]) - len(flag_ids(flag))
    assert after["integrity"]["excluded"] == [{"why": "短时集中答题：经核实为单位组织代填", "n": len(flag_ids(flag))}]
    assert after["components"][0]["score"] != before["components"][0]["score"]
    counts = _counts(county)
    surveys.recount(county)  # the running counts agree with a recount that leaves excluded ballots out
    assert _counts(county) == counts
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "anomaly_flag")
                              .order_by(AuditEntry.id.desc()))
    assert "剔除县司法局短时集中答题" in entry.summary and "经核实为单位组织代填" in entry.summary
    flag = db.session.get(AnomalyFlag, flag.id)
    anomalies.decide(flag, "kept", "复核：系该局办事大厅集中开展的现场测评", flag.version, office)
    restored = results.compute(county)["details"][justice.id]
    assert restored["components"][0]["score"] == before["components"][0]["score"] and not restored.get("integrity")


def flag_ids(flag):
    return [b.id for b in anomalies.flag_ballots(flag)]


def _counts(county):
    return sorted(db.session.execute(select(BallotCount.unit_id, BallotCount.question_id, BallotCount.option_id,
                                            BallotCount.count).where(BallotCount.campaign_id == county.id,
                                                                     BallotCount.count != 0)).all())


def test_a_decided_flag_stays_decided_when_scanned_again(county, justice):
    flag, _ = _scanned_burst(county, justice)
    anomalies.decide(flag, "excluded", "代填", flag.version, user("office"))
    with acting_at(datetime(2026, 11, 25, 9, 0)):
        assert anomalies.scan(county) == (0, 0)
    assert db.session.get(AnomalyFlag, flag.id).status == "excluded"


def test_marks_and_salt_are_deleted_when_the_round_closes(county, justice):
    _scanned_burst(county, justice)
    assert db.session.scalar(select(func.count()).select_from(ArrivalMark)) > 0
    with acting_at(datetime(2026, 12, 1, 9, 0)):
        assert anomalies.awaiting_purge(county) == ["november"]
        anomalies.scan(county)  # the November round ended on 30 November
    assert db.session.scalar(select(func.count()).select_from(ArrivalMark)) == 0
    assert db.session.scalar(select(func.count()).select_from(RoundSalt)) == 0
    assert db.session.scalar(select(func.count()).select_from(AnomalyFlag).where(AnomalyFlag.unit_id == justice.id)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "arrival_mark"))
    assert "测评期已结束" in entry.summary and "11月集中评议" in entry.summary


def test_the_page_lists_flags_and_the_scan_runs_in_the_background(county, justice, office_client, client_for):
    stream.steady_stream(county, justice.id, 100, seed=2)
    stream.burst(county, justice.id, 30, stream.county_time(11, 23, 21, 0), 6, ["10.9.0.1", "10.9.0.2"])
    with acting_at(datetime(2026, 11, 24, 9, 0)):
        assert office_client.post("/surveys/anomalies/scan").status_code == 302
        assert "检查正在进行" in office_client.post("/surveys/anomalies/scan", follow_redirects=True).text
        assert jobs.run_pending() == 1
    page = office_client.get("/surveys/anomalies")
    assert page.status_code == 200 and "县司法局" in page.text and "短时集中答题" in page.text and "新发现 1 组" in page.text
    flag = db.session.scalar(select(AnomalyFlag).where(AnomalyFlag.unit_id == justice.id))
    detail = office_client.get(f"/surveys/anomalies/{flag.id}")
    assert detail.status_code == 200 and detail.text.count("<tr>") == flag.size + 1
    refused = office_client.post(f"/surveys/anomalies/{flag.id}/decide",
                                 data={"action": "excluded", "reason": "", "version": flag.version})
    assert refused.status_code == 400 and "请填写理由" in refused.text
    done = office_client.post(f"/surveys/anomalies/{flag.id}/decide",
                              data={"action": "excluded", "reason": "组织代填", "version": flag.version})
    assert done.status_code == 302
    for name in ("unit", "unit2", "evaluator", "supervisor", "leader"):  # units never see anomalies
        assert client_for(name).get("/surveys/anomalies").status_code == 403
    assert client_for("unit").get(f"/surveys/anomalies/{flag.id}").status_code == 403
    explained = office_client.get(f"/results/units/{justice.id}")
    assert "剔除的答卷与申诉" in explained.text and "组织代填" in explained.text
    assert "剔除 30 份答卷" in office_client.get("/results").text or "剔除 31 份答卷" in office_client.get("/results").text


def test_the_schema_links_no_ballot_to_a_code_or_a_person(app):
    """No table that holds a ballot also holds a code, a batch of slips, a phone, an address or a name; the
    only people such tables name are staff (the clerk who typed a paper ballot, the officer who verified)."""
    tables = db.metadata.tables
    words = {"phone", "mobile", "address", "addr", "ip", "code", "person", "name", "respondent"}
    for name, table in tables.items():
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if "ballot" in targets or name == "ballot":
            assert not targets & {"survey_code", "code_batch"}, name
            for column in table.columns:
                assert not set(column.name.split("_")) & words or column.name == "respondent_type_id", \
                    (name, column.name)
                if column.foreign_keys and next(iter(column.foreign_keys)).column.table.name == "user":
                    assert column.name in ("entered_by_id", "verified_by_id"), (name, column.name)
        if name == "survey_code" or "survey_code" in targets:
            assert "ballot" not in targets, name
    # a paper ballot names the clerk who typed it; an online ballot has no one
    assert {fk.column.table.name for fk in tables["ballot"].foreign_keys} == {
        "campaign", "unit", "questionnaire", "respondent_type", "user"}
    assert {c.name for c in tables["survey_code"].columns} == {"id", "batch_id", "code", "used_on"}
    assert str(tables["survey_code"].c.used_on.type) == "DATE"  # the day only
    assert tables["arrival_mark"].c.network.type.length == 16  # a truncated salted hash, never the address
    assert {c.name for c in tables["follow_up"].columns} >= {"query_hash"} and "query" not in tables["follow_up"].c


def test_an_online_answer_is_audited_without_its_ballot_time_or_address(county, app):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    data = {f"q-{x.id}": opts[0].id for x in q.questions} | {"comment": "窗口很好"}
    with acting_at(datetime(2026, 11, 27, 15, 37)):
        app.test_client().post(f"/s/{code.code}", data=data, environ_base={"REMOTE_ADDR": "59.52.10.9"})
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "ballot")
                              .order_by(AuditEntry.id.desc()))
    assert entry.object_id is None and entry.remote_addr == "" and entry.user_agent == ""
    assert entry.at.strftime("%H:%M") == "16:00"  # the day's start in UTC, as the ballot itself
    mark = db.session.scalar(select(ArrivalMark).order_by(ArrivalMark.ballot_id.desc()))
    assert mark.bucket.minute % 5 == 0 and mark.network and "59.52" not in mark.network
    assert mark.network == anomalies.network_hash(county.id, "november", "59.52.10.9")


def test_scan_of_a_county_stream_raises_nothing(county):
    """20,000 realistic ballots over the county's units: the scan flags none of them (its speed on 60,000 is
    measured by scripts/bench_integrity.py, never by a timed assertion)."""
    from pingyi.campaigns.models import Participation
    units = db.session.scalars(select(Participation.unit_id).where(Participation.campaign_id == county.id)).all()
    for n, unit_id in enumerate(units):
        stream.steady_stream(county, unit_id, 20000 // len(units), quality=0.8, seed=100 + n, recount=False)
    with acting_at(datetime(2026, 11, 29, 23, 0)):
        added, _ = anomalies.scan(county)
    assert added == 0  # a realistic stream of that size raises nothing (the demo's burst was flagged before)
