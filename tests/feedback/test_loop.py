"""The loop that closes problems: notices, receipt, answers, progress, verification, extensions, letters."""
import io
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from pingyi.auth.models import User
from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback import services as feedback
from pingyi.feedback.models import FeedbackNotice
from pingyi.findings.models import Finding
from pingyi.findings.services import confirm_finding
from pingyi.notifications import todo
from pingyi.rectifications import services as rect
from pingyi.rectifications.models import Rectification
from pingyi.years.lifecycle import start_campaign
from tests.conftest import unit_named, user

PDF = [("整改佐证.pdf", b"%PDF-1.4 evidence")]


def fresh_notice(unit_name="县财政局", problems=3):
    """A sent November notice for a unit with `problems` items, not yet received."""
    campaign, office = current_campaign(), user("office")
    unit = unit_named(unit_name)
    notice = FeedbackNotice(campaign_id=campaign.id, unit_id=unit.id, round="november", created_by_id=office.id,
                            overall="总体较好", answer_deadline=date(2026, 12, 20))
    db.session.add(notice)
    db.session.commit()
    dim = dimensions(campaign.id)[3]
    for n in range(problems):
        feedback.save_item(notice, None, None, dim.id, f"问题{n + 1}", f"建议{n + 1}", date(2026, 12, 31))
    feedback.send_notice(notice, office)
    return notice


def liaison_of(unit):
    return db.session.scalar(select(User).where(User.unit_id == unit.id, User.role == "unit"))


def values(kind, deadline=date(2026, 12, 30)):
    return {"measures": "整改措施", "owner": "张科长", "deadline": deadline, "commitment": "公开承诺",
            "explanation": "政策规定"} if kind != "policy" else {"explanation": "属于政策性问题"}


def test_compile_prefills_confirmed_findings_and_opinions(county):
    campaign, office = current_campaign(), user("office")
    education = unit_named("县教育局")
    pending = db.session.scalar(select(Finding).where(
        Finding.unit_id == education.id,
        Finding.status == "submitted"))
    confirm_finding(pending, office)
    notice = feedback.compile_notice(campaign, education, "november", office)
    assert [i.problem for i in notice.items] == ["暗访发现个别学校仍在收取教辅资料费"]
    assert "学校收费公示应放在校门口显眼位置" in notice.overall
    with pytest.raises(DomainError, match="已有本轮的反馈草稿"):
        feedback.compile_notice(campaign, education, "november", office)
    with pytest.raises(DomainError, match="没有尚未反馈"):
        feedback.compile_notice(campaign, unit_named("县民政局"), "november", office)


def test_send_requires_suggestions_and_freezes_the_notice(county):
    campaign, office = current_campaign(), user("office")
    notice = FeedbackNotice(campaign_id=campaign.id, unit_id=unit_named("县司法局").id, round="november",
                            created_by_id=office.id, answer_deadline=date(2026, 12, 20))
    db.session.add(notice)
    db.session.commit()
    with pytest.raises(DomainError, match="至少要有一个问题"):
        feedback.send_notice(notice, office)
    item = feedback.save_item(notice, None, None, dimensions(campaign.id)[0].id, "台账不全", "", date(2026, 12, 31))
    with pytest.raises(DomainError, match="第 1 个问题还没有整改建议"):
        feedback.send_notice(notice, office)
    feedback.save_item(notice, item, item.version, item.dimension_id, "台账不全", "补齐台账", item.deadline)
    feedback.send_notice(notice, office)
    previous = db.session.scalar(select(FeedbackNotice.doc_number).where(FeedbackNotice.id != notice.id)
                                 .order_by(FeedbackNotice.doc_number.desc()))
    assert notice.status == "sent" and notice.doc_number == previous + 1
    assert notice.number_label("青纠风办") == f"青纠风办函〔2026〕{notice.doc_number}号"
    with pytest.raises(DomainError, match="不能修改"):
        feedback.save_item(notice, item, item.version, item.dimension_id, "改", "改", item.deadline)
    with pytest.raises(DomainError, match="不能修改"):
        feedback.delete_item(item)


