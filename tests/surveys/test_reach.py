"""Registers, sampling, personal links, reminders, phone interviews, and the anonymity of the ballots."""
import io
import re
import threading

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pingyi.audit.models import AuditEntry
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.outbound.models import OutboundMessage
from pingyi.surveys import pools, sampling
from pingyi.surveys import services as surveys
from pingyi.surveys.models import Ballot, BallotCount, SurveyCode
from pingyi.surveys.reach_models import Respondent, SampleDraw, SampledPerson
from pingyi.timeutil import utcnow
from tests.conftest import unit_named, user
from tests.outbound.fake_gateway import FakeGateway

UNITS = ("县公安局", "县财政局", "县教育局")


def _csv(rows, header="手机号码,姓名,测评对象类别,服务单位"):
    return ("\n".join([header] + rows) + "\n").encode("utf-8")


@pytest.fixture
def pool(county):
    """A register of 90 people: 30 per unit, one in five 义务监督员, three serving two units."""
    pool = pools.create_pool("测试服务对象库", "", user("office"))
    rows = []
    for i in range(90):
        unit = UNITS[i % 3] + ("、县财政局" if i in (0, 3, 6) else "")
        rows.append(f"1000100{i:04d},测试{i},{'义务监督员' if i % 5 == 4 else '服务对象/群众'},{unit}")
    pools.import_register("名册.csv", _csv(rows), pool, user("office"))
    return pool


def _draw(county, pool, sizes=None, units=UNITS, exclude=12, round_="november", questionnaire=None):
    types = surveys.respondent_types(county.id)
    sizes = sizes or {types[0].id: 5}
    q = questionnaire or surveys.questionnaires(county.id)[0]
    return sampling.draw_sample(county, pool, q, round_, sizes, [unit_named(n).id for n in units], exclude,
                                user("office"))


def _answers(county):
    q = surveys.questionnaires(county.id)[0]
    return {question.id: surveys.options(county.id)[0].id for question in q.questions}


# ---- registers -------------------------------------------------------------------------------------------

def test_phone_numbers_are_normalised_and_masked():
    assert pools.normalise_phone("+86 138-1234-5678") == "13812345678"
    assert pools.normalise_phone("１３８ １２３４ ５６７８") == "13812345678"
    assert pools.normalise_phone("0086 13812345678") == "13812345678"
    assert pools.normalise_phone("(138)12345678") == "13812345678"
    assert pools.normalise_phone("1381234567") is None and pools.normalise_phone("0791-8321456") is None
    assert pools.mask("13812345678") == "138****5678"


def test_import_reports_every_bad_row_and_imports_nothing(county):
    pool = pools.create_pool("名册甲", "", user("office"))
    rows = ["13800000001,张三,服务对象/群众,县公安局", "12345,李四,,", "138 0000 0001,王五,,",
            "13800000004,赵六,,不存在的局", "13800000005," + "长" * 51 + ",,", ",空号码,,", "=1+1,公式,,"]
    with pytest.raises(pools.ImportRefused) as refused:
        pools.import_register("名册.csv", _csv(rows), pool, user("office"))
    problems = {(row, message.split("“")[0] if "“" in message else message) for row, _, message in refused.value.problems}
    assert {p[0] for p in problems} == {3, 4, 5, 6, 7, 8}
    assert any("与第 2 行的手机号码重复" in m for _, _, m in refused.value.problems)
    assert any("没有名为“不存在的局”的单位" in m for _, _, m in refused.value.problems)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Respondent.id)).where(Respondent.pool_id == pool.id)) == 0


def test_a_second_import_updates_people_by_number(county, pool):
    added, updated = pools.import_register("补充.csv", _csv(["+86 100-0100-0000,改名,,县教育局", "10002000000,新人,,"]),
                                           pool, user("office"))
    assert (added, updated) == (1, 1)
    person = db.session.scalar(select(Respondent).where(Respondent.phone == "10001000000"))
    assert person.name == "改名" and [u.name for u in person.units] == ["县教育局"]
    assert db.session.scalar(select(func.count(Respondent.id)).where(Respondent.pool_id == pool.id)) == 91


