"""Checks before publishing (发布前检查) and what a publication changes against the last published version.

CHECKS is a list of small functions, each taking a Context and returning a Check or None; another area adds
one by appending its function (e.g. direct-score components still empty). A check either blocks publishing
or must be ticked as seen; publish() records the checks, the ticks and the changes with the version.
"""
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cached_property

from sqlalchemy import select

from pingyi.auth.models import User
from pingyi.auth.roles import UNIT
from pingyi.extensions import db
from pingyi.findings.models import Inspection
from pingyi.results.quotas import data_refusals
from pingyi.tasks.models import Submission, Task
from pingyi.timeutil import today


@dataclass
class Check:
    key: str
    title: str                  # what was found, e.g. "3 个将参加排名的单位没有任何检查记录"
    blocks: bool                # True: publishing is refused until it is resolved; False: tick as seen
    hint: str = ""              # what the office can do about it
    items: list = field(default_factory=list)  # [{"unit_id", "unit", "note"}]

    def as_dict(self):
        return asdict(self)


class Context:
    """What the checks read: the campaign and its live results (compute()), with queries made once, lazily."""

    def __init__(self, campaign, live):
        self.campaign, self.live = campaign, live
        self.details = live["details"]

    @cached_property
    def ranked(self):
        """Details of the units that would be ranked, by group and rank."""
        return sorted((d for d in self.details.values() if d.get("rank") is not None),
                      key=lambda d: (d["group"], d["rank"], d["unit"]))

    @cached_property
    def inspected(self):
        return set(db.session.scalars(select(Inspection.unit_id).where(
            Inspection.campaign_id == self.campaign.id, Inspection.status != "draft")))

    @cached_property
    def with_liaison(self):
        return set(db.session.scalars(select(User.unit_id).where(User.role == UNIT, User.active,
                                                                 User.unit_id.is_not(None))))

    @cached_property
    def tasks_overdue(self):
        """{unit_id: (overdue, due)}: unit tasks past their due date, and those still not handed in."""
        due = db.session.scalars(select(Task.id).where(Task.campaign_id == self.campaign.id, Task.actor == "unit",
                                                       Task.due_date < today())).all()
        done = {}
        for unit_id, n in db.session.execute(
                select(Submission.unit_id, db.func.count()).where(Submission.task_id.in_(due),
                                                                  Submission.status.in_(("submitted", "confirmed")))
                .group_by(Submission.unit_id)):
            done[unit_id] = n
        return {uid: (len(due) - done.get(uid, 0), len(due)) for uid in self.details} if due else {}


def _item(d, note=""):
    return {"unit_id": d["unit_id"], "unit": d["unit"], "note": note}


def nothing_rated(ctx):
    if not any(d.get("total") is not None for d in ctx.details.values()):
        return Check("nothing_rated", "还没有任何单位有有效测评票", True, "先录入测评票再发布")
    return None


def double_entries(ctx):
    blocked = ctx.live.get("blocked") or {}
    if not blocked:
        return None
    names = {d["unit_id"]: d["unit"] for d in ctx.details.values()}
    items = [{"unit_id": uid, "unit": names.get(uid, ""), "note": state}
             for (uid, _q, _t, _r), state in sorted(blocked.items())]
    return Check("double_entries", f"尚有 {len(blocked)} 批双人录入的测评票未核对一致或未完成第二遍录入", True,
                 "这些票暂不计分：请在满意度测评中完成第二遍录入或核对一致后再发布", items)


def quota_conflicts(ctx):
    problems = data_refusals(ctx.live["groups"], ctx.details)
    if not problems:
        return None
    return Check("quotas", "先进、末位的名额规则按现有数据无法执行", True,
                 "请在综合评定办法中调整该组的名额或并列时的处理",
                 [{"unit_id": None, "unit": ctx.live["groups"][i]["name"], "note": m} for i, m in problems.items()])


def never_inspected(ctx):
    items = [_item(d, "本年度没有已提交的检查记录") for d in ctx.ranked if d["unit_id"] not in ctx.inspected]
    if not items:
        return None
    return Check("no_inspection", f"{len(items)} 个将参加排名的单位本年度没有任何检查记录", False,
                 "其检查评价无数据，按评定办法处理；如需检查，请先安排明察暗访或实地检查", items)


def no_liaison(ctx):
    items = [_item(d, "没有联络员账号") for d in ctx.ranked if d["unit_id"] not in ctx.with_liaison]
    if not items:
        return None
    return Check("no_liaison", f"{len(items)} 个将参加排名的单位没有联络员", False,
                 "这些单位无法在系统中查看本单位结果和反馈，请确认已另行通知", items)


