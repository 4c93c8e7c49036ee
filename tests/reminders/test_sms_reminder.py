"""催办 by 短信: the text goes out through the outbound module (only logged while the SMS channel is off)."""
import pytest
from sqlalchemy import select

from pingyi.auth.models import User
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.outbound.models import OutboundMessage
from pingyi.reminders import services
from pingyi.reminders.models import Reminder
from pingyi.timeutil import cn_date, today
from tests.conftest import unit_named
from tests.outbound.fake_gateway import FakeGateway


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def _reminder_messages():
    return db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reminder")).all()


def _sms(client_for, unit):
    return client_for("office").post("/reminders/record", data={
        "unit_id": unit.id, "reminded_on": today().isoformat(), "method": "sms", "note": ""}, follow_redirects=True)


def test_an_sms_reminder_is_recorded_and_logged_while_the_channel_is_off(county, client_for):
    education = unit_named("县教育局")
    education.contact_phone = "138 1234 5678"
    db.session.commit()
    response = _sms(client_for, education)
    assert response.status_code == 200 and "已记录对县教育局的短信催办（短信通道未开启，仅登记）" in response.text
    reminder = db.session.scalar(select(Reminder).where(Reminder.unit_id == education.id))
    assert reminder.method_label == "短信"
    messages = _reminder_messages()
    assert [(m.recipient_masked, m.purpose, m.status, m.recipient) for m in messages] == [
        ("138****5678", "reminder", "logged", "")]
    items = services.overdue_work(county, unit_id=education.id)[0]["items"]
    earliest = min(due for _, _, due, _ in items)
    assert f"{len(items)} 项工作已逾期" in messages[0].text and cn_date(earliest) in messages[0].text
    assert messages[0].text.endswith(f"【{county.office_name}】")


def test_with_a_gateway_the_text_arrives_at_the_liaisons_mobile(county, client_for, app):
    education = unit_named("县教育局")
    education.contact_phone = ""  # no unit phone: the active liaison's mobile
    liaison = db.session.scalar(select(User).where(User.username == "unit2"))
    liaison.phone = "13912345678"
    db.session.commit()
    with FakeGateway() as gateway:
        app.config.update(OUTBOUND_SMS_URL=gateway.url, OUTBOUND_RETRY_SECONDS=0)
        response = _sms(client_for, education)
        assert "已登记对县教育局的短信催办，短信已排队发送" in response.text
        assert jobs.run_pending() == 1
        body = gateway.json_bodies()[0]
    assert body["mobile"] == "13912345678" and body["content"] == services.sms_text(county, education)
    assert "县教育局：" in body["content"] and "已逾期" in body["content"]
    [message] = _reminder_messages()
    assert message.status == "sent" and message.purpose == "reminder" and message.recipient_masked == "139****5678"


def test_a_unit_without_any_phone_is_refused_and_nothing_is_written(county, client_for):
    education = unit_named("县教育局")
    education.contact_phone = ""
    for liaison in db.session.scalars(select(User).where(User.unit_id == education.id)):
        liaison.phone = ""
    db.session.commit()
    response = _sms(client_for, education)
    assert response.status_code == 422
    assert "县教育局没有联系电话，无法发短信催办" in response.text
    assert db.session.scalar(select(Reminder.id)) is None and _reminder_messages() == []