def test_receipt_is_recorded_once_by_the_units_liaison(county):
    notice = fresh_notice()
    liaison = liaison_of(notice.unit)
    with pytest.raises(DomainError, match="本单位联络员"):
        feedback.receive_notice(notice, user("unit"))
    feedback.receive_notice(notice, liaison)
    assert notice.received_by == liaison and notice.received_at is not None
    with pytest.raises(DomainError, match="不能重复签收"):
        feedback.receive_notice(notice, liaison)


def test_receipt_overdue_after_the_configured_days(county, app):
    notice = fresh_notice()
    assert not feedback.receipt_overdue(notice)
    assert feedback.receipt_overdue(notice, notice.sent_at + timedelta(days=app.config["FEEDBACK_RECEIPT_DAYS"], hours=1))


def test_answers_of_each_kind_with_their_guards(county):
    notice = fresh_notice()
    unit = notice.unit
    liaison = liaison_of(unit)
    fix_item, plan_item, policy_item = notice.items
    with pytest.raises(DomainError, match="请先签收"):
        rect.answer_item(fix_item, liaison, "fix", values("fix"))
    feedback.receive_notice(notice, liaison)
    with pytest.raises(DomainError, match="限时解决须填写：责任人"):
        rect.answer_item(fix_item, liaison, "fix", dict(values("fix"), owner=""))
    with pytest.raises(DomainError, match="只能由本单位联络员"):
        rect.answer_item(fix_item, user("unit"), "fix", values("fix"))
    fix = rect.answer_item(fix_item, liaison, "fix", values("fix"))
    plan = rect.answer_item(plan_item, liaison, "plan", values("plan"))
    policy = rect.answer_item(policy_item, liaison, "policy", values("policy"))
    assert (fix.status, plan.status, policy.status) == ("answered", "answered", "explained")
    with pytest.raises(DomainError, match="只能核实已报完成"):
        rect.verify(fix, user("office"), True, "")
    with pytest.raises(DomainError, match="上传整改佐证"):
        rect.add_update(fix, liaison, "已完成", [], True)
    rect.add_update(fix, liaison, "已完成", PDF, True)
    assert fix.status == "completed"
    with pytest.raises(DomainError, match="已报完成"):
        rect.answer_item(fix_item, liaison, "plan", values("plan"), fix.version)
    with pytest.raises(DomainError, match="写明原因"):
        rect.verify(fix, user("office"), False, "")
    rect.verify(fix, user("office"), False, "公示仍未更新")
    assert fix.status == "failed"
    rect.add_update(fix, liaison, "已更新公示", PDF, True)
    rect.verify(fix, user("office"), True, "")
    assert fix.status == "verified"
    with pytest.raises(DomainError, match="无需报告进展"):
        rect.add_update(policy, liaison, "x", [], False)


def test_extension_keeps_the_original_deadline(county):
    notice = fresh_notice(problems=1)
    unit = notice.unit
    liaison = liaison_of(unit)
    feedback.receive_notice(notice, liaison)
    r = rect.answer_item(notice.items[0], liaison, "fix", values("fix", date(2026, 12, 10)))
    with pytest.raises(DomainError, match="应晚于现时限"):
        rect.request_extension(r, liaison, date(2026, 12, 1), "设备未到")
    ext = rect.request_extension(r, liaison, date(2027, 1, 31), "设备未到")
    with pytest.raises(DomainError, match="待审批"):
        rect.request_extension(r, liaison, date(2027, 2, 28), "再延")
    with pytest.raises(DomainError, match="写明理由"):
        rect.decide_extension(ext, user("office"), False, "")
    rect.decide_extension(ext, user("office"), True, "同意")
    assert rect.effective_deadline(r) == date(2027, 1, 31) and ext.original_deadline == date(2026, 12, 10)


def test_traffic_lights_follow_the_date(county, app):
    r = db.session.scalar(select(Rectification).where(Rectification.status == "answered"))
    due = rect.effective_deadline(r)
    warn = app.config["DEADLINE_WARN_DAYS"]
    assert rect.rect_state(r, due - timedelta(days=warn + 1)) == "ok"
    assert rect.rect_state(r, due - timedelta(days=warn)) == "soon"
    assert rect.rect_state(r, due + timedelta(days=1)) == "overdue"


