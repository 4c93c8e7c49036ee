"""The outbound module against a local fake gateway: what it receives, retries with back-off, give-up, off."""
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job
from pingyi.outbound import services as outbound
from pingyi.outbound.models import OutboundMessage
from tests.conftest import user
from tests.outbound.fake_gateway import FakeGateway


def _configure(app, **values):
    app.config.update({"OUTBOUND_RETRY_SECONDS": 0, **values})


def test_off_by_default_logs_the_message_and_sends_nothing(app, county):
    message = outbound.send("sms", "13812345678", "测试消息", purpose="test")
    db.session.commit()
    assert message.status == "logged" and message.channel == "off"
    assert message.recipient == "" and message.recipient_masked == "138****5678"
    assert db.session.scalar(select(Job).where(Job.kind == outbound.JOB_KIND)) is None


def test_the_sms_gateway_receives_the_filled_template_once(app, county):
    with FakeGateway() as gateway:
        _configure(app, OUTBOUND_SMS_URL=gateway.url, OUTBOUND_SMS_USER="qs", OUTBOUND_SMS_PASSWORD="p\"w",
                   OUTBOUND_SMS_AUTH_HEADER="Bearer t0k")
        message = outbound.send("sms", "13812345678", "您好，“测评”链接 http://x/s/AB", purpose="test")
        db.session.commit()
        assert message.status == "queued"
        assert jobs.run_pending() == 1
        assert gateway.json_bodies() == [{"mobile": "13812345678", "content": "您好，“测评”链接 http://x/s/AB",
                                          "account": "qs", "password": "p\"w"}]
        assert gateway.requests[0]["headers"]["Authorization"] == "Bearer t0k"
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 1 and message.sent_at is not None
    assert message.recipient == ""  # the full number is dropped once sent; the log keeps the masked one


def test_a_form_encoded_get_gateway(app, county):
    with FakeGateway() as gateway:
        _configure(app, OUTBOUND_SMS_URL=gateway.url + "?sign=1", OUTBOUND_SMS_METHOD="GET", OUTBOUND_SMS_FORMAT="form",
                   OUTBOUND_SMS_BODY="to={phone}&msg={text}", OUTBOUND_SMS_DELIVERED_TEXT='"code": 0')
        message = outbound.send("sms", "13912345678", "a&b=c 中文", purpose="test")
        db.session.commit()
        jobs.run_pending()
        query = parse_qs(urlsplit(gateway.requests[0]["path"]).query)
        assert query == {"sign": ["1"], "to": ["13912345678"], "msg": ["a&b=c 中文"]}
    db.session.refresh(message)
    assert message.status == "delivered"


def test_failures_are_retried_with_back_off_then_succeed(app, county):
    with FakeGateway([(500, "busy"), (200, '{"code": 1}'), (200, "OK")]) as gateway:
        _configure(app, OUTBOUND_SMS_URL=gateway.url, OUTBOUND_SMS_OK_TEXT="OK", OUTBOUND_RETRY_SECONDS=60)
        message = outbound.send("sms", "13812345678", "重试测试", purpose="test")
        db.session.commit()
        jobs.run_pending()
        db.session.refresh(message)
        assert message.status == "retrying" and message.attempts == 1 and "HTTP 500" in message.last_error
        waiting = db.session.scalar(select(Job).where(Job.kind == outbound.JOB_KIND, Job.status == "queued"))
        assert waiting.run_after is not None and (waiting.run_after - jobs.clock()).total_seconds() > 50
        assert jobs.run_pending() == 0  # not before its back-off
        outbound.retry(message, user("office"))  # the office's 立即重试
        jobs.run_pending()
        db.session.refresh(message)
        assert message.status == "retrying" and message.attempts == 2 and "未确认" in message.last_error
        db.session.execute(Job.__table__.update().where(Job.status == "queued").values(run_after=None))
        db.session.commit()
        jobs.run_pending()
        assert len(gateway.requests) == 3
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 3
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "outbound_message")) is not None


def test_it_gives_up_after_the_configured_attempts(app, county):
    with FakeGateway([(503, "down")]) as gateway:
        _configure(app, OUTBOUND_SMS_URL=gateway.url, OUTBOUND_MAX_ATTEMPTS=3)
        message = outbound.send("sms", "13812345678", "放弃测试", purpose="test")
        db.session.commit()
        jobs.run_pending()
        assert len(gateway.requests) == 3
    db.session.refresh(message)
    assert message.status == "failed" and message.attempts == 3 and message.recipient == ""


def test_an_unreachable_gateway_is_a_failure_not_a_crash(app, county):
    _configure(app, OUTBOUND_SMS_URL="http://127.0.0.1:9/none", OUTBOUND_MAX_ATTEMPTS=1, OUTBOUND_TIMEOUT=2)
    message = outbound.send("sms", "13812345678", "连不上", purpose="test")
    db.session.commit()
    jobs.run_pending()
    db.session.refresh(message)
    assert message.status == "failed" and "无法连接" in message.last_error


def test_the_group_robot_gets_a_text_message_mentioning_the_number(app, county):
    with FakeGateway([(200, '{"errcode": 93000, "errmsg": "invalid webhook url"}'), (200, '{"errcode": 0}')]) as gateway:
        _configure(app, OUTBOUND_WECOM_URL=gateway.url)
        message = outbound.send("wecom", "13812345678", "请及时签收反馈通知书", purpose="reminder")
        db.session.commit()
        jobs.run_pending()
        assert gateway.json_bodies()[-1] == {"msgtype": "text", "text": {"content": "请及时签收反馈通知书",
                                                                         "mentioned_mobile_list": ["13812345678"]}}
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 2


def test_the_log_page_shows_masked_numbers_and_failures(app, county, office_client):
    _configure(app, OUTBOUND_SMS_URL="http://127.0.0.1:9/none", OUTBOUND_MAX_ATTEMPTS=1, OUTBOUND_TIMEOUT=2)
    outbound.send("sms", "13812345678", "日志页测试", purpose="test")
    db.session.commit()
    jobs.run_pending()
    page = office_client.get("/outbound?status=failed")
    assert page.status_code == 200 and "138****5678" in page.text and "13812345678" not in page.text
    assert "日志页测试" in page.text and "发送失败" in page.text
    assert db.session.scalar(select(OutboundMessage).where(OutboundMessage.text == "日志页测试")).status == "failed"
