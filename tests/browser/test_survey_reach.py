"""Reaching sampled respondents end to end: the office imports a register (a bad row refused first), draws a
sample for 县财政局, sends the personal links to a fake SMS gateway, a respondent answers one link on a
390×844 phone, and the office sees it counted; units cannot open the register."""
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import demo_server, sign_in
from tests.outbound.fake_gateway import FakeGateway

SHOTS = Path("/tmp/reach_shots")


@pytest.fixture(scope="module")
def gateway():
    with FakeGateway() as fake:
        yield fake


@pytest.fixture(scope="module")
def reach_server(tmp_path_factory, demo_county, gateway):
    """The demo county served with the SMS channel pointed at the fake gateway (the demo itself is loaded
    with the channel off, as the county's is)."""
    with demo_server(tmp_path_factory.mktemp("reach"), demo_county, run_env={
            "PINGYI_OUTBOUND_SMS_URL": gateway.url, "PINGYI_JOB_POLL_SECONDS": "0.2",
            "PINGYI_SMS_SIGNATURE": "【青山县纠风办】"}) as base:
        yield base


def _register(path, rows):
    path.write_text("手机号码,姓名,测评对象类别,服务单位\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_import_draw_send_answer_on_a_phone_and_see_it_counted(reach_server, gateway, browser, page, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    base = reach_server
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "office")
    page.goto(base + "/surveys")
    page.get_by_role("link", name="名册、抽样与回访").click()
    expect(page.get_by_role("heading", name="受访对象名册与抽样")).to_be_visible()
    page.locator("details summary", has_text="新建名册").click()
    page.get_by_label("名册名称").fill("县财政局办事群众名册")
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("heading", name="县财政局办事群众名册")).to_be_visible()

    people = [f"100 2000 {n:04d},群众{n},服务对象/群众,县财政局" for n in range(12)]
    page.set_input_files("input[name=file]", _register(tmp_path / "bad.csv", people + ["138-abc,坏号码,,县财政局"]))
    page.get_by_role("button", name="导入").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("第 14 行")
    expect(report).to_contain_text("不是有效的手机号码")
    page.set_input_files("input[name=file]", _register(tmp_path / "good.csv", people))
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".flash")).to_contain_text("新增 12 人")
    expect(page.locator("table").first).to_contain_text("100****0003")
    assert "10020000003" not in page.content()  # numbers masked on screen
    page.screenshot(path=str(SHOTS / "register.png"), full_page=True)

    page.get_by_role("link", name="抽样", exact=True).click()
    page.locator("select[name=round]").select_option(label="6月集中评议")
    page.locator("input[data-check-all=unit]").uncheck()
    page.locator("tr", has_text="县财政局").locator("input[name=unit]").check()
    page.locator("input[name^=size-]").first.fill("5")
    page.screenshot(path=str(SHOTS / "new_draw.png"), full_page=True)
    page.get_by_role("button", name="抽样", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已抽中 5 人")
    expect(page.locator("#answered-total")).to_have_text("0")

    page.get_by_role("button", name="发送测评链接短信").click()
    expect(page.locator(".flash")).to_contain_text("已为 5 人排队发送测评链接")
    for _ in range(100):
        if len(gateway.requests) >= 5:
            break
        time.sleep(0.1)
    bodies = gateway.json_bodies()
    assert len(bodies) == 5 and all(b["mobile"].startswith("10020000") for b in bodies)
    link = re.search(r"http://\S+/s/[A-Z0-9]{10}", bodies[0]["content"]).group(0)
    assert bodies[0]["content"].startswith("【青山县纠风办】")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    respondent = phone.new_page()
    respondent.goto(link)
    expect(respondent.get_by_role("heading")).to_contain_text("县财政局")
    for fieldset in respondent.locator("fieldset").all():
        fieldset.get_by_label("满意", exact=True).check()
    respondent.screenshot(path=str(SHOTS / "phone_answer.png"), full_page=True)
    assert respondent.evaluate("document.documentElement.scrollWidth") <= 390
    respondent.get_by_role("button", name="提交评价").click()
    expect(respondent.get_by_role("heading", name="提交成功")).to_be_visible()
    respondent.screenshot(path=str(SHOTS / "phone_done.png"))
    respondent.goto(link)
    expect(respondent.get_by_role("heading", name="答题码已使用")).to_be_visible()
    phone.close()

    page.reload()
    expect(page.locator("#answered-total")).to_have_text("1")
    row = page.locator("tr", has_text="县财政局").filter(has_text="服务对象/群众")
    expect(row.locator("td").nth(3)).to_have_text("5")  # sent, as the gateway answered
    expect(row.locator("td strong")).to_have_text("1")
    page.screenshot(path=str(SHOTS / "draw.png"), full_page=True)

    page.get_by_role("link", name="电话回访").first.click()
    expect(page.locator("#call-card")).to_contain_text("县财政局")
    page.screenshot(path=str(SHOTS / "calls.png"), full_page=True)
    page.get_by_role("button", name="未接通").click()
    expect(page.locator(".flash")).to_contain_text("未接通")

    page.goto(base + "/outbound")
    expect(page.locator("table")).to_contain_text("100****")
    page.screenshot(path=str(SHOTS / "outbound.png"), full_page=True)
    assert not page.console_errors


def test_a_unit_liaison_cannot_open_registers(reach_server, page):
    sign_in(page, reach_server, "unit")
    response = page.goto(reach_server + "/surveys/pools")
    assert response.status == 403
    assert page.goto(reach_server + "/outbound").status == 403
