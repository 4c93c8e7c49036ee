"""The log of outbound messages (SMS, 企业微信/政务微信 group robot): one row per message, with its result."""
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

CHANNEL_LABELS = {"sms": "短信", "wecom": "企业微信/政务微信群机器人", "off": "不外发（仅记录）"}
STATUS_LABELS = {"queued": "待发送", "retrying": "失败，等待重试", "sent": "已发送", "delivered": "已送达",
                 "failed": "发送失败", "logged": "仅记录（外发通道未开启）"}
PENDING = ("queued", "retrying")
SENT = ("sent", "delivered")


class OutboundMessage(db.Model):
    """One message to one recipient. The full address is kept only while the message may still be sent;
    the log keeps the masked address (138****1234), the text and how sending ended."""

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(100), default="")
    recipient_masked: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40), default="", index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    reply: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    created_by = relationship("User")

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def channel_label(self):
        return CHANNEL_LABELS.get(self.channel, self.channel)
