"""不满意 follow-up, the respondent's query code, and appeals: an accepted appeal changes the score's inputs."""
import hashlib
from datetime import date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import select

from pingyi.appeals import services as appeals
from pingyi.appeals.models import Appeal
from pingyi.audit.models import AuditEntry
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.findings.models import Finding
from pingyi.results import services as results
from pingyi.surveys import follow_ups, throttle
from pingyi.surveys import services as surveys
from pingyi.surveys.integrity_models import FollowUp
from pingyi.surveys.models import Ballot, SurveyCode
from pingyi.timeutil import acting_at
from tests.conftest import unit_named, user

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def _answer_unhappy(app, county, comment, when=datetime(2026, 11, 27, 10, 0)):
    """Answer the police's questionnaire online with 不满意 and a comment; returns (page, query code shown)."""
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)).order_by(SurveyCode.id))
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    unhappy = next(o for o in opts if o.label == "不满意")
    data = {f"q-{x.id}": unhappy.id for x in q.questions} | {"comment": comment}
    with acting_at(when):
        page = app.test_client().post(f"/s/{code.code}", data=data)
    shown = page.text.split('class="query-code"><strong>')[1].split("<")[0] if "query-code" in page.text else None
    return page, shown, code


def test_a_comment_gives_a_query_code_that_follows_its_handling_and_not_its_writer(app, county, client_for):
    throttle.reset()
    page, shown, code = _answer_unhappy(app, county, "窗口排队太久，取号机经常坏")
    assert page.status_code == 200 and shown and "提交成功" in page.text
    query = shown.replace("-", "")
    assert query != code.code and len(query) == follow_ups.QUERY_LENGTH
    item = db.session.scalar(select(FollowUp).order_by(FollowUp.id.desc()))
    assert item.query_hash == hashlib.sha256(query.encode()).hexdigest()  # only the digest is stored
    assert item.dissatisfied and item.due_on == date(2026, 12, 4)  # five working days after Friday 27 November
    anonymous = app.test_client()
    status = anonymous.get(f"/s/status/{shown}")
    assert status.status_code == 200 and "已转交" in status.text and "县公安局" in status.text
    assert "窗口排队太久" not in status.text and code.code not in status.text
    follow_ups.verify(item, "true", "现场查看，取号机故障属实", item.version, user("office"))
    assert "整改中" in anonymous.get(f"/s/status/{query.lower()}").text
    unit = client_for("unit")
    replied = unit.post(f"/follow-ups/{item.id}/reply", data={"reply": "已更换取号机并增设窗口", "done": "y",
                                                             "version": db.session.get(FollowUp, item.id).version})
    assert replied.status_code == 302
    done = anonymous.get(f"/s/status/{shown}")
    assert "已办结" in done.text and "已更换取号机并增设窗口" in done.text
    assert anonymous.get("/s/status/AAAABBBBCCCC").status_code == 404
    assert client_for("unit2").post(f"/follow-ups/{item.id}/reply", data={"reply": "x"}).status_code == 404


