"""A button that cannot work is rendered disabled with the reason beside it, not refused after the click."""
import re

from pingyi.cache.services import forget_all
from pingyi.campaigns.services import current_campaign
from pingyi.extensions import db
from pingyi.feedback import services as feedback
from pingyi.results import services as results
from tests.conftest import unit_named, user


def _refused(page, label):
    """The reason shown beside the disabled button `label`, or None when the button is not refused."""
    found = re.search(r'<span class="refused"><button type="button" class="[^"]*" disabled title="[^"]*">'
                      + re.escape(label) + r'</button>\s*<span class="refusal small muted">([^<]+)</span>', page)
    return found.group(1) if found else None


def test_send_is_disabled_while_a_suggestion_is_missing(county, office_client):
    sent = feedback.latest_notice(current_campaign(), unit_named("县公安局"), "june", ("sent",))
    draft = feedback.revise_notice(sent, user("office"))
    kept = draft.items[1].suggestion
    draft.items[1].suggestion = ""
    db.session.commit()
    page = office_client.get(f"/feedback/{draft.id}").text
    assert _refused(page, "发送") == "第 2 个问题还没有整改建议"
    assert f'action="/feedback/{draft.id}/send"' not in page
    assert "整改方案和书面整改承诺书" in office_client.get(f"/feedback/{draft.id}/preview").text  # a draft previews
    draft.items[1].suggestion = kept
    db.session.commit()
    page = office_client.get(f"/feedback/{draft.id}").text
    assert _refused(page, "发送") is None and f'action="/feedback/{draft.id}/send"' in page


def test_documents_that_cannot_be_had_are_disabled_with_the_reason(county, client_for, office_client):
    education = unit_named("县教育局")
    page = client_for("unit2").get(f"/units/{education.id}").text
    assert "还没有“整改计划并承诺”的问题" in _refused(page, "整改承诺书")
    assert _refused(page, "整改通知书") == "纠风办尚未向你单位下发整改通知书"
    assert _refused(page, "催办通知") == "纠风办尚未向你单位下发催办通知"
    assert _refused(page, "评议工作通知") is None
    page = office_client.get(f"/units/{education.id}").text
    assert "还没有“整改计划并承诺”的问题" in _refused(page, "整改承诺书")


def test_publish_is_disabled_with_the_reason_while_entries_are_pending(county, office_client, monkeypatch):
    live = results.compute(county)
    assert results.publish_refusal(live) is None
    assert 'href="/results/publish">发布前检查（第' in office_client.get("/results").text
    assert '<button type="submit" class="primary">发布第' in office_client.get("/results/publish").text
    pending = live | {"blocked": {(1, 1, 1, "november"): "x", (2, 1, 1, "november"): "y"}}
    monkeypatch.setattr(results, "compute", lambda campaign, config=None: pending)
    for module in ("pingyi.results.views", "pingyi.results.services"):  # the pages read the kept results
        monkeypatch.setattr(f"{module}.cached_compute", lambda campaign: pending)
    forget_all()  # pending entries are a change of data, which a real entry would have made (the page is kept)
    page = office_client.get("/results").text
    assert re.search(r'disabled title="[^"]*">发布前检查（第 \d+ 版）</button>\s*<span class="refusal small muted">尚有 2 批双人录入', page)
    assert 'href="/results/publish"' not in page
    check = office_client.get("/results/publish").text  # the check page names the block and cannot submit
    assert re.search(r'disabled title="[^"]*">发布第 \d+ 版</button>\s*<span class="refusal small muted">尚有 2 批双人录入', check)
    assert '<button type="submit" class="primary">发布第' not in check
    unrated = live | {"blocked": {}, "summary": live["summary"] | {"rated": 0}}
    assert results.publish_refusal(unrated) == "还没有任何单位有有效测评票，无法发布结果"


def test_an_issued_reminder_becomes_a_download_for_the_unit(county, client_for):
    from datetime import timedelta

    from pingyi.documents import services as documents
    from pingyi.timeutil import today
    education = unit_named("县教育局")
    documents.issue("reminder", current_campaign(), education, user("office"), today() + timedelta(days=7))
    liaison = client_for("unit2")
    page = liaison.get(f"/units/{education.id}").text
    assert _refused(page, "催办通知") is None
    assert f'href="/units/{education.id}/documents/reminder.docx">催办通知</a>' in page
    response = liaison.get(f"/units/{education.id}/documents/reminder.docx", follow_redirects=True)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    response.close()


def test_the_campaign_notice_is_disabled_until_it_has_a_number(county, office_client):
    assert _refused(office_client.get("/documents").text, "生成并下载") is None
    county.notice_number = None
    db.session.commit()
    page = office_client.get("/documents").text
    assert "发文序号和成文日期" in _refused(page, "生成并下载")
    assert "/documents/notice.docx?preview=1" not in page
