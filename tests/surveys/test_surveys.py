"""Survey set-up, tally entry (validation, conflicts, double entry), ballots and one-time codes."""

import pytest
from sqlalchemy import func, select

from pingyi.errors import DomainError, StaleEdit
from pingyi.exact import exact_text
from pingyi.extensions import db
from pingyi.findings.models import Opinion
from pingyi.surveys import services
from pingyi.surveys.models import Ballot, Questionnaire, SurveyCode
from tests.conftest import post_at_once, unit_named, user


@pytest.fixture
def setup(county):
    q = services.questionnaires(county.id)[0]
    inner = services.questionnaires(county.id)[1]
    return county, q, inner, services.respondent_types(county.id), services.options(county.id)


def _cells(q, opts, rows):
    """{(question, option): str} from one list of counts per question (missing rows are blank)."""
    return {(question.id, o.id): str(n) for question, counts in zip(q.questions, rows)
            for o, n in zip(opts, counts)}


def test_a_row_above_the_ballots_returned_is_refused_and_the_others_saved(setup):
    campaign, q, _, types, opts = setup
    unit, office = unit_named("县司法局"), user("office")
    rows = [[8, 1, 1, 0]] * len(q.questions)
    rows[2] = [9, 2, 0, 0]  # 11 answers from 10 questionnaires
    opened = services.find_sheet(unit.id, q.id, types[2].id, "november", 1).version
    sheet, errors, ballots_error = services.save_tally(campaign, unit, q, types[2], "november", 1, "10",
                                                       _cells(q, opts, rows), opened, office)
    third = q.questions[2].id
    assert errors == {third: "各选项合计 11 票，超过回收问卷数 10 份"} and ballots_error == ""
    stored = services.sheet_cells(services.find_sheet(unit.id, q.id, types[2].id, "november", 1))
    assert stored[(q.questions[0].id, opts[0].id)] == 8
    assert stored[(third, opts[0].id)] != 9  # the refused row keeps what was stored before


def test_counts_must_be_whole_numbers_and_ballots_cannot_drop_below_a_stored_row(setup):
    campaign, q, _, types, opts = setup
    unit, office = unit_named("县司法局"), user("office")
    sheet = services.find_sheet(unit.id, q.id, types[0].id, "june", 1)
    before = (sheet.ballots, services.sheet_cells(sheet), sheet.version)
    cells = {key: str(n) for key, n in before[1].items()}
    cells[(q.questions[0].id, opts[0].id)] = "3.5"
    _, errors, _ = services.save_tally(campaign, unit, q, types[0], "june", 1, str(before[0]), cells, sheet.version,
                                       office)
    assert errors == {q.questions[0].id: "票数应为 0 至 100000 的整数"}
    cells[(q.questions[0].id, opts[0].id)] = "9" * 20  # huge numbers are refused the same way, not stored
    _, errors, _ = services.save_tally(campaign, unit, q, types[0], "june", 1, str(before[0]), cells, sheet.version,
                                       office)
    assert errors == {q.questions[0].id: "票数应为 0 至 100000 的整数"}
    cells[(q.questions[0].id, opts[0].id)] = "3.5"
    _, errors, ballots_error = services.save_tally(campaign, unit, q, types[0], "june", 1, "x", cells, sheet.version,
                                                   office)
    assert ballots_error == "回收问卷数应为 0 至 100000 的整数"
    # 5 questionnaires, every row refused: the stored rows add up to more than 5, so nothing changes
    _, errors, ballots_error = services.save_tally(campaign, unit, q, types[0], "june", 1, "5", cells, sheet.version,
                                                   office)
    assert "回收问卷数不能少于此数" in ballots_error
    db.session.expire_all()
    sheet = services.find_sheet(unit.id, q.id, types[0].id, "june", 1)
    assert (sheet.ballots, services.sheet_cells(sheet)) == before[:2]


def test_a_stale_grid_is_not_saved_over_someone_elses(setup):
    campaign, q, _, types, opts = setup
    unit = unit_named("县公安局")
    sheet = services.find_sheet(unit.id, q.id, types[0].id, "june", 1)
    opened = sheet.version
    services.save_tally(campaign, unit, q, types[0], "june", 1, str(sheet.ballots),
                        {k: str(v) for k, v in services.sheet_cells(sheet).items()} | {(q.questions[0].id, opts[2].id): "0"},
                        opened, user("office"))
    with pytest.raises(StaleEdit):
        services.save_tally(campaign, unit, q, types[0], "june", 1, "1", {}, opened, user("supervisor"))