def test_import_reads_xlsx_with_header_aliases_and_limits(app, county):
    pool = pools.create_pool("名册乙", "", user("office"))
    book = Workbook()
    book.active.append(["手机号", "姓名", "办事单位"])
    book.active.append([13800000009, "钱七", "公安局"])
    data = io.BytesIO()
    book.save(data)
    assert pools.import_register("名册.xlsx", data.getvalue(), pool, user("office")) == (1, 0)
    app.config["IMPORT_MAX_ROWS"] = 2
    with pytest.raises(pools.ImportRefused):
        pools.import_register("多.csv", _csv([f"1380000100{i}" for i in range(5)], header="手机号码"), pool, user("office"))


def test_the_register_page_masks_numbers_and_the_export_is_full_and_audited(county, pool, office_client):
    page = office_client.get(f"/surveys/pools/{pool.id}?q=0001")
    assert page.status_code == 200 and "100****0001" in page.text and "10001000001" not in page.text
    exported = office_client.get(f"/surveys/pools/{pool.id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in sheet[1]] == ["手机号码", "姓名", "测评对象类别", "服务单位"]
    assert sheet["A2"].value == "10001000000" and sheet["D2"].value == "县公安局、县财政局"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export",
                                                       AuditEntry.object_type == "respondent_pool"))
    assert entry is not None and "90 人" in entry.summary
    assert not db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.after.like("%10001000001%")))


def test_a_bad_upload_shows_the_report_beside_the_form(county, pool, office_client):
    response = office_client.post(f"/surveys/pools/{pool.id}/import",
                                  data={"file": (io.BytesIO(_csv(["abc,x,,"])), "坏.csv")})
    assert response.status_code == 422 and "不是有效的手机号码" in response.text and "第 2 行" in response.text
    response = office_client.post(f"/surveys/pools/{pool.id}/import", data={})
    assert response.status_code == 422 and "请选择要导入的名册文件" in response.text


# ---- sampling --------------------------------------------------------------------------------------------

def test_the_pure_draw_is_reproducible_and_never_takes_anyone_twice():
    candidates = {(1, 1): list(range(50)), (2, 1): list(range(25, 75)), (1, 2): list(range(100, 110))}
    sizes = {(1, 1): 20, (2, 1): 30, (1, 2): 20}
    first = sampling.choose(candidates, sizes, "abc")
    assert first == sampling.choose(candidates, sizes, "abc")
    assert first != sampling.choose(candidates, sizes, "abd")
    everyone = [p for people in first.values() for p in people]
    assert len(everyone) == len(set(everyone))
    assert len(first[(1, 2)]) == 10  # a stratum smaller than asked gives everyone it has


def test_a_draw_is_stratified_recorded_and_verifiable(county, pool):
    types = surveys.respondent_types(county.id)
    draw = _draw(county, pool, {types[0].id: 6, types[1].id: 2})
    people = db.session.scalars(select(SampledPerson).where(SampledPerson.draw_id == draw.id)).all()
    strata = {}
    for p in people:
        strata.setdefault((p.unit.name, p.respondent_type.name), []).append(p)
        assert p.code.used_on is None and p.code.batch.unit_id == p.unit_id
        assert p.unit in p.respondent.units or not p.respondent.units
    assert {k: len(v) for k, v in strata.items()} == {(u, "服务对象/群众"): 6 for u in UNITS} | {
        (u, "义务监督员"): 2 for u in UNITS}
    assert len({p.respondent_id for p in people}) == len(people) == draw.drawn_count == 24
    assert draw.drawn_by.username == "office" and len(draw.seed) == 16 and draw.sizes == {str(types[0].id): 6,
                                                                                          str(types[1].id): 2}
    assert sampling.verify(draw)
    db.session.execute(SampledPerson.__table__.update().where(SampledPerson.id == people[0].id)
                       .values(respondent_id=db.session.scalar(select(Respondent.id).where(
                           Respondent.id.not_in([p.respondent_id for p in people]), Respondent.pool_id == pool.id))))
    assert not sampling.verify(draw)  # a tampered record no longer matches its seed
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "sample_draw",
                                                       AuditEntry.object_id == draw.id, AuditEntry.action == "create"))
    assert draw.seed in entry.summary and "抽中 24 人" in entry.summary


