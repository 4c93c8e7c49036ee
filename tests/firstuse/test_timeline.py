"""A unit's timeline reads newest first by date, whatever order the entries were written in, with Chinese dates."""
import re
from datetime import timedelta

from pingyi.audit.models import AuditEntry
from pingyi.extensions import db
from pingyi.timeutil import cn_datetime, utcnow
from tests.conftest import user

STAMP = re.compile(r"<time>(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})</time>")


def test_timeline_is_in_date_order_with_chinese_dates(county, client_for):
    unit_id = user("unit").unit_id
    # the later-dated entry is written first, so id order and date order disagree
    later, earlier = utcnow() + timedelta(days=2), utcnow() + timedelta(days=1)
    for at, text in ((later, "较晚的记录"), (earlier, "较早的记录")):
        db.session.add(AuditEntry(at=at, action="update", object_type="unit", object_id=unit_id, unit_id=unit_id,
                                  summary=text))
    db.session.commit()
    for who in ("unit", "office"):
        page = client_for(who).get(f"/units/{unit_id}").text
        timeline = page[page.index('<ul class="timeline">'):]
        timeline = timeline[:timeline.index("</ul>")]
        stamps = [tuple(int(x) for x in m) for m in STAMP.findall(timeline)]
        assert len(stamps) == timeline.count("<li>") and len(stamps) >= 3
        assert stamps == sorted(stamps, reverse=True)
        assert timeline.index("较晚的记录") < timeline.index("较早的记录")
        assert f"<time>{cn_datetime(later)}</time>" in timeline  # county time, written in Chinese
        assert not re.search(r"\d{4}-\d{2}-\d{2}", timeline)