def test_tally_page_keeps_what_was_typed_in_a_refused_row(county, office_client):
    q = services.questionnaires(county.id)[0]
    t = services.respondent_types(county.id)[1]
    opts = services.options(county.id)
    unit = unit_named("县司法局")
    url = f"/units/{unit.id}/tallies?questionnaire={q.id}&type={t.id}&round=june"
    page = office_client.get(url)
    assert page.status_code == 200 and "回收问卷数" in page.text
    sheet = services.find_sheet(unit.id, q.id, t.id, "june", 1)
    data = {"questionnaire": q.id, "type": t.id, "round": "june", "entry": "1", "version": sheet.version,
            "ballots": str(sheet.ballots)}  # 5 to 10 volunteers
    for question in q.questions:
        for o, n in zip(opts, (4, 1, 1, 0)):
            data[f"c-{question.id}-{o.id}"] = str(n)
    data[f"c-{q.questions[1].id}-{opts[0].id}"] = "44"
    response = office_client.post(f"/units/{unit.id}/tallies", data=data)
    assert response.status_code == 400
    assert f"各选项合计 46 票，超过回收问卷数 {sheet.ballots} 份" in response.text and 'value="44"' in response.text
    saved = services.sheet_cells(services.find_sheet(unit.id, q.id, t.id, "june", 1))
    assert saved[(q.questions[0].id, opts[0].id)] == 4


def test_double_entry_must_agree_before_it_counts(setup):
    campaign, _, inner, types, opts = setup
    unit, office, supervisor = unit_named("县民政局"), user("office"), user("supervisor")
    internal = types[3]
    rows = [[15, 3, 1, 1]] * 3
    services.save_tally(campaign, unit, inner, internal, "november", 1, "20", _cells(inner, opts, rows), None, office)
    key = (unit.id, inner.id, internal.id, "november")
    assert services.double_entry_state(campaign)[key] == "待第二遍录入"
    with pytest.raises(DomainError, match="两个人分别完成"):
        services.save_tally(campaign, unit, inner, internal, "november", 2, "20", _cells(inner, opts, rows), None, office)
    other = [[15, 3, 1, 1], [14, 4, 1, 1], [15, 3, 1, 1]]
    services.save_tally(campaign, unit, inner, internal, "november", 2, "20", _cells(inner, opts, other), None,
                        supervisor)
    assert services.double_entry_state(campaign)[key] == "两遍录入不一致"
    first = services.find_sheet(unit.id, inner.id, internal.id, "november", 1)
    second = services.find_sheet(unit.id, inner.id, internal.id, "november", 2)
    diffs, keys = services.differences(first, second, inner, opts)
    assert diffs == [("第 2 题 · 满意", 15, 14), ("第 2 题 · 基本满意", 3, 4)]
    services.save_tally(campaign, unit, inner, internal, "november", 2, "20", _cells(inner, opts, rows),
                        second.version, supervisor)
    assert key not in services.double_entry_state(campaign)


def test_individual_ballots_need_every_question(setup):
    campaign, q, _, types, opts = setup
    unit = unit_named("县司法局")
    answers = {question.id: opts[0].id for question in q.questions[:-1]}
    errors = services.add_ballot(campaign, unit, q, types[0], "november", answers, user("office"))
    assert errors == {q.questions[-1].id: "请选择一项（问卷上未填的选“未作答”）"}
    answers[q.questions[-1].id] = opts[3].id
    assert services.add_ballot(campaign, unit, q, types[0], "november", answers, user("office")) == {}
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.unit_id == unit.id, Ballot.channel == "paper")) == 1


def test_a_code_answers_once_and_the_comment_goes_to_the_opinions(county, client_for):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = services.questionnaires(county.id)[0]
    opts = services.options(county.id)
    anonymous = client_for("office").application.test_client()
    page = anonymous.get(f"/s/{code.code}")
    assert page.status_code == 200 and "县公安局" in page.text
    incomplete = anonymous.post(f"/s/{code.code}", data={f"q-{q.questions[0].id}": opts[0].id})
    assert incomplete.status_code == 400 and "题未选择" in incomplete.text
    data = {f"q-{question.id}": opts[1].id for question in q.questions} | {"comment": "办事指南能否印得更大一些"}
    assert "提交成功" in anonymous.post(f"/s/{code.code}", data=data).text
    again = anonymous.post(f"/s/{code.code}", data=data)
    assert again.status_code == 410 and "已经使用过" in again.text
    assert anonymous.get(f"/s/{code.code}").status_code == 410
    ballot = db.session.scalar(select(Ballot).where(Ballot.channel == "online").order_by(Ballot.id.desc()))
    assert ballot.entered_by_id is None and ballot.created_at.strftime("%H:%M") == "16:00"  # the day's start (UTC)
    assert code.used_on is not None and not hasattr(ballot, "code_id")
    opinion = db.session.scalar(select(Opinion).where(Opinion.text == "办事指南能否印得更大一些"))
    assert opinion.source == "survey" and opinion.status == "submitted" and opinion.unit_id == ballot.unit_id
    assert anonymous.get("/s/NOSUCHCODE").status_code == 404


