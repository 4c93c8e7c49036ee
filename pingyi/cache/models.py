"""The data version (one counter every change bumps) and the kept live results of each campaign."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, event
from sqlalchemy.orm import Mapped, mapped_column

from pingyi.extensions import db


class DataVersion(db.Model):
    """One row (id 1). `counter` goes up in the same transaction as every change to the data the pages and
    results are computed from; `token` names this database, so values kept for another database (a test's,
    a restored copy's) are never taken for this one's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[str] = mapped_column(String(32))


@event.listens_for(DataVersion.__table__, "after_create")
def _first_row(table, connection, **kw):
    """create_all() (tests, the bench) starts with the row; the migration inserts it too."""
    connection.execute(table.insert().values(id=1, counter=0, token=uuid.uuid4().hex))


class ResultsCache(db.Model):
    """A campaign's live results (results.services.compute) as last computed, with the data version and day
    they were computed at (`marker`); valid while the marker is still the current one."""

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    marker: Mapped[str] = mapped_column(String(100))
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
