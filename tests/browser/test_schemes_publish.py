"""The office imports a unit list with two classes the county did not have (preview: create one, create the
other), ranks them in a new group with its own 先进/末位 quota, records questionnaires issued, and publishes
through the check page: the page refuses until every finding is ticked, and the version keeps the record.
县教育局's liaison then sees its result flagged for its low return rate, on a phone."""
import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

SHOTS = Path("/tmp/schemes_publish_shots")
NEW_UNITS = [("县市场监督管理局", "执法监督类"), ("县综合行政执法局", "执法监督类"), ("县图书馆", "社会服务类")]


def _unit_list(folder):
    book = Workbook()
    book.active.append(["单位名称", "类别"])
    for row in NEW_UNITS:
        book.active.append(list(row))
    path = folder / "单位名单.xlsx"
    book.save(path)
    return path


def test_import_new_classes_set_a_group_quota_and_publish_through_the_checks(live_server, page, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    sign_in(page, live_server, "office")

    # 1. Unit list with two unknown classes: the preview lists them with their row counts; create both.
    page.goto(live_server + "/admin/units/import")
    page.set_input_files("input[type=file]", str(_unit_list(tmp_path)))
    page.locator("form").get_by_role("button", name=re.compile("导入|上传")).first.click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("执法监督类")
    expect(preview.locator("tr", has_text="执法监督类")).to_contain_text("2")
    expect(preview.locator("tr", has_text="社会服务类")).to_contain_text("1")
    page.screenshot(path=str(SHOTS / "import_preview.png"), full_page=True)
    preview.get_by_role("button", name="确认并导入").click()
    expect(page.locator("body")).to_contain_text("已导入 3 个单位")

    # 2. A ranking group over the two new classes, with its own quota; first a rule that cannot work.
    page.goto(live_server + "/results/settings")
    new_row = page.locator("input[name=group-3-name]")
    new_row.fill("执法监督和社会服务类")
    for name in ("执法监督类", "社会服务类"):
        page.locator("label", has_text=name).locator("input[name=group-3-categories]").check()
    quota = page.locator("#quota-3")
    quota.locator("input[name=group-3-min_size]").fill("1")
    quota.locator("input[name=group-3-top_count]").fill("1")
    quota.locator("input[name=group-3-bottom_count]").fill("1")
    page.get_by_role("button", name="保存评定办法").click()
    refusal = page.locator("#quota-3 .error")
    expect(refusal).to_contain_text("只有 1 个单位排名时，末位 1 个即本组全部单位都是末位")
    page.locator("#quota-3").screenshot(path=str(SHOTS / "quota_refused.png"))
    assert all("400" in m for m in page.console_errors)  # the settings page answers a refused form with 400
    page.console_errors.clear()
    page.locator("#quota-3 input[name=group-3-min_size]").fill("3")
    page.locator("#quota-3 select[name=group-3-bottom_ties]").select_option("none")
    page.get_by_role("button", name="保存评定办法").click()
    expect(page.locator("body")).to_contain_text("综合评定办法已保存")
    expect(page.locator("#quota-3")).to_contain_text("本组排名单位不少于 3 个时才评定先进和末位")
    page.screenshot(path=str(SHOTS / "settings_quotas.png"), full_page=True)

    # 3. Questionnaires issued for one of the new units, typed into the grid: its return rate shows.
    page.goto(live_server + "/surveys/issuance")
    row = page.locator("tr", has_text="县图书馆")
    row.locator("input").first.fill("40")
    page.get_by_role("button", name="保存发放数").click()
    expect(page.locator("body")).to_contain_text("已保存问卷发放数（1 处有变化）")
    expect(page.locator("tr", has_text="县教育局").locator("td").last).to_have_text("50.00%")
    page.screenshot(path=str(SHOTS / "issuance.png"), full_page=True)

    # 4. Publishing: the check page, refused without ticks, then every tick and publish.
    page.goto(live_server + "/results")
    page.get_by_role("link", name=re.compile("发布前检查")).click()
    expect(page.locator("h1")).to_contain_text("发布前检查")
    expect(page.locator("#check-short_returns")).to_contain_text("县教育局")
    expect(page.locator("#check-no_liaison")).to_be_visible()
    expect(page.locator("body")).to_contain_text("综合评定办法（权重、分值、等次、名额等）已修改")
    page.screenshot(path=str(SHOTS / "check_page.png"), full_page=True)
    page.get_by_label("向各单位公开各排名分组的完整排名").check()
    page.get_by_role("button", name=re.compile("发布第 \\d+ 版")).click()
    expect(page.locator(".flash-error")).to_contain_text("请先逐项查看并勾选确认")
    for box in page.locator("input[name=seen]").all():
        box.check()
    page.get_by_role("button", name=re.compile("发布第 \\d+ 版")).click()
    expect(page.locator("body")).to_contain_text("评议结果：各单位现在可以查看")
    record = page.locator("#publication-record")
    expect(record).to_contain_text("已由")
    expect(record).to_contain_text("问卷回收率或有效问卷数低于最低要求")
    expect(record).to_contain_text("与上一版相比")
    page.screenshot(path=str(SHOTS / "version_record.png"), full_page=True)
    assert page.console_errors == []

    # 5. 县教育局's liaison, on a phone: its result carries the flag and the explanation says why.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    liaison = phone.new_page()
    sign_in(liaison, live_server, "unit2")
    liaison.goto(live_server + "/results")
    liaison.get_by_role("link", name="查看得分明细和计算过程").click()
    expect(liaison.locator("#returns-explain")).to_contain_text("回收率 50.00%")
    expect(liaison.locator("#returns-explain")).to_contain_text("低于评定办法规定的 70%")
    liaison.locator("#returns-explain").scroll_into_view_if_needed()
    liaison.screenshot(path=str(SHOTS / "unit2_phone.png"), full_page=True)
    assert liaison.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