def test_commitment_letter_is_submitted_with_a_scan_and_filed(county, client_for, office_client):
    police = unit_named("县公安局")
    letter = rect.letter_for(current_campaign(), police)
    assert letter.status == "filed"
    education = unit_named("县教育局")
    with pytest.raises(DomainError, match="无需提交承诺书"):
        rect.submit_letter(current_campaign(), education, user("unit2"), PDF)
    page = client_for("unit").get(f"/units/{police.id}/commitment").text
    assert "政风行风评议整改承诺书" in page and "主要负责人（签字）" in page and "已备案" in page


def test_corrected_edition_keeps_the_old_one_and_moves_answers(county):
    police = unit_named("县公安局")
    old = feedback.latest_notice(current_campaign(), police, "june", ("sent",))
    answered = [i.rectification.id for i in old.items]
    draft = feedback.revise_notice(old, user("office"))
    feedback.save_item(draft, draft.items[0], draft.items[0].version, draft.items[0].dimension_id,
                       "更正后的问题表述", draft.items[0].suggestion, draft.items[0].deadline)
    feedback.send_notice(draft, user("office"))
    db.session.refresh(old)
    assert old.status == "superseded" and draft.edition == 2
    assert old.received_at is not None and draft.received_at is None  # the corrected edition is signed anew
    assert [i.rectification.id for i in draft.items] == answered and old.items[0].problem != "更正后的问题表述"


def test_unit_sees_only_its_feedback_and_rectifications(county, client_for):
    text = client_for("unit").get("/rectifications").text
    assert "县公安局" in text and "县财政局" not in text
    notice = feedback.latest_notice(current_campaign(), unit_named("县财政局"), "june", ("sent",))
    assert client_for("unit").get(f"/feedback/{notice.id}").status_code == 404
    supervisor = client_for("supervisor").get("/rectifications").text
    assert "县财政局" not in supervisor and "县公安局" in supervisor


def test_notification_counts(county, app):
    with app.test_request_context():  # the list links to pages
        campaign = current_campaign()
        office = dict((label, count) for label, count, _, _ in todo(user("office"), campaign))
        assert office["超期未签收的反馈"] == sum(1 for n in db.session.scalars(select(FeedbackNotice))
                                         if feedback.receipt_overdue(n))
        assert office["待审批的延期申请"] == 1
        unit2 = dict((label, count) for label, count, _, _ in todo(user("unit2"), campaign))
        assert unit2["待签收的反馈通知书"] == 1
        notice = fresh_notice("县教育局", 1)
        assert dict((l, c) for l, c, _, _ in todo(user("unit2"), campaign))["待签收的反馈通知书"] == 2
        assert notice.unit.name == "县教育局"


def test_unfinished_rectifications_carry_over_to_the_new_year(county):
    open_ids = {r.id for r in db.session.scalars(select(Rectification).where(
        Rectification.status.in_(("answered", "completed", "failed"))))}
    new = start_campaign(2027, current_campaign())
    moved = db.session.scalars(select(Rectification).where(Rectification.campaign_id == new.id)).all()
    assert {r.id for r in moved} == open_ids and all(r.carried_over for r in moved)


