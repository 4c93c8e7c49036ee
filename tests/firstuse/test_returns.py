"""A returned submission gets a 补交期限 (five working days unless set), is not overdue before it, needs a new
file or note to be resubmitted, and keeps its return history."""
from datetime import date, timedelta

import pytest
import time_machine

from pingyi.errors import DomainError
from pingyi.tasks import services
from tests.conftest import unit_named, user
from tests.tasks.test_board_services import PDF, task_named


def test_working_days_skip_the_weekend():
    assert services.add_working_days(date(2026, 11, 26), 5) == date(2026, 12, 3)  # Thursday → Thursday
    assert services.add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Saturday → Monday


def test_a_late_return_gives_a_second_chance(county):
    task, unit, office = task_named("书面总结报告"), unit_named("县司法局"), user("office")
    sub = services.submit(task, unit, office, "", [("总结报告.pdf", PDF)])
    after_due = task.due_date + timedelta(days=2)
    with time_machine.travel(date(after_due.year, after_due.month, after_due.day), tick=False):
        services.return_submission(sub, office, "缺少盖章页")
        assert sub.resubmit_due == services.add_working_days(after_due, 5)
        assert not services.is_overdue(task, sub.status, resubmit_due=sub.resubmit_due)
        row = next(r for r in services.unit_tasks(county, unit) if r["task"].id == task.id)
        assert row["due"] == sub.resubmit_due and not row["overdue"]
        with pytest.raises(DomainError, match="上传修改后的文件"):
            services.submit(task, unit, office, "", [], sub.version)
        services.submit(task, unit, office, "已补充盖章页", [], sub.version)
        services.return_submission(sub, office, "盖章页不清晰", date(after_due.year, after_due.month, after_due.day))
    assert [r.reason for r in sub.returns] == ["缺少盖章页", "盖章页不清晰"]
    assert services.is_overdue(task, sub.status, on=sub.resubmit_due + timedelta(days=1),
                               resubmit_due=sub.resubmit_due)
    with pytest.raises(DomainError, match="不能早于今天"):
        services.return_submission(services.submit(task, unit, office, "再次补充", [], sub.version), office, "x",
                                   date(2020, 1, 1))
