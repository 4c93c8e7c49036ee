"""Property tests: arbitrary Unicode (controls, NUL, bidi, emoji, 4-byte characters, very long strings) posted
through the forms and raw fields of each area. The only outcome besides success is a validation error, never
a 500; what is saved reads back as clean_text of what was typed; what is refused leaves the record as it was."""
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pingyi.campaigns.models import EvaluationGroup
from pingyi.checklists import services as checklists
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.findings.models import Finding, Opinion
from pingyi.surveys import services as surveys
from pingyi.surveys.follow_ups import TEXT_MAX
from pingyi.surveys.integrity_models import FollowUp
from pingyi.surveys.models import Questionnaire
from pingyi.tasks import services as tasks
from pingyi.text import clean_line, clean_text
from pingyi.timeutil import today
from pingyi.units.models import Unit
from tests.conftest import unit_named, user

SPECIAL = ("\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f\r\n\t \u00a0\u3000\u200b\ufeff\u202a\u202b\u202c\u202d"
           "\u202e\u2066\u2067\u2068\u2069e\u0301\u1100\u1161😀👨‍👩‍👧𠀀𪚥县局=+-@'\"<>&/\\")
TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(SPECIAL), max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x10000, exclude_categories=("Cs",)), max_size=20),
    st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=3), st.integers(100, 2200)),
)
FAST = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])
REFUSED = {400, 409, 422}


@dataclass
class Case:
    """One form: who posts where, the other fields it needs, and its text fields as
    name -> (multiline, required, max length or None, truncated to instead of refused)."""
    role: str
    url: Callable
    base: Callable
    fields: dict
    stored: Callable
    done: Callable = lambda response, county: response.status_code == 302
    headers: dict = field(default_factory=dict)
    refused: set = field(default_factory=lambda: REFUSED)


def _unit():
    return db.session.scalar(select(Unit).order_by(Unit.id.desc()).limit(1))  # found by id: its name changes


def _group(county):
    return db.session.scalar(select(EvaluationGroup).where(EvaluationGroup.campaign_id == county.id)
                             .order_by(EvaluationGroup.id))  # unordered, PostgreSQL returns an updated row last


def _dimension(county):
    return checklists.dimensions(county.id)[0]


def _task(county):
    return tasks.campaign_tasks(county.id)[0]


def _item(county):
    return checklists.dimensions(county.id)[0].items[0]


def _questionnaire(county):
    return db.session.scalar(select(Questionnaire).where(Questionnaire.campaign_id == county.id)
                             .order_by(Questionnaire.id))


def _assessment(county):
    return checklists.assessment_for(unit_named("县公安局"), _item(county), "self")


def _public_code(county):
    campaign = county
    q, rtype = surveys.questionnaires(campaign.id)[0], surveys.respondent_types(campaign.id)[0]
    batch = surveys.issue_codes(campaign, unit_named("县公安局"), q, rtype, "november", 1, user("office"))
    return batch.codes[0].code, q


def _public_answer(county):
    code, q = _public_code(county)
    option = surveys.options(county.id)[0].id
    return code, {f"q-{question.id}": str(option) for question in q.questions}


def _last_survey_opinion(county):
    opinion = db.session.scalar(select(Opinion).where(Opinion.source == "survey", Opinion.campaign_id == county.id)
                                .order_by(Opinion.id.desc()))
    return opinion.text if opinion else None


def _settings(county):
    values = {key: getattr(county, key) for key in ("title", "county_name", "office_name", "office_full_name",
                                                    "doc_prefix", "report_deadline", "round1_start", "round1_end",
                                                    "round2_start", "round2_end", "notice_number", "notice_date")}
    for phase in county.phases:
        values[f"phase{phase.number}_start"], values[f"phase{phase.number}_end"] = phase.start_date, phase.end_date
    values = {key: "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
              for key, value in values.items()}
    return dict(values, version=str(county.version))


def _finding(county):
    """A finding waiting for review (put back to 待审核 for every example)."""
    finding = db.session.scalar(select(Finding).where(Finding.campaign_id == county.id).order_by(Finding.id))
    if finding.status != "submitted":
        finding.status, finding.review_note = "submitted", ""
        db.session.commit()
    return finding


def _draft_item(county):
    """A problem of a draft feedback notice (the office still edits it); one is drafted for 县财政局 if none is."""
    item = db.session.scalar(select(FeedbackItem).join(FeedbackNotice).where(
        FeedbackNotice.campaign_id == county.id, FeedbackNotice.status == "draft").order_by(FeedbackItem.id))
    if item is None:
        notice = FeedbackNotice(campaign_id=county.id, unit_id=unit_named("县财政局").id, round="november",
                                created_by_id=user("office").id, overall="", answer_deadline=date(2026, 12, 31))
        notice.items.append(FeedbackItem(dimension_id=_dimension(county).id, problem="窗口办事指南未及时更新",
                                         suggestion="", deadline=date(2026, 12, 31), sort_order=1))
        db.session.add(notice)
        db.session.commit()
        item = notice.items[0]
    return item