def test_answer_page_through_the_views(county, client_for):
    with time_machine.travel("2026-12-01 10:00 +0800", tick=False):
        notice = fresh_notice("县教育局", 1)
        client = client_for("unit2")
        client.post(f"/feedback/{notice.id}/receive")
        item = notice.items[0]
        bad = client.post(f"/feedback/items/{item.id}/answer", data={"kind": "fix", "measures": "措施"})
        assert bad.status_code == 422 and "限时解决须填写" in bad.text and "措施" in bad.text
        ok = client.post(f"/feedback/items/{item.id}/answer", data={
            "kind": "plan", "measures": "计划", "commitment": "承诺", "owner": "王", "deadline": "2027-03-01"})
        assert ok.status_code == 422 and "不能晚于纠风办要求的 2026年12月31日" in ok.text
        ok = client.post(f"/feedback/items/{item.id}/answer", data={
            "kind": "plan", "measures": "计划", "commitment": "承诺", "owner": "王", "deadline": "2026-12-20"})
        assert ok.status_code == 302
        r = db.session.scalar(select(Rectification).where(Rectification.item_id == item.id))
        upload = client.post(f"/rectifications/{r.id}/updates", content_type="multipart/form-data", data={
            "note": "已完成", "completes": "y", "files": [(io.BytesIO(b"%PDF-1.4 x"), "佐证.pdf")]})
        assert upload.status_code == 302
        db.session.refresh(r)
        assert r.status == "completed"


def test_items_dropped_by_a_correction_are_withdrawn(county):
    police = unit_named("县公安局")
    old = feedback.latest_notice(current_campaign(), police, "june", ("sent",))
    dropped = old.items[-1].rectification
    draft = feedback.revise_notice(old, user("office"))
    feedback.delete_item(draft.items[-1])
    feedback.send_notice(draft, user("office"))
    db.session.refresh(dropped)
    assert dropped.status == "withdrawn"
    rows, _ = rect.tracker(current_campaign(), user("office"), unit_id=police.id)
    assert dropped.id not in {r.id for r in rows}


def test_a_new_commitment_reopens_a_filed_letter(county):
    police = unit_named("县公安局")
    letter = rect.letter_for(current_campaign(), police)
    assert letter.status == "filed"
    notice = FeedbackNotice(campaign_id=current_campaign().id, unit_id=police.id, round="november",
                            created_by_id=user("office").id, answer_deadline=date(2026, 12, 20))
    db.session.add(notice)
    db.session.commit()
    feedback.save_item(notice, None, None, dimensions(current_campaign().id)[0].id, "台账不全", "补齐", date(2026, 12, 31))
    feedback.send_notice(notice, user("office"))
    feedback.receive_notice(notice, user("unit"))
    rect.answer_item(notice.items[0], user("unit"), "plan", values("plan"))
    db.session.refresh(letter)
    assert letter.status == "draft"


def test_a_failed_verification_stays_in_the_story(county):
    notice = fresh_notice(problems=1)
    liaison = liaison_of(notice.unit)
    feedback.receive_notice(notice, liaison)
    r = rect.answer_item(notice.items[0], liaison, "fix", values("fix"))
    rect.add_update(r, liaison, "完成", PDF, True)
    rect.verify(r, user("office"), False, "公示未更新")
    rect.add_update(r, liaison, "已更新", PDF, True)
    rect.verify(r, user("office"), True, "")
    notes = [u.note for u in r.updates]
    assert "纠风办核实：未整改到位，公示未更新" in notes and notes[-1] == "纠风办核实：已整改到位"


def test_drafts_and_other_scopes_stay_hidden(county, client_for, office_client):
    education = unit_named("县教育局")
    old = feedback.latest_notice(current_campaign(), education, "june", ("sent",))
    draft = feedback.revise_notice(old, user("office"))
    feedback.save_item(draft, draft.items[0], draft.items[0].version, draft.items[0].dimension_id, "草稿中的改写",
                       "建议", draft.items[0].deadline)
    unit2 = client_for("unit2")
    assert unit2.get(f"/feedback/items/{draft.items[0].id}/answer").status_code == 404
    page = unit2.get(f"/units/{education.id}").text
    assert "更正版" not in page and "草稿中的改写" not in page
    finance = unit_named("县财政局")  # in neither the evaluator's group nor the supervisor's list
    for name in ("evaluator", "supervisor"):
        client = client_for(name)
        text = client.get(f"/units/{finance.id}").text
        assert "问题整改全过程" not in text and "确认县财政局的问题" not in text, name
        assert client.get(f"/units/{finance.id}/checklist").status_code == 404
        assert "县财政局" not in client.get("/findings/matrix").text
        assert client.get("/documents").status_code == 403
    assert "问题整改全过程" in office_client.get(f"/units/{finance.id}").text