def test_people_sampled_recently_are_left_out(county, pool):
    first = _draw(county, pool, units=("县教育局",), round_="june")
    taken = set(db.session.scalars(select(SampledPerson.respondent_id).where(SampledPerson.draw_id == first.id)))
    second = _draw(county, pool, units=("县教育局",), round_="november")
    again = set(db.session.scalars(select(SampledPerson.respondent_id).where(SampledPerson.draw_id == second.id)))
    assert len(again) == 5 and not taken & again
    candidates, left_out = sampling.candidates(county, pool, [unit_named("县教育局").id],
                                               {surveys.respondent_types(county.id)[0].id}, 12, utcnow())
    assert left_out == 10
    db.session.execute(SampleDraw.__table__.update().values(drawn_at=sampling.months_before(utcnow(), 13)))
    _, left_out = sampling.candidates(county, pool, [unit_named("县教育局").id],
                                      {surveys.respondent_types(county.id)[0].id}, 12, utcnow())
    assert left_out == 0  # sampled more than 12 months ago: back in


def test_a_second_draw_is_refused_and_a_redraw_needs_a_reason(county, pool, office_client):
    draw = _draw(county, pool)
    with pytest.raises(DomainError, match="重抽"):
        _draw(county, pool)
    db.session.rollback()
    refused = office_client.post(f"/surveys/draws/{draw.id}/redraw", data={"reason": ""})
    assert refused.status_code == 302 and db.session.get(SampleDraw, draw.id).status == "current"
    old_codes = set(db.session.scalars(select(SurveyCode.code).join(SampledPerson, SampledPerson.code_id == SurveyCode.id)
                                       .where(SampledPerson.draw_id == draw.id)))
    moved = office_client.post(f"/surveys/draws/{draw.id}/redraw", data={"reason": "名册导入时漏了一个乡镇"})
    new = db.session.scalar(select(SampleDraw).where(SampleDraw.replaces_id == draw.id))
    assert moved.location.endswith(f"/surveys/draws/{new.id}")
    db.session.expire_all()
    old = db.session.get(SampleDraw, draw.id)
    assert old.status == "replaced" and new.reason == "名册导入时漏了一个乡镇" and new.seed != old.seed
    assert db.session.scalar(select(func.count(SampledPerson.id)).where(SampledPerson.draw_id == old.id)) == 15
    assert not db.session.scalar(select(func.count(SurveyCode.id)).where(SurveyCode.code.in_(old_codes)))
    assert not db.session.scalar(select(func.count(SampledPerson.id)).where(SampledPerson.draw_id == old.id,
                                                                            SampledPerson.code_id.is_not(None)))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "sample_draw",
                                                      AuditEntry.summary.like("%理由：名册导入时漏了一个乡镇%")))
    assert "已重抽（作废）" in office_client.get(f"/surveys/draws/{old.id}").text


def test_no_redraw_once_people_were_contacted(county, pool):
    draw = _draw(county, pool)
    sampling.send_links(draw, county, "http://pingyi.local", user("office"))
    with pytest.raises(DomainError, match="已发送测评链接"):
        sampling.redraw_sample(draw, "想换一批人", user("office"))


def test_drawing_from_a_large_register_takes_the_quota_of_every_unit(county):
    """Two files at the import's row limit, one draw over all units (its time is measured by `make bench`)."""
    pool = pools.create_pool("大名册", "", user("office"))
    names = [u.name for u in sampling.campaign_units(county)]
    rows = [f"1000{i:07d},,服务对象/群众,{names[i % len(names)]}" for i in range(5000)]
    pools.import_register("一.csv", _csv(rows), pool, user("office"))
    rows = [f"1000{i:07d},,服务对象/群众,{names[i % len(names)]}" for i in range(5000, 10000)]
    pools.import_register("二.csv", _csv(rows), pool, user("office"))
    draw = sampling.draw_sample(county, pool, surveys.questionnaires(county.id)[0], "november",
                                {surveys.respondent_types(county.id)[0].id: 30},
                                [u.id for u in sampling.campaign_units(county)], 12, user("office"))
    assert draw.drawn_count == 30 * len(names)


# ---- links, reminders, progress --------------------------------------------------------------------------