def test_guessing_codes_is_slowed_per_address_but_valid_codes_never_are(app, county):
    throttle.reset()
    app.config["PUBLIC_MISS_LIMIT"] = 3
    client = app.test_client()
    assert [client.get(f"/s/status/AAAABBBBCCC{n}").status_code for n in range(3)] == [404] * 3
    assert client.get("/s/status/AAAABBBBCCCD").status_code == 429
    assert client.get("/s/NOSUCHCODE").status_code == 429  # the same address, the other public page
    assert client.get("/s/NOSUCHCODE", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404
    office = app.test_client()  # one office address: many valid codes in a row are all answered
    codes = db.session.scalars(select(SurveyCode).where(SurveyCode.used_on.is_(None)).limit(5)).all()
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    for code in codes:
        page = office.post(f"/s/{code.code}", data={f"q-{x.id}": opts[0].id for x in q.questions},
                           environ_base={"REMOTE_ADDR": "10.0.0.20"})
        assert page.status_code == 200
    throttle.reset()


def test_a_comment_without_unhappy_answers_needs_no_verification(county):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = surveys.questionnaires(county.id)[0]
    opts = surveys.options(county.id)
    receipt = {}
    surveys.answer_with_code(code, {x.id: opts[0].id for x in q.questions}, "很好", receipt=receipt)
    item = follow_ups.by_query(receipt["query"])
    assert item is not None and not item.dissatisfied and item.due_on is None
    assert not appeals.appealable(county, item.unit_id) or all(x["follow_up"] is not item
                                                                for x in appeals.appealable(county, item.unit_id))


def _police_finding(county):
    return db.session.scalar(select(Finding).where(Finding.unit_id == unit_named("县公安局").id,
                                                   Finding.status == "confirmed", Finding.campaign_id == county.id).order_by(Finding.id.desc()))


def _deduction(county, unit_id):
    return results.compute(county)["details"][unit_id]["deduction_raw"]


def test_a_withdrawn_finding_no_longer_deducts_and_an_adjusted_one_deducts_its_new_amount(county):
    police, liaison, office = unit_named("县公安局"), user("unit"), user("office")
    finding = db.session.scalar(select(Finding).where(Finding.unit_id == police.id, Finding.status == "confirmed",
                                                      Finding.campaign_id == county.id, Finding.severity == "minor").order_by(Finding.id.desc()))
    finding.reviewed_at = datetime(2026, 11, 26, 2, 0)
    db.session.commit()
    before = _deduction(county, police.id)
    with acting_at(datetime(2026, 11, 27, 9, 0)):
        appeal = appeals.file_appeal(county, police.id, liaison, "该问题已在检查当日整改", finding_id=finding.id,
                                     uploads=[("整改照片说明.pdf", PDF)])
        with pytest.raises(DomainError, match="已经申诉过"):
            appeals.file_appeal(county, police.id, liaison, "再申诉", finding_id=finding.id)
    assert _deduction(county, police.id) == before  # pending: scored as confirmed
    with pytest.raises(DomainError, match="须与原程度不同"):
        appeals.decide(appeal, "adjusted", "程度过重", "minor", appeal.version, office)
    appeals.decide(appeal, "adjusted", "情节较重，调整为较重问题", "major", appeal.version, office)
    config = results.config_for(county)
    adjusted = _deduction(county, police.id)
    assert Fraction(adjusted) == Fraction(before) - config.deduct_minor + config.deduct_major
    appeal.status, appeal.new_severity = "withdrawn", None  # had the office withdrawn it instead
    db.session.commit()
    assert Fraction(_deduction(county, police.id)) == Fraction(before) - config.deduct_minor
    detail = results.compute(county)["details"][police.id]
    assert any("不再扣分" in a["effect"] for a in detail["integrity"]["appeals"])


def test_an_upheld_unhappy_appeal_excludes_that_ballot(app, county):
    police, liaison, office = unit_named("县公安局"), user("unit"), user("office")
    _, shown, _ = _answer_unhappy(app, county, "办事效率太低")
    item = follow_ups.by_query(shown)
    before = results.compute(county)["details"][police.id]
    ballot = db.session.get(Ballot, item.ballot_id)
    with acting_at(datetime(2026, 11, 30, 9, 0)):
        appeal = appeals.file_appeal(county, police.id, liaison, "当日系统故障，已公告", follow_up_id=item.id)
    with pytest.raises(DomainError, match="只能维持或撤销"):
        appeals.decide(appeal, "adjusted", "x", "minor", appeal.version, office)
    appeals.decide(appeal, "withdrawn", "回访核实不属实", None, appeal.version, office)
    after = results.compute(county)["details"][police.id]
    assert db.session.get(Ballot, ballot.id).excluded_as == "appeal"
    assert sum(t["ballots"] for t in after["types"]) == sum(t["ballots"] for t in before["types"]) - 1
    assert after["components"][0]["score"] > before["components"][0]["score"]
    assert {"why": "申诉撤销不满意评价：回访核实不属实", "n": 1} in after["integrity"]["excluded"]
    with pytest.raises(DomainError, match="已经裁决"):
        appeals.decide(appeal, "maintained", "x", None, db.session.get(Appeal, appeal.id).version, office)
    entries = db.session.scalars(select(AuditEntry.summary).where(AuditEntry.object_type == "appeal")).all()
    assert any("裁决县公安局的申诉：撤销" in e for e in entries)


def test_an_appeal_after_its_window_or_of_another_unit_is_refused(county):
    police, office_unit = unit_named("县公安局"), user("unit2").unit
    finding = _police_finding(county)
    finding.reviewed_at = datetime(2026, 6, 15, 3, 0)
    db.session.commit()
    with acting_at(datetime(2026, 7, 20, 9, 0)), pytest.raises(DomainError, match="申诉期限已过"):
        appeals.file_appeal(county, police.id, user("unit"), "理由", finding_id=finding.id)
    with pytest.raises(DomainError, match="本单位可以申诉"):
        appeals.file_appeal(county, office_unit.id, user("unit2"), "理由", finding_id=finding.id)
    with acting_at(datetime(2026, 6, 20, 9, 0)), pytest.raises(DomainError, match="申诉理由"):
        appeals.file_appeal(county, police.id, user("unit"), "  ", finding_id=finding.id)


def test_units_see_only_their_own_appeals_and_the_office_decides_through_the_page(county, client_for):
    police_appeals = appeals.appeals(county, unit_named("县公安局").id)
    assert len(police_appeals) == 2  # the demo: one refused in June, one accepted in November
    unit, unit2, office = client_for("unit"), client_for("unit2"), client_for("office")
    listing = unit.get("/appeals")
    assert listing.status_code == 200 and "维持" in listing.text and "撤销" in listing.text
    for a in police_appeals:
        assert unit.get(f"/appeals/{a.id}").status_code == 200
        assert unit2.get(f"/appeals/{a.id}").status_code == 404
    assert "县公安局" not in unit2.get("/appeals").text
    assert client_for("evaluator").get("/appeals").status_code == 403
    office_page = office.get("/appeals")
    assert "县公安局" in office_page.text and "回访核实" in office_page.text
    police = unit_named("县公安局")
    assert "申诉与群众意见" in unit.get(f"/units/{police.id}").text and "维持" in office.get(f"/units/{police.id}").text
    assert "申诉与群众意见" not in client_for("evaluator").get(f"/units/{police.id}").text
    shown = office.get(f"/appeals/{police_appeals[0].id}")
    assert "证明材料" in shown.text and ".pdf" in shown.text


def test_a_unit_files_an_appeal_with_evidence_through_the_page(county, client_for):
    police = unit_named("县公安局")
    finding = db.session.scalar(select(Finding).where(Finding.unit_id == police.id, Finding.status == "confirmed", Finding.campaign_id == county.id)
                                .where(~Finding.id.in_(select(Appeal.finding_id).where(Appeal.finding_id.is_not(None))))
                                .order_by(Finding.id))
    finding.reviewed_at = datetime(2026, 11, 27, 2, 0)
    db.session.commit()
    unit = client_for("unit")
    with acting_at(datetime(2026, 11, 30, 9, 0)):
        form = unit.get(f"/appeals/new/finding/{finding.id}")
        assert form.status_code == 200 and finding.description in form.text
        refused = unit.post(f"/appeals/new/finding/{finding.id}", data={"grounds": ""})
        assert refused.status_code == 400 and "请写明申诉理由" in refused.text
        from io import BytesIO
        done = unit.post(f"/appeals/new/finding/{finding.id}", data={"grounds": "已整改到位",
                                               "files": (BytesIO(PDF), "整改说明.pdf")},
                         content_type="multipart/form-data")
    assert done.status_code == 302
    appeal = db.session.scalar(select(Appeal).where(Appeal.finding_id == finding.id))
    assert appeal.unit_id == police.id and [f.original_name for f in appeal.files] == ["整改说明.pdf"]
    assert client_for("unit2").get(f"/appeals/new/finding/{finding.id}").status_code == 404
    decided = client_for("office").post(f"/appeals/{appeal.id}/decide", data={
        "decision": "maintained", "reason": "", "version": appeal.version})
    assert decided.status_code == 400 and "请写明裁决理由" in decided.text
