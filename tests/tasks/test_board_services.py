"""The task state machine, overdue across phase boundaries, progress counts and filters."""
from datetime import date

import pytest

from pingyi.campaigns.services import current_campaign
from pingyi.errors import DomainError
from pingyi.tasks import services
from pingyi.tasks.services import TRANSITIONS, transition
from tests.conftest import unit_named, user

PDF = b"%PDF-1.4\n% test\n"


def task_named(title):
    return next(t for t in services.campaign_tasks(current_campaign().id) if t.title == title)


@pytest.mark.parametrize("status", ["pending", "submitted", "confirmed", "returned"])
@pytest.mark.parametrize("action", ["submit", "confirm", "return"])
def test_state_machine_allows_exactly_the_plan_transitions(status, action):
    legal = {("pending", "submit"): "submitted", ("returned", "submit"): "submitted",
             ("submitted", "submit"): "submitted", ("submitted", "confirm"): "confirmed",
             ("submitted", "return"): "returned"}
    assert TRANSITIONS == legal
    if (status, action) in legal:
        assert transition(status, action) == legal[(status, action)]
    else:
        with pytest.raises(DomainError):
            transition(status, action)


def test_a_submission_walks_through_return_and_confirmation(county):
    task, unit, office = task_named("书面总结报告"), unit_named("县司法局"), user("office")
    with pytest.raises(DomainError, match="需要上传文件"):
        services.submit(task, unit, office, "只有说明", [])
    sub = services.submit(task, unit, office, "", [("总结报告.pdf", PDF)])
    assert sub.status == "submitted" and [f.original_name for f in sub.current_files] == ["总结报告.pdf"]
    with pytest.raises(DomainError, match="退回原因"):
        services.return_submission(sub, office, "  ")
    services.return_submission(sub, office, "缺少盖章页")
    assert sub.status == "returned" and sub.review_comment == "缺少盖章页"
    with pytest.raises(DomainError, match="只有“已提交”的材料可以确认"):
        services.confirm(sub, office)
    services.submit(task, unit, office, "已补充盖章页", [("总结报告（盖章）.pdf", PDF)], sub.version)
    assert sub.status == "submitted" and [f.original_name for f in sub.current_files] == ["总结报告（盖章）.pdf"]
    assert len(sub.files) == 2  # the replaced file is kept for the record
    services.confirm(sub, office)
    with pytest.raises(DomainError, match="已被纠风办确认"):
        services.submit(task, unit, office, "再改", [("x.pdf", PDF)], sub.version)
    with pytest.raises(DomainError):
        services.return_submission(sub, office, "晚了")


def test_overdue_follows_the_date_across_phase_boundaries(county):
    campaign = current_campaign()
    education = unit_named("县教育局")
    report = task_named("书面报告自查自评情况")  # phase 2, due 6月30日, returned to 县教育局
    commitment = task_named("书面承诺书报纠风办备案")  # phase 3, due 8月31日, never submitted
    assert report.due_date == date(2026, 6, 30) and commitment.due_date == date(2026, 8, 31)

    def overdue_titles(on):
        return {t.title for t, u in services.overdue_pairs(campaign, education, on=on)}

    # 征求意见 (due 6月10日) was handed in late, so it no longer counts as overdue
    assert overdue_titles(date(2026, 6, 30)) == {"组织义务监督员自查自评", "制订整改措施"}
    # returned on 2 July with a 补交期限 five working days later (9 July): overdue only after that
    assert "书面报告自查自评情况" not in overdue_titles(date(2026, 7, 9))
    assert "书面报告自查自评情况" in overdue_titles(date(2026, 7, 10))
    assert "书面承诺书报纠风办备案" not in overdue_titles(date(2026, 8, 31))
    assert "书面承诺书报纠风办备案" in overdue_titles(date(2026, 9, 1))
    assert services.is_overdue(report, "returned", date(2026, 7, 1))
    assert not services.is_overdue(report, "submitted", date(2026, 7, 1))
    assert not services.is_overdue(task_named("印发评议实施方案和通知"), "pending", date(2026, 12, 1))


def test_progress_counts_on_the_board(county):
    board = services.board(current_campaign(), on=date(2026, 11, 26))
    cards = {c["task"].title: c for col in board["columns"] for c in col["cards"]}
    assert board["total"] == 47
    report = cards["书面报告自查自评情况"]
    # 39 confirmed, 县教育局 returned, 7 units without a liaison account never submitted
    assert (report["submitted"], report["confirmed"], report["returned"], report["overdue"]) == (0, 39, 1, 8)
    assert report["submitted"] + report["confirmed"] + report["returned"] + report["waiting"] == 47
    assert cards["印发评议实施方案和通知"]["task"].completed_at is not None
    before = cards["书面总结报告"]
    services.submit(before["task"], unit_named("县司法局"), user("office"), "", [("总结.pdf", PDF)])
    after = {c["task"].title: c for col in services.board(current_campaign())["columns"] for c in col["cards"]}
    assert after["书面总结报告"]["submitted"] == before["submitted"] + 1
    assert after["书面总结报告"]["overdue"] == before["overdue"] - 1


def test_board_filters_narrow_the_counts(county):
    campaign = current_campaign()
    key = services.board(campaign, key="1")
    stationed = services.board(campaign, category="stationed")
    group = services.board(campaign, group_id=campaign.groups[1].id)
    assert (key["total"], stationed["total"], group["total"]) == (8, 15, 15)


def test_per_unit_list_puts_overdue_first_and_sorts_on_request(county):
    campaign = current_campaign()
    rows = services.task_units(task_named("书面总结报告"), campaign, on=date(2026, 11, 26))
    flags = [r["overdue"] for r in rows]
    assert flags == sorted(flags, reverse=True) and flags.count(True) > 0
    by_status = services.task_units(task_named("书面总结报告"), campaign, sort="status")
    order = ["pending", "submitted", "confirmed", "returned"]
    assert [order.index(r["status"]) for r in by_status] == sorted(order.index(r["status"]) for r in by_status)


def test_batch_confirmation_confirms_only_submitted(county):
    task = task_named("书面总结报告")
    rows = services.task_units(task, current_campaign())
    submitted = [r["unit_id"] for r in rows if r["status"] == "submitted"]
    confirmed = [r["unit_id"] for r in rows if r["status"] == "confirmed"]
    assert submitted and confirmed
    assert services.confirm_many(task, submitted + confirmed, user("office")) == len(submitted)


def test_task_with_submissions_cannot_be_deleted_but_an_empty_one_can(county):
    campaign = current_campaign()
    with pytest.raises(DomainError, match="不能删除"):
        services.delete_task(task_named("书面总结报告"))
    extra = services.save_task(campaign, None, None, {"title": "报送评议联络员名单", "phase_number": 1, "actor": "unit",
                                                      "due_date": date(2026, 4, 15), "requires_file": False,
                                                      "description": ""})
    services.delete_task(extra)
    assert "报送评议联络员名单" not in {t.title for t in services.campaign_tasks(campaign.id)}


def test_new_campaign_gets_the_task_list(county):
    from pingyi.years.lifecycle import start_campaign
    new = start_campaign(2027, current_campaign())
    tasks = services.campaign_tasks(new.id)
    assert len(tasks) == 17 and tasks[-1].due_date.year == 2027
    assert next(t for t in tasks if t.title == "书面总结报告").due_date == date(2027, 10, 20)
