"""The audit log: who changed what, when, from where, before and after. Entries are never changed."""
import json
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[Optional[int]] = mapped_column(Integer)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user = relationship("User")
    unit = relationship("Unit")

    @property
    def changes(self):
        """(field, before, after) for display, whatever was stored: a value that is not an object of
        fields is shown under the field "值", text that is not JSON as it is."""
        old, new = _fields(self.before), _fields(self.after)
        return [(k, old.get(k, ""), new.get(k, "")) for k in sorted(set(old) | set(new))]


def _fields(text):
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"值": text}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {"值": value}


class AuditEntryImmutable(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper, connection, target):
    """The log is evidence: the app adds entries and never edits or deletes one."""
    raise AuditEntryImmutable("操作日志不能修改或删除")