def test_a_code_is_spent_once_under_two_concurrent_submissions(app, county):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = services.questionnaires(county.id)[0]
    opts = services.options(county.id)
    data = {f"q-{question.id}": opts[0].id for question in q.questions}
    online = select(func.count(Ballot.id)).where(Ballot.channel == "online")
    before = db.session.scalar(online)
    statuses = post_at_once(app, f"/s/{code.code}", data, 2)
    assert sorted(statuses) == [200, 410]
    assert db.session.scalar(online) == before + 1


def test_issued_codes_print_with_local_qr_codes(county, office_client):
    unit = unit_named("县财政局")
    q = services.questionnaires(county.id)[0]
    t = services.respondent_types(county.id)[0]
    refused = office_client.post(f"/units/{unit.id}/codes", data={"questionnaire": q.id, "type": t.id,
                                                                  "round": "november", "count": "0"})
    assert refused.status_code == 302
    created = office_client.post(f"/units/{unit.id}/codes", data={"questionnaire": q.id, "type": t.id,
                                                                  "round": "november", "count": "5"})
    sheet = office_client.get(created.location)
    assert sheet.status_code == 200 and sheet.text.count('src="data:image/svg+xml') == 5
    assert sheet.text.count("<code>http://localhost/s/") == 5  # our own address, as the office reached it
    office_client.application.config["PUBLIC_URL"] = "http://10.1.2.3:5000/"
    assert office_client.get(created.location).text.count("<code>http://10.1.2.3:5000/s/") == 5


def test_options_in_use_cannot_be_deleted_and_one_must_count(setup):
    campaign, *_ = setup
    opts = services.options(campaign.id)
    rows = [{"id": o.id, "label": o.label, "score": o.score, "counts_valid": o.counts_valid, "version": o.version} for o in opts]
    with pytest.raises(DomainError, match="已有投票"):
        services.save_options(campaign, [dict(rows[0], label="")] + rows[1:])
    db.session.rollback()
    with pytest.raises(DomainError, match="有效票"):
        services.save_options(campaign, [dict(r, counts_valid=False) for r in rows])
    db.session.rollback()
    services.save_options(campaign, [dict(rows[1], score=70.0)] + [rows[0]] + rows[2:])
    assert [(o.label, o.score) for o in services.options(campaign.id)][:2] == [("基本满意", 70.0), ("满意", 100.0)]


def test_option_form_shows_errors_next_to_the_row(county, office_client):
    opts = services.options(county.id)
    data = {}
    for n, o in enumerate(opts):
        data.update({f"option-{n}-id": o.id, f"option-{n}-label": o.label, f"option-{n}-score": exact_text(o.score),
                     f"option-{n}-version": o.version})
        if o.counts_valid:
            data[f"option-{n}-valid"] = "y"
    data["option-1-score"] = "八十"
    response = office_client.post("/surveys/setup/options", data=data)
    assert response.status_code == 400 and "分值应为数字" in response.text and 'value="八十"' in response.text
    assert services.options(county.id)[1].score == 80.0


def test_a_new_campaign_copies_the_surveys_with_its_own_dimensions(county):
    from pingyi.years.lifecycle import start_campaign
    from pingyi.results.services import config_for
    new = start_campaign(2027, county)
    qs = services.questionnaires(new.id)
    assert [q.title for q in qs] == ["2027年度政风行风满意度测评表", "机关内部民主测评表"]
    assert {q.dimension.campaign_id for q in qs[0].questions if q.dimension} == {new.id}
    assert [o.label for o in services.options(new.id)] == ["满意", "基本满意", "不满意", "不了解"]
    assert config_for(new).grades == config_for(county).grades


