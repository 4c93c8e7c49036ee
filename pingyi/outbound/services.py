"""Send messages out of the intranet through one module: an SMS gateway over HTTP, a 企业微信/政务微信 group
robot webhook, or nothing ("off": the message is only logged). Every message is a row; sending runs as a
background job, and a failure is retried with back-off (OUTBOUND_RETRY_SECONDS × 1, 2, 4 …) up to
OUTBOUND_MAX_ATTEMPTS, then shown as failed on /outbound.

    from pingyi.outbound import services as outbound
    message = outbound.send("sms", "13812341234", "…", purpose="survey-link")   # the caller commits
"""
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from pingyi.audit.services import record
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.outbound.models import PENDING, OutboundMessage
from pingyi.timeutil import utcnow

JOB_KIND = "outbound-send"
CHANNELS = ("sms", "wecom", "off")
MAX_TEXT = 500
_MOBILE = re.compile(r"^1\d{10}$")


def mask(address):
    """138****1234 for a mobile number; other addresses keep their first and last two characters."""
    address = address or ""
    if _MOBILE.match(address):
        return f"{address[:3]}****{address[-4:]}"
    if len(address) <= 4:
        return "*" * len(address)
    return f"{address[:2]}****{address[-2:]}"


def configured(channel):
    """Whether `channel` really sends (its gateway or webhook address is configured)."""
    config = current_app.config
    return {"sms": bool(config.get("OUTBOUND_SMS_URL")), "wecom": bool(config.get("OUTBOUND_WECOM_URL"))}.get(channel,
                                                                                                              False)


def send(channel, to, text, purpose="", user=None):
    """Log a message and queue its sending; returns the OutboundMessage. A channel that is off (or not
    configured) logs the message as "logged" and sends nothing. The caller commits."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbound channel {channel}")
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise DomainError("消息内容不能为空")
    live = channel != "off" and configured(channel)
    message = OutboundMessage(channel=channel if live else "off", recipient=to if live else "",
                              recipient_masked=mask(to) if to else "群", text=text, purpose=purpose[:40],
                              status="queued" if live else "logged", created_by_id=user.id if user else None)
    db.session.add(message)
    db.session.flush()
    if live:
        jobs.enqueue(JOB_KIND, {"message_id": message.id}, user=user)
    return message


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message says what came back."""


def _fill(template, values, escape):
    for key, value in values.items():
        template = template.replace("{" + key + "}", escape(value))
    return template


def _post(url, data, headers, method="POST"):
    """One HTTP request without proxies (the gateway is on the intranet); returns (status, reply text)."""
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=current_app.config["OUTBOUND_TIMEOUT"]) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        raise GatewayError(f"HTTP {error.code}: {error.read(300).decode('utf-8', 'replace')}")
    except (urllib.error.URLError, OSError) as error:
        raise GatewayError(f"无法连接：{getattr(error, 'reason', error)}")


def _sms(message):
    """Fill the configured body template and call the gateway: (delivered?, reply)."""
    config = current_app.config
    form = config["OUTBOUND_SMS_FORMAT"] == "form"
    escape = (lambda v: urllib.parse.quote(v, safe="")) if form else (lambda v: json.dumps(v, ensure_ascii=False)[1:-1])
    template = config["OUTBOUND_SMS_BODY"]
    if not isinstance(template, str):  # from_prefixed_env reads a JSON template as JSON: write it back as text
        template = json.dumps(template, ensure_ascii=False)
    body = _fill(template, {"phone": message.recipient, "text": message.text,
                                               "user": config["OUTBOUND_SMS_USER"],
                                               "password": config["OUTBOUND_SMS_PASSWORD"]}, escape)
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json; charset=utf-8"}
    if config["OUTBOUND_SMS_AUTH_HEADER"]:
        headers["Authorization"] = config["OUTBOUND_SMS_AUTH_HEADER"]
    url = config["OUTBOUND_SMS_URL"]
    if config["OUTBOUND_SMS_METHOD"].upper() == "GET":
        status, reply = _post(url + ("&" if "?" in url else "?") + body, None, headers, "GET")
    else:
        status, reply = _post(url, body.encode("utf-8"), headers)
    if config["OUTBOUND_SMS_OK_TEXT"] and config["OUTBOUND_SMS_OK_TEXT"] not in reply:
        raise GatewayError(f"网关未确认发送：{reply}")
    marker = config["OUTBOUND_SMS_DELIVERED_TEXT"]
    return bool(marker and marker in reply), reply


def _wecom(message):
    """A text message to the group robot; the recipient's mobile number, when given, is @-mentioned."""
    payload = {"msgtype": "text", "text": {"content": message.text}}
    if message.recipient and _MOBILE.match(message.recipient):
        payload["text"]["mentioned_mobile_list"] = [message.recipient]
    status, reply = _post(current_app.config["OUTBOUND_WECOM_URL"], json.dumps(payload, ensure_ascii=False).encode(),
                          {"Content-Type": "application/json; charset=utf-8"})
    try:
        code = json.loads(reply).get("errcode")
    except (ValueError, AttributeError):
        code = None
    if code != 0:
        raise GatewayError(f"群机器人未接受：{reply}")
    return False, reply


ADAPTERS = {"sms": _sms, "wecom": _wecom}


def deliver(message):
    """Try to send a queued message once; on failure schedule the next try or give up. Commits."""
    if message.status not in PENDING:
        return message
    message.attempts += 1
    try:
        delivered, reply = ADAPTERS[message.channel](message)
    except GatewayError as error:
        message.last_error = str(error)[:300]
        if message.attempts >= current_app.config["OUTBOUND_MAX_ATTEMPTS"]:
            message.status, message.recipient, message.next_attempt_at = "failed", "", None
        else:
            wait = timedelta(seconds=current_app.config["OUTBOUND_RETRY_SECONDS"] * 2 ** (message.attempts - 1))
            message.status, message.next_attempt_at = "retrying", jobs.clock() + wait
            jobs.enqueue(JOB_KIND, {"message_id": message.id}, run_after=message.next_attempt_at)
    else:
        message.status = "delivered" if delivered else "sent"
        message.reply, message.last_error = reply[:300], ""
        message.sent_at, message.recipient, message.next_attempt_at = utcnow(), "", None
    db.session.commit()
    return message


@jobs.handler(JOB_KIND)
def _run(context, message_id):
    message = db.session.get(OutboundMessage, message_id)
    if message is not None:
        deliver(message)
    return ""


def retry(message, user):
    """The office sends a failed message again (its address is gone once it failed: only while retrying)."""
    if message.status != "retrying":
        raise DomainError("只有等待重试的消息可以立即重试")
    message.next_attempt_at = None
    jobs.enqueue(JOB_KIND, {"message_id": message.id}, user=user)
    record("update", message, summary=f"立即重试发送消息（{message.recipient_masked}）", actor=user)
    db.session.commit()


def status_counts(purpose=None):
    """{status: count} of the log (or of one purpose)."""
    query = select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
    if purpose:
        query = query.where(OutboundMessage.purpose == purpose)
    return dict(db.session.execute(query).all())


def messages(status="", page=1, per_page=50):
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc())
    if status:
        query = query.where(OutboundMessage.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