def _answerable_item(county):
    """A problem of 县公安局's received notice that it may still answer (open, or not yet answered)."""
    items = db.session.scalars(select(FeedbackItem).join(FeedbackNotice).where(
        FeedbackNotice.campaign_id == county.id, FeedbackNotice.unit_id == unit_named("县公安局").id,
        FeedbackNotice.status == "sent", FeedbackNotice.received_at.is_not(None)).order_by(FeedbackItem.id))
    return next(item for item in items if item.rectification is None or item.rectification.status in ("answered", "failed"))


def _answer_base(county):
    item = _answerable_item(county)
    rect = item.rectification
    return {"kind": "fix", "measures": "建立首问负责台账，每周通报", "owner": "张警官",
            "deadline": max(item.deadline, today()).isoformat(), "version": str(rect.version) if rect else ""}


def _police_follow_up(county):
    """One of 县公安局's comment follow-ups (the unit replies to it publicly, as often as it likes)."""
    return db.session.scalar(select(FollowUp).where(FollowUp.campaign_id == county.id,
                                                    FollowUp.unit_id == unit_named("县公安局").id).order_by(FollowUp.id))


CASES = {
    "unit": Case(
        "office", lambda c: f"/admin/units/{_unit().id}/edit",
        lambda c: {"name": _unit().name, "category": _unit().category, "version": str(_unit().version)},
        {"name": (False, True, 100, None), "short_name": (False, False, 50, None),
         "head_name": (False, False, 50, None), "contact_phone": (False, False, 40, None),
         "address": (False, False, 200, None), "note": (True, False, 1000, None)},
        lambda c, name: getattr(_unit(), name)),
    "group": Case(
        "office", lambda c: f"/admin/groups/{_group(c).id}/edit",
        lambda c: {"name": _group(c).name, "scope": _group(c).scope, "version": str(_group(c).version)},
        {"name": (False, True, 100, None), "description": (True, False, 1000, None)},
        lambda c, name: getattr(_group(c), name)),
    "dimension": Case(
        "office", lambda c: f"/admin/checklist/campaign/dimensions/{_dimension(c).id}/edit",
        lambda c: {"version": str(_dimension(c).version)},
        {"name": (False, True, 50, None)},
        lambda c, name: _dimension(c).name),
    "check item": Case(
        "office", lambda c: f"/admin/checklist/campaign/items/{_item(c).id}/edit",
        lambda c: {"polarity": _item(c).polarity, "version": str(_item(c).version)},
        {"text": (True, True, 500, None)},
        lambda c, name: _item(c).text),
    "task": Case(
        "office", lambda c: f"/board/tasks/{_task(c).id}/edit",
        lambda c: {"title": _task(c).title, "phase_number": str(_task(c).phase_number), "actor": _task(c).actor,
                   "due_date": _task(c).due_date.isoformat(), "version": str(_task(c).version)},
        {"title": (False, True, 100, None), "description": (True, False, 1000, None)},
        lambda c, name: getattr(_task(c), name)),
    "user": Case(
        "office", lambda c: f"/admin/users/{user('evaluator').id}/edit",
        lambda c: {"username": "evaluator", "display_name": user("evaluator").display_name,
                   "role": user("evaluator").role, "unit_id": "0", "version": str(user("evaluator").version)},
        {"display_name": (False, True, 64, None), "phone": (False, False, 40, None)},
        lambda c, name: getattr(user("evaluator"), name)),
    "self-check": Case(
        "office", lambda c: f"/units/{unit_named('县公安局').id}/checklist/items/{_item(c).id}/self",
        lambda c: {"rating": "meets", "version": str(_assessment(c).version)},
        {"explanation": (True, False, 2000, None)},
        lambda c, name: _assessment(c).explanation,
        done=lambda response, county: response.status_code == 200,
        headers={"HX-Request": "true", "HX-Request-Type": "partial"}),
    "campaign settings": Case(
        "office", lambda c: "/admin/campaign", _settings,
        {"title": (False, True, 200, None), "office_full_name": (False, True, 100, None),
         "doc_prefix": (False, True, 30, None), "contact_name": (False, False, 50, None),
         "contact_phone": (False, False, 40, None)},
        lambda c, name: getattr(c, name)),
    "finding review (raw field)": Case(
        "office", lambda c: f"/findings/{_finding(c).id}/dismiss", lambda c: {},
        {"reason": (True, True, None, None)},
        lambda c, name: db.session.scalar(select(Finding).where(Finding.campaign_id == c.id)
                                          .order_by(Finding.id)).review_note,
        done=lambda response, county: db.session.scalar(
            select(Finding).where(Finding.campaign_id == county.id).order_by(Finding.id)).status == "dismissed",
        refused={302}),  # a refused reason is flashed above the list it returns to
    "questionnaire": Case(
        "office", lambda c: f"/surveys/questionnaires/{_questionnaire(c).id}",
        lambda c: {"title": _questionnaire(c).title, "version": str(_questionnaire(c).version),
                   **{f"question-{n}-{key}": value for n, question in enumerate(_questionnaire(c).questions)
                      for key, value in (("id", str(question.id)), ("text", question.text),
                                         ("dimension", str(question.dimension_id or "")))}},
        {"title": (False, True, None, 100), "intro": (True, False, None, None)},
        lambda c, name: getattr(_questionnaire(c), name)),
    "feedback item": Case(  # a problem added to a draft notice (the form's fields carry the prefix "new-")
        "office", lambda c: f"/feedback/{_draft_item(c).notice_id}/items",
        lambda c: {"new-dimension_id": str(_dimension(c).id), "new-problem": "办事指南未及时更新",
                   "new-deadline": "2026-12-31"},
        {"new-problem": (True, True, 2000, None), "new-suggestion": (True, False, 2000, None)},
        lambda c, name: getattr(db.session.scalar(select(FeedbackItem).where(
            FeedbackItem.notice_id == _draft_item(c).notice_id).order_by(FeedbackItem.id.desc()).limit(1)),
            name.removeprefix("new-"))),
    "follow-up reply": Case(
        "unit", lambda c: f"/follow-ups/{_police_follow_up(c).id}/reply",
        lambda c: {"version": str(_police_follow_up(c).version)},
        {"reply": (True, True, None, TEXT_MAX)},
        lambda c, name: _police_follow_up(c).public_reply),
    "rectification answer": Case(
        "unit", lambda c: f"/feedback/items/{_answerable_item(c).id}/answer", _answer_base,
        {"measures": (True, True, 3000, None), "commitment": (True, False, 2000, None),
         "owner": (False, True, 100, None), "leader": (False, False, 100, None),
         "department": (False, False, 100, None)},
        lambda c, name: getattr(_answerable_item(c).rectification, name, None) if _answerable_item(c).rectification
        else None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_any_text_is_saved_clean_or_refused_never_a_500(name, app, county, client_for):
    case = CASES[name]
    client = client_for(case.role)
    saved = []

    @FAST
    @given(field_name=st.sampled_from(sorted(case.fields)), text=TEXTS)
    def check(field_name, text):
        multiline, required, limit, truncate = case.fields[field_name]
        expected = clean_text(text) if multiline else clean_line(text)
        if truncate:
            expected = expected[:truncate].rstrip()
        url, data = case.url(county), dict(case.base(county), **{field_name: text})
        before = case.stored(county, field_name)
        response = client.post(url, data=data, headers=case.headers)
        db.session.expire_all()
        assert response.status_code != 500
        after = case.stored(county, field_name)
        if case.done(response, county):
            saved.append(field_name)
            assert after == expected
            assert not (limit and len(expected) > limit) and not (required and not expected)
        else:
            assert response.status_code in case.refused, response.status_code
            assert after == before

    check()
    assert saved, "no example was saved: the case tests nothing"


def test_the_public_questionnaire_comment_is_stored_clean(app, county):
    client = app.test_client()
    @FAST
    @given(text=TEXTS)
    def check(text):
        code, answers = _public_answer(county)
        response = client.post(f"/s/{code}", data=dict(answers, comment=text))
        db.session.expire_all()
        assert response.status_code == 200 and "提交成功" in response.text
        expected = clean_text(text)[:1000].rstrip()
        if expected:
            assert _last_survey_opinion(county) == expected

    check()


def test_clean_text_is_idempotent_and_leaves_nothing_unstorable():
    @settings(max_examples=300, deadline=None, database=None)
    @given(text=st.one_of(TEXTS, st.text(alphabet=st.characters(codec="utf-8"), max_size=200)))
    def check(text):
        for clean in (clean_text, clean_line):
            once = clean(text)
            assert clean(once) == once
            assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in once)
            assert not any(0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF for ch in once)
            assert once == once.strip()
        assert not any(ch in clean_line(text) for ch in "\n\t\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

    check()


def test_dates_are_untouched_by_cleaning(county, office_client):
    task = _task(county)
    response = office_client.post(f"/board/tasks/{task.id}/edit", data={
        "title": " 任务\x00 ", "phase_number": str(task.phase_number), "actor": task.actor,
        "due_date": date(2026, 12, 1).isoformat(), "version": str(task.version)})
    assert response.status_code == 302
    db.session.refresh(task)
    assert task.title == "任务" and task.due_date == date(2026, 12, 1)