def test_a_supervisor_enters_only_for_assigned_units(county, client_for):
    supervisor = client_for("supervisor")
    assert supervisor.get(f"/units/{unit_named('县公安局').id}/tallies").status_code == 200
    assert supervisor.get(f"/units/{unit_named('县财政局').id}/tallies").status_code == 404
    listing = supervisor.get("/surveys").text
    assert "县公安局" in listing and "县财政局" not in listing


def test_running_counts_match_a_recount_of_the_ballots(setup):
    from pingyi.surveys.models import BallotCount
    campaign, q, _, types, opts = setup
    unit, office = unit_named("县司法局"), user("office")
    for n in range(3):
        services.add_ballot(campaign, unit, q, types[1], "june", {x.id: opts[n].id for x in q.questions}, office)
    services.delete_ballot(db.session.scalar(select(Ballot).where(Ballot.unit_id == unit.id, Ballot.channel == "paper")),
                           office)

    def counts():
        return {tuple(getattr(c, k) for k in services.COUNT_KEY): c.count
                for c in db.session.scalars(select(BallotCount).where(BallotCount.campaign_id == campaign.id))
                if c.count}

    running = counts()
    assert running[(unit.id, q.id, types[1].id, "june", q.questions[0].id, opts[1].id)] == 1
    assert (unit.id, q.id, types[1].id, "june", q.questions[0].id, opts[0].id) not in running  # deleted again
    services.recount(campaign)
    assert counts() == running


def test_ballot_page_enters_one_questionnaire_after_another(county, office_client):
    q = services.questionnaires(county.id)[0]
    t = services.respondent_types(county.id)[2]
    opts = services.options(county.id)
    unit = unit_named("县司法局")
    base = {"questionnaire": q.id, "type": t.id, "round": "june"}
    partial = office_client.post(f"/units/{unit.id}/ballots", data=base | {f"q-{q.questions[0].id}": opts[0].id})
    assert partial.status_code == 400 and f"还有 {len(q.questions) - 1} 题未选择" in partial.text
    full = base | {f"q-{x.id}": opts[1].id for x in q.questions}
    response = office_client.post(f"/units/{unit.id}/ballots", data=full)
    assert response.status_code == 302
    page = office_client.get(response.location)
    assert "已录入 1 张" in page.text and "纸质问卷逐张录入" in page.text


def test_one_person_cannot_enter_both_passes_in_either_order(setup):
    campaign, _, inner, types, opts = setup
    unit, supervisor = unit_named("县卫生局"), user("supervisor")
    cells = _cells(inner, opts, [[10, 0, 0, 0]] * 3)
    services.save_tally(campaign, unit, inner, types[3], "june", 2, "10", cells, None, supervisor)
    with pytest.raises(DomainError, match="两个人分别完成"):
        services.save_tally(campaign, unit, inner, types[3], "june", 1, "10", cells, None, supervisor)


def test_a_save_names_its_batch_exactly(county, client_for):
    supervisor = client_for("supervisor")
    police = unit_named("县公安局")
    old_q = db.session.scalar(select(func.min(Questionnaire.id)))  # the 2025 campaign's
    response = supervisor.post(f"/units/{police.id}/tallies", data={"questionnaire": old_q, "type": "1",
                                                                   "round": "november", "ballots": "3"})
    assert response.status_code == 400
    q = services.questionnaires(county.id)[0]
    t = services.respondent_types(county.id)[0]
    sheet = services.find_sheet(police.id, q.id, t.id, "november", 1)
    before = (sheet.ballots, services.sheet_cells(sheet))
    no_version = supervisor.post(f"/units/{police.id}/tallies", data={"questionnaire": q.id, "type": t.id,
                                                                     "round": "november", "ballots": "3"})
    assert no_version.status_code == 400 and "已在您打开本页后保存" in no_version.text
    db.session.expire_all()
    sheet = services.find_sheet(police.id, q.id, t.id, "november", 1)
    assert (sheet.ballots, services.sheet_cells(sheet)) == before


def test_bad_numbers_are_refused_not_crashed(county, client_for):
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = services.questionnaires(county.id)[0]
    anonymous = client_for("office").application.test_client()
    assert anonymous.post(f"/s/{code.code}", data={f"q-{q.questions[0].id}": "²"}).status_code == 400
    office = client_for("office")
    assert office.get("/surveys/questionnaires/99999999999999999999").status_code == 404
    assert office.get("/results?version=99999999999999999999").status_code == 404