def test_links_go_to_the_gateway_and_an_answer_is_counted_without_saying_which_ballot(app, county, pool, client_for):
    draw = _draw(county, pool, units=("县公安局",))
    with FakeGateway() as gateway:
        app.config.update(OUTBOUND_SMS_URL=gateway.url, OUTBOUND_RETRY_SECONDS=0)
        office = client_for("office")
        office.post(f"/surveys/draws/{draw.id}/send")
        jobs.run_pending()
        bodies = gateway.json_bodies()
    people = db.session.scalars(select(SampledPerson).where(SampledPerson.draw_id == draw.id)).all()
    assert sorted(b["mobile"] for b in bodies) == sorted(p.respondent.phone for p in people)
    for body in bodies:
        person = next(p for p in people if p.respondent.phone == body["mobile"])
        assert f"http://localhost/s/{person.code.code}" in body["content"] and "县公安局" in body["content"]
    answered = people[0]
    response = client_for("unit").post(f"/s/{answered.code.code}", data={f"q-{k}": v for k, v in _answers(county).items()})
    assert response.status_code == 200
    db.session.expire_all()
    total = sampling.progress(draw)[None]
    assert total["sampled"] == 5 and total["sent"] == 5 and total["answered"] == 1
    page = office.get(f"/surveys/draws/{draw.id}")
    assert '<span class="num" id="answered-total">1</span>' in page.text
    assert answered.respondent.phone not in page.text
    with pytest.raises(DomainError, match="都已发送"):
        sampling.send_links(draw, county, "http://x", user("office"))


def test_failed_links_can_be_sent_again_and_reminders_stop_after_two(app, county, pool):
    draw = _draw(county, pool, units=("县财政局",))
    reminders = select(func.count(OutboundMessage.id)).where(OutboundMessage.purpose == "survey-reminder")
    before = db.session.scalar(reminders)
    sampling.send_links(draw, county, "http://x", user("office"))  # channel off: logged only
    assert db.session.scalar(select(func.count(OutboundMessage.id)).join(
        SampledPerson, SampledPerson.message_id == OutboundMessage.id).where(
        SampledPerson.draw_id == draw.id, OutboundMessage.status == "logged")) == 5
    person = db.session.scalar(select(SampledPerson).where(SampledPerson.draw_id == draw.id))
    person.message.status = "failed"
    db.session.commit()
    assert sampling.send_links(draw, county, "http://x", user("office")) == 1
    surveys.answer_with_code(person.code, _answers(county), "")
    assert sampling.send_reminders(draw, county, "http://x", user("office")) == 4
    assert sampling.send_reminders(draw, county, "http://x", user("office")) == 4
    with pytest.raises(DomainError, match="已提醒 2 次"):
        sampling.send_reminders(draw, county, "http://x", user("office"))
    assert db.session.scalar(reminders) == before + 8
    texts = db.session.scalars(select(OutboundMessage.text).where(OutboundMessage.purpose == "survey-reminder")
                               .order_by(OutboundMessage.id.desc()).limit(8)).all()
    assert all("提醒" in t and "县财政局" in t for t in texts)


# ---- phone interviews ------------------------------------------------------------------------------------

def test_phone_interview_outcomes_and_attempts(county, pool, office_client):
    draw = _draw(county, pool, units=("县教育局",))
    assert sampling.next_call(draw) is not None
    page = office_client.get(f"/surveys/draws/{draw.id}/calls")  # the next person is drawn at random
    first = db.session.get(SampledPerson, int(re.search(r"/surveys/sampled/(\d+)/call", page.text)[1]))
    assert first.respondent.phone in page.text and "开场白" in page.text
    for _ in range(3):
        assert office_client.post(f"/surveys/sampled/{first.id}/call", data={"outcome": "no_answer"}).status_code == 302
    db.session.expire_all()
    assert first.call_attempts == 3 and first.call_outcome == "no_answer"
    assert sampling.next_call(draw).id != first.id
    with pytest.raises(DomainError, match="已结束"):
        sampling.record_call(first, county, "no_answer", {}, user("office"))
    db.session.rollback()
    second = sampling.next_call(draw)
    office_client.post(f"/surveys/sampled/{second.id}/call", data={"outcome": "invalid"})
    db.session.expire_all()
    assert second.call_outcome == "invalid" and second.call_attempts == 1