def all_tasks_overdue(ctx):
    items = []
    for d in ctx.ranked:
        overdue, due = ctx.tasks_overdue.get(d["unit_id"], (0, 0))
        if due and overdue == due:
            items.append(_item(d, f"{due} 项到期任务全部未按期提交"))
    if not items:
        return None
    return Check("tasks_overdue", f"{len(items)} 个将参加排名的单位到期任务全部逾期", False,
                 "请确认这些单位的任务情况已在评定中考虑", items)


def short_returns(ctx):
    items = [_item(d, "；".join(d["returns"]["short"])) for d in ctx.ranked
             if (d.get("returns") or {}).get("short")]
    if not items:
        return None
    return Check("short_returns", f"{len(items)} 个将参加排名的单位问卷回收率或有效问卷数低于最低要求", False,
                 "评定办法规定此时只作标注、照常排名；如应不评定，请修改评定办法", items)


CHECKS = [nothing_rated, double_entries, quota_conflicts, never_inspected, no_liaison, all_tasks_overdue,
          short_returns]


def run(campaign, live):
    """Every check that found something, blocking ones first."""
    ctx = Context(campaign, live)
    found = [c for c in (check(ctx) for check in CHECKS) if c is not None]
    return sorted(found, key=lambda c: not c.blocks)


def refusal(checks, seen):
    """Why publishing must wait (Chinese), or None: a blocking check, or a check not ticked (seen: keys ticked;
    None when a script publishes and acknowledges every check itself)."""
    blocking = [c for c in checks if c.blocks]
    if blocking:
        return blocking[0].title + "：" + blocking[0].hint
    missing = [c for c in checks if not c.blocks and seen is not None and c.key not in seen]
    if missing:
        return "请先逐项查看并勾选确认：" + "；".join(c.title for c in missing)
    return None


# ---- what changes against the last published version ------------------------------------------------------

INPUTS = (  # (name shown, how to read it from a scoring detail)
    ("测评票", lambda d: [(t.get("name"), t.get("ballots"), t.get("valid"), t.get("total")) for t in d.get("types", [])]),
    ("问卷发放", lambda d: (d.get("returns") or {}).get("issued") or 0),
    ("检查评价", lambda d: [(r.get("label"), r.get("n")) for r in d.get("ratings", [])]),
    ("整改落实", lambda d: d.get("rectification")),
    ("问题扣分", lambda d: [(x.get("severity"), x.get("n")) for x in d.get("deduction_lines", [])]),
    ("一票否决", lambda d: d.get("veto")),
)


def _score_inputs(d):
    """Component values not covered by INPUTS (e.g. direct scores), by name."""
    covered = {"satisfaction", "checklist", "rectification"}
    return {c.get("name"): str(c.get("exact") or c.get("score")) for c in d.get("components", [])
            if c.get("key") not in covered}


def changed_inputs(before, after):
    names = [name for name, read in INPUTS if read(before) != read(after)]
    b, a = _score_inputs(before), _score_inputs(after)
    names += [name for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
    return names


def _text(value):
    """A figure as shown: totals with two decimals (95.2 read back from JSON shows as 95.20)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def changes(previous, previous_config, live, live_config):
    """Per unit rank, grade, 先进/末位 and total before → after, and which inputs changed, against the last
    published version (`previous`: version_results(), None for the first publication). Only units where
    something changed are listed."""
    if previous is None:
        return {"against": None, "rows": [], "unchanged": 0, "scheme_changed": False}
    rows, unchanged = [], 0
    old = previous["details"]
    for uid, d in sorted(live["details"].items(), key=lambda kv: kv[1]["unit"]):
        before = old.get(uid)
        if before is None:
            rows.append({"unit_id": uid, "unit": d["unit"], "rank": ["", _text(d.get("rank"))],
                         "grade": ["", d.get("grade")], "mark": ["", d.get("mark")], "total": ["", _text(d.get("total"))],
                         "inputs": ["新参加评定"]})
            continue
        pairs = {k: [_text(before.get(k)), _text(d.get(k))] for k in ("rank", "grade", "mark", "total")}
        inputs = changed_inputs(before, d)
        if inputs or any(a != b for a, b in pairs.values()):
            rows.append({"unit_id": uid, "unit": d["unit"], **pairs, "inputs": inputs})
        else:
            unchanged += 1
    for uid, before in old.items():
        if uid not in live["details"]:
            rows.append({"unit_id": uid, "unit": before["unit"], "rank": [_text(before.get("rank")), ""],
                         "grade": [before.get("grade"), ""], "mark": [before.get("mark"), ""],
                         "total": [_text(before.get("total")), ""], "inputs": ["不再参加评定"]})
    rows.sort(key=lambda r: (all(r[k][0] == r[k][1] for k in ("rank", "grade", "mark")), r["unit"]))
    skip = {"boundaries"}
    scheme_changed = ({k: v for k, v in previous_config.items() if k not in skip}
                      != {k: v for k, v in live_config.items() if k not in skip})
    return {"against": previous.get("number"), "rows": rows, "unchanged": unchanged, "scheme_changed": scheme_changed}
