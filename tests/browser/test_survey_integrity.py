"""Survey integrity in the browser: the office hands out codes for 县司法局, 25 of them are answered within a
minute from one address (a synthetic burst), the background scan flags it, the office excludes it with a
reason and the explanation page says so. On a 390×844 phone a respondent rates 县公安局 不满意 with a
comment, gets a query code and follows it; 县公安局's liaison appeals that 不满意 with evidence, and the
office upholds the appeal."""
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

SHOTS = Path("/tmp/integrity_shots")
PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def _issue_codes(page, base, unit_name, count):
    """The office issues `count` codes for a unit from the survey page; returns the codes on the sheet."""
    page.goto(base + "/surveys")
    row = page.locator("tr").filter(has=page.locator("td", has_text=re.compile(f"^{unit_name}$")))
    row.locator("summary", has_text="生成答题码").click()
    row.locator("input[name=count]").fill(str(count))
    row.get_by_role("button", name="生成并打印").click()
    page.wait_for_url(re.compile(r"/codes/\d+$"))
    return re.findall(r"/s/([A-Z0-9]{10})", page.content())


def _answer(request, base, code, choice, comment=""):
    """Answer a code's questionnaire as a phone would post it: choice = index of the option for every question."""
    form = request.get(f"{base}/s/{code}").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"csrf_token": token, "comment": comment}
    for name in dict.fromkeys(re.findall(r'name="(q-\d+)"', form)):
        values = re.findall(rf'name="{name}" value="(\d+)"', form)
        data[name] = values[choice(len(values))]
    return request.post(f"{base}/s/{code}", form=data)


def test_office_flags_and_excludes_a_synthetic_burst(live_server, browser):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "office")
    codes = _issue_codes(page, live_server, "县司法局", 25)
    assert len(codes) == 25
    public = browser.new_context()
    for n, code in enumerate(codes):  # the same minute, the same address: 满意 or 基本满意 in turn
        answered = _answer(public.request, live_server, code, lambda k, n=n: n % 2)
        assert answered.status == 200 and "提交成功" in answered.text()
    public.close()

    page.goto(live_server + "/surveys/anomalies")
    page.get_by_role("button", name="立即检查").click()
    expect(page.locator(".flash")).to_contain_text("已开始检查")
    for _ in range(60):  # the scan runs in the server's background worker
        page.reload()
        if "已完成" in page.locator("section.card").first.inner_text():
            break
        page.wait_for_timeout(500)
    row = page.locator("tr").filter(has_text="县司法局").filter(has_text="短时集中答题")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("25 份")
    page.screenshot(path=str(SHOTS / "anomalies.png"), full_page=True)
    row.get_by_role("link", name="25 份").click()
    expect(page.locator("h1")).to_contain_text("县司法局 · 短时集中答题")
    page.get_by_role("button", name="剔除这 25 份答卷").click()  # no reason: refused beside the field
    expect(page.locator("#reason:invalid")).to_have_count(1)
    page.fill("#reason", "经核实为该局工作人员集中代填，予以剔除")
    page.get_by_role("button", name="剔除这 25 份答卷").click()
    page.wait_for_url(live_server + "/surveys/anomalies")
    expect(page.locator("tr").filter(has_text="县司法局").filter(has_text="短时集中答题")).to_contain_text("已剔除")
    page.screenshot(path=str(SHOTS / "anomalies_decided.png"), full_page=True)

    page.goto(live_server + "/results")
    tag = page.locator("tr").filter(has_text="县司法局").locator("a.tag", has_text="剔除")
    expect(tag).to_contain_text("剔除 25 份答卷")
    tag.click()
    section = page.locator("#integrity")
    expect(section).to_contain_text("25 份 · 短时集中答题：经核实为该局工作人员集中代填")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "explanation.png"), full_page=True)
    context.close()


def test_a_unit_appeals_an_unhappy_rating_on_a_phone(live_server, browser):
    SHOTS.mkdir(exist_ok=True)
    office_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    office = office_context.new_page()
    sign_in(office, live_server, "office")
    code = _issue_codes(office, live_server, "县公安局", 1)[0]

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    respondent = phone.new_page()
    respondent.goto(f"{live_server}/s/{code}")
    for fieldset in respondent.locator("fieldset").all():
        fieldset.get_by_label("不满意").check()
    respondent.fill("#comment", "出入境窗口说材料不全，让我第二天再来，结果第二天又说不用那份材料。")
    respondent.get_by_role("button", name="提交评价").click()
    expect(respondent.locator("h1")).to_have_text("提交成功")
    query = respondent.locator(".query-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", query) and query.replace("-", "") != code
    respondent.screenshot(path=str(SHOTS / "phone_thanks.png"), full_page=True)
    respondent.get_by_role("link", name="查看办理情况").click()
    expect(respondent.locator(".tag")).to_have_text("已转交")
    assert "出入境窗口" not in respondent.content()
    respondent.screenshot(path=str(SHOTS / "phone_status.png"), full_page=True)

    liaison = phone.new_page()
    sign_in(liaison, live_server, "unit")
    liaison.goto(live_server + "/appeals")
    item = liaison.locator("#appealable li").filter(has_text="出入境窗口说材料不全")
    expect(item).to_contain_text("申诉期限")
    liaison.screenshot(path=str(SHOTS / "phone_appeals.png"), full_page=True)
    item.get_by_role("link", name="申诉").click()
    liaison.get_by_role("button", name="提交申诉").click()
    expect(liaison.locator(".error")).to_contain_text("请写明申诉理由")
    liaison.fill("#grounds", "当日出入境系统升级，窗口已张贴公告并电话告知；所述“材料要求前后不一”与窗口记录不符。")
    liaison.set_input_files("#files", files=[{"name": "窗口公告照片说明.pdf", "mimeType": "application/pdf",
                                               "buffer": PDF}])
    liaison.screenshot(path=str(SHOTS / "phone_appeal_form.png"), full_page=True)
    liaison.get_by_role("button", name="提交申诉").click()
    expect(liaison.locator(".tag").first).to_have_text("待裁决")
    expect(liaison.locator("body")).to_contain_text("窗口公告照片说明.pdf")
    width = liaison.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the phone
    liaison.screenshot(path=str(SHOTS / "phone_appeal_filed.png"), full_page=True)
    appeal_url = liaison.url

    office.goto(appeal_url)
    office.get_by_label("撤销（该份不满意答卷不再计入）").check()
    office.fill("#reason", "系统升级已提前公告，所述情况与窗口记录不符，该份不满意评价不计入。")
    office.get_by_role("button", name="保存裁决").click()
    expect(office.locator("section.card").nth(1)).to_contain_text("撤销")
    liaison.reload()
    expect(liaison.locator("body")).to_contain_text("该份不满意答卷不再计入满意度")
    liaison.screenshot(path=str(SHOTS / "phone_appeal_decided.png"), full_page=True)
    office_context.close()
    phone.close()