def test_a_completed_interview_is_a_phone_ballot_naming_nobody(county, pool, office_client):
    draw = _draw(county, pool, units=("县教育局",))
    person = sampling.next_call(draw)
    phone_ballots = select(func.count(Ballot.id)).where(Ballot.channel == "phone")
    earlier = db.session.scalar(phone_ballots)
    counted = select(func.coalesce(func.sum(BallotCount.count), 0)).where(BallotCount.unit_id == person.unit_id)
    before = db.session.scalar(counted)
    partial = office_client.post(f"/surveys/sampled/{person.id}/call", data={"outcome": "completed"})
    assert partial.status_code == 422 and "未选择" in partial.text
    data = {"outcome": "completed"} | {f"q-{k}": v for k, v in _answers(county).items()}
    assert office_client.post(f"/surveys/sampled/{person.id}/call", data=data).status_code == 302
    db.session.expire_all()
    ballot = db.session.scalar(select(Ballot).where(Ballot.channel == "phone").order_by(Ballot.id.desc()))
    assert db.session.scalar(phone_ballots) == earlier + 1 and ballot.entered_by_id is None
    assert ballot.created_at.hour == 16 and ballot.created_at.minute == 0  # midnight in the county: the day only
    assert db.session.scalar(counted) == before + len(_answers(county))
    assert person.call_outcome == "completed" and person.code.used_on is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.summary.like("电话回访完成问卷%"))
                              .order_by(AuditEntry.id.desc()))
    assert entry.object_id is None and person.respondent.phone[-4:] not in entry.summary
    assert not db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "ballot",
                                                                         AuditEntry.object_id == ballot.id))


def test_a_code_is_spent_once_across_link_and_phone_under_concurrent_submits(app, county, pool):
    draw = _draw(county, pool, units=("县公安局",))
    person = sampling.next_call(draw)
    code, person_id = person.code.code, person.id
    answers = _answers(county)
    barrier, results = threading.Barrier(2), []
    ballots = select(func.count(Ballot.id)).where(Ballot.channel.in_(("online", "phone")))
    before = db.session.scalar(ballots)
    db.session.commit()

    def by_link():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            results.append(("link", client.post(f"/s/{code}", data={f"q-{k}": v for k, v in answers.items()}).status_code))
            db.session.remove()

    def by_phone():
        with app.app_context():
            client = app.test_client(user=user("office"))
            barrier.wait()
            data = {"outcome": "completed"} | {f"q-{k}": v for k, v in answers.items()}
            response = client.post(f"/surveys/sampled/{person_id}/call", data=data)
            results.append(("phone", response.status_code))
            db.session.remove()

    threads = [threading.Thread(target=by_link), threading.Thread(target=by_phone)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert db.session.scalar(ballots) == before + 1, results
    assert db.session.get(SurveyCode, db.session.get(SampledPerson, person_id).code_id).used_on is not None


# ---- anonymity -------------------------------------------------------------------------------------------

IDENTIFYING = {"survey_code", "code_batch", "sampled_person", "respondent", "respondent_pool", "respondent_unit",
               "sample_draw", "outbound_message"}
BALLOT_TABLES = {"ballot", "ballot_answer", "ballot_count"}


def test_no_column_or_foreign_key_links_a_ballot_to_a_person_a_number_or_a_code():
    tables = db.metadata.tables
    for name in BALLOT_TABLES:
        table = tables[name]
        targets = {fk.column.table.name for fk in table.foreign_keys}
        assert not targets & IDENTIFYING, (name, targets)
        for column in table.columns:
            assert not any(word in column.name for word in ("code", "phone", "respondent_id", "sample", "person",
                                                            "message", "ip", "address", "time")), (name, column.name)
        assert not any(isinstance(c.type, db.DateTime) and c.name != "created_at" for c in table.columns)
    for name in IDENTIFYING:
        targets = {fk.column.table.name for fk in tables[name].foreign_keys}
        assert not targets & BALLOT_TABLES, (name, targets)
        assert not any("ballot" in column.name for column in tables[name].columns), name
    # the code and the sample row learn the day only, never a moment
    assert str(tables["survey_code"].c.used_on.type) == "DATE" and str(tables["sampled_person"].c.called_on.type) == "DATE"