def test_an_unused_option_with_zero_cells_can_be_deleted(setup, office_client):
    campaign, q, _, types, _ = setup
    rows = [{"id": o.id, "label": o.label, "score": o.score, "counts_valid": o.counts_valid, "version": o.version}
            for o in services.options(campaign.id)]
    services.save_options(campaign, rows + [{"id": None, "label": "很满意", "score": 100.0, "counts_valid": True, "version": ""}])
    opts = services.options(campaign.id)
    unit = unit_named("县司法局")
    sheet = services.find_sheet(unit.id, q.id, types[0].id, "june", 1)
    cells = {k: str(v) for k, v in services.sheet_cells(sheet).items()} | {(q.questions[0].id, opts[-1].id): "0"}
    services.save_tally(campaign, unit, q, types[0], "june", 1, str(sheet.ballots), cells, sheet.version, user("office"))
    rows = [{"id": o.id, "label": o.label if o.label != "很满意" else "", "score": o.score, "counts_valid": o.counts_valid,
             "version": o.version} for o in opts]
    services.save_options(campaign, rows)
    assert [o.label for o in services.options(campaign.id)] == ["满意", "基本满意", "不满意", "不了解"]


def test_a_question_left_blank_on_paper_is_entered_as_such(setup):
    campaign, q, _, types, opts = setup
    unit = unit_named("县司法局")
    answers = {x.id: opts[0].id for x in q.questions} | {q.questions[1].id: services.BLANK}
    assert services.add_ballot(campaign, unit, q, types[0], "november", answers, user("office")) == {}
    ballot = db.session.scalar(select(Ballot).where(Ballot.unit_id == unit.id, Ballot.channel == "paper"))
    assert len(ballot.answers) == len(q.questions) - 1


def test_type_form_refuses_duplicates_and_keeps_the_rows(county, office_client):
    types = services.respondent_types(county.id)
    data = {}
    for n, t in enumerate(types):
        data.update({f"type-{n}-id": t.id, f"type-{n}-name": t.name, f"type-{n}-weight": exact_text(t.weight),
                     f"type-{n}-version": t.version})
    data[f"type-{len(types)}-id"], data[f"type-{len(types)}-version"] = "", ""
    data[f"type-{len(types)}-name"], data[f"type-{len(types)}-weight"] = "义务监督员", "5"
    response = office_client.post("/surveys/setup/types", data=data)
    assert response.status_code == 400 and "测评对象类别不能重复" in response.text and 'value="5"' in response.text
    data[f"type-{len(types)}-name"] = "企业代表"
    assert office_client.post("/surveys/setup/types", data=data).status_code == 302
    assert [t.name for t in services.respondent_types(county.id)][-1] == "企业代表"


def test_a_questionnaire_returned_with_every_question_blank(setup):
    from pingyi.surveys.models import BallotCount
    campaign, q, _, types, _ = setup
    unit = unit_named("县司法局")
    counted = select(func.count(BallotCount.id)).where(BallotCount.campaign_id == campaign.id)
    before = db.session.scalar(counted)
    answers = {x.id: services.BLANK for x in q.questions}
    assert services.add_ballot(campaign, unit, q, types[0], "november", answers, user("office")) == {}
    assert db.session.scalar(counted) == before  # returned, but no vote to count
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.unit_id == unit.id, Ballot.channel == "paper")) == 1


def test_tally_changes_are_audited_with_readable_counts(setup):
    from pingyi.audit.models import AuditEntry
    campaign, q, _, types, opts = setup
    unit = unit_named("县司法局")
    sheet = services.find_sheet(unit.id, q.id, types[0].id, "june", 1)
    cells = {k: str(v) for k, v in services.sheet_cells(sheet).items()}
    logged = select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "tally_sheet")
    unchanged = db.session.scalar(logged)
    services.save_tally(campaign, unit, q, types[0], "june", 1, str(sheet.ballots), cells, sheet.version,
                        user("office"))
    assert db.session.scalar(logged) == unchanged  # saving the same numbers again records nothing
    cells[(q.questions[0].id, opts[0].id)] = str(int(cells[(q.questions[0].id, opts[0].id)]) - 1)
    services.save_tally(campaign, unit, q, types[0], "june", 1, str(sheet.ballots), cells, sheet.version,
                        user("office"))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "tally_sheet")
                                 .order_by(AuditEntry.id.desc())).all()
    assert len(entries) == unchanged + 1
    assert "第 1 题 · 满意" in entries[0].after and entries[0].summary.startswith("修改县司法局")
