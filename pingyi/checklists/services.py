"""The six-dimension checklist: the default from the plan, editing, and copying into a campaign."""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi import policy
from pingyi.audit.services import record, snapshot
from pingyi.campaigns.models import Campaign
from pingyi.checklists.models import ASSESSMENT_KINDS, POLARITY_LABELS, RATING_LABELS, Assessment, CheckItem, Dimension
from pingyi.errors import DomainError, StaleEdit, check_version
from pingyi.extensions import db
from pingyi.files.services import check_upload, store_file
from pingyi.tables import count_rows
from pingyi.timeutil import today, utcnow

DEFAULT_CHECKLIST = (
    ("责任落实", (
        ("achieve", "是否按照“管行业必须管行风”的原则，制定纠风工作和政风行风建设年度计划"),
        ("achieve", "是否落实纠风工作责任制，把政风行风建设、纠风工作任务进行分解，实行目标管理"),
        ("achieve", "是否把政风行风建设、纠风工作与行政业务、改革措施同研究、同部署、同落实、同考核"),
    )),
    ("依法行政", (
        ("achieve", "是否做到严格依法审批、依法收费、依法处罚"),
        ("exist", "是否存在滥用职权、执法不严、办事不公以及“不作为、慢作为、乱作为”的现象"),
        ("exist", "是否存在“乱收费、乱罚款、乱摊派”和强行推销产品及强制服务等问题"),
    )),
    ("政务公开", (
        ("achieve", "是否及时向社会公开政策法规、审批项目、办事流程、收费标准、办理时限和服务承诺等内容"),
        ("achieve", "是否围绕涉及群众切身利益、社会关注的热点难点问题落实公示制度，便于知情和查询"),
        ("achieve", "公民、法人和其他组织依申请要求公开相关信息的，是否按照《政府信息公开条例》规定的要求和期限予以提供"),
    )),
    ("服务质量", (
        ("achieve", "是否主动、热情、文明、规范服务"),
        ("exist", "是否存在办事拖拉、推诿扯皮、效率低下等问题，群众反映的问题能否积极解决"),
        ("exist", "是否存在“门难进、脸难看、话难听、事难办”和指定服务、价格欺诈等现象"),
    )),
    ("清正廉洁", (
        ("achieve", "是否严格遵守廉洁自律规定，忠于职守、廉洁奉公"),
        ("exist", "是否存在“吃、拿、卡、要、报”等现象"),
        ("exist", "是否存在利用职权为个人、亲友谋取不正当利益的问题"),
    )),
    ("制度建设", (
        ("achieve", "是否完善内部管理和监督制度，畅通诉求渠道，建立群众反映问题的受理、整改和反馈机制"),
        ("achieve", "是否坚持纠、评、建相结合，狠抓整改落实"),
        ("achieve", "是否建立健全民主评议政风行风的长效机制"),
    )),
)


def dimensions(campaign_id=None):
    """The template's dimensions (campaign_id None) or a campaign's copy, in order."""
    stmt = select(Dimension).where(Dimension.campaign_id.is_(None) if campaign_id is None
                                   else Dimension.campaign_id == campaign_id)
    return db.session.scalars(stmt.order_by(Dimension.sort_order, Dimension.id)).all()


def load_default_template():
    """Write the plan's six dimensions and 18 items as the template, if there is none yet."""
    if dimensions():
        return
    for order, (name, items) in enumerate(DEFAULT_CHECKLIST, 1):
        dim = Dimension(campaign_id=None, name=name, sort_order=order)
        for i, (polarity, text) in enumerate(items, 1):
            dim.items.append(CheckItem(text=text, polarity=polarity, sort_order=i))
        db.session.add(dim)
    db.session.flush()
    record("create", dim, summary="载入默认检查清单（六个方面 18 项）")


def copy_checklist(source_campaign_id, campaign):
    """Give `campaign` its own copy of a checklist (the template when source is None)."""
    for dim in dimensions(source_campaign_id):
        copy = Dimension(campaign_id=campaign.id, name=dim.name, sort_order=dim.sort_order)
        for item in dim.items:
            copy.items.append(CheckItem(text=item.text, polarity=item.polarity, sort_order=item.sort_order))
        db.session.add(copy)


def _check_polarity(polarity):
    if polarity not in POLARITY_LABELS:
        raise DomainError("请选择检查项的性质（是否做到 / 是否存在）")


def save_dimension(campaign_id, dim, version, name):
    """Create (dim None) or rename a dimension."""
    if dim is None:
        existing = dimensions(campaign_id)
        dim = Dimension(campaign_id=campaign_id, name=name,
                        sort_order=(existing[-1].sort_order + 1) if existing else 1)
        db.session.add(dim)
        record("create", dim, summary=f"新增评议方面 {name}")
    else:
        check_version(dim, version)
        before = snapshot(dim)
        dim.name = name
        record("update", dim, before, summary=f"修改评议方面 {name}")
    db.session.commit()
    return dim


def delete_dimension(dim):
    # findings, feedback and surveys are above the checklist: their tables are read by name
    if count_rows("finding", dimension_id=dim.id) or count_rows("feedback_item", dimension_id=dim.id):
        raise DomainError(f"“{dim.name}”下已有问题记录，不能删除")
    if count_rows("survey_question", dimension_id=dim.id):
        raise DomainError(f"测评问卷中有关于“{dim.name}”的问题，请先在“测评 → 问卷与选项设置”中改为其他方面或删除该问题")
    if dim.items:
        raise DomainError(f"“{dim.name}”下还有 {len(dim.items)} 个检查项，请先删除检查项")
    before = snapshot(dim)
    db.session.delete(dim)
    record("delete", dim, before, summary=f"删除评议方面 {dim.name}")
    db.session.commit()


def save_item(dim, item, version, text, polarity):
    """Create (item None) or edit a check item of `dim`."""
    _check_polarity(polarity)
    if item is None:
        item = CheckItem(text=text, polarity=polarity,
                         sort_order=(dim.items[-1].sort_order + 1) if dim.items else 1)
        dim.items.append(item)
        record("create", item, summary=f"{dim.name}：新增检查项")
    else:
        check_version(item, version)
        before = snapshot(item)
        item.text, item.polarity = text, polarity
        record("update", item, before, summary=f"{dim.name}：修改检查项")
    db.session.commit()
    return item


def delete_item(item):
    """Delete a check item nobody has rated yet (ratings and findings refer to it)."""
    used = db.session.scalar(select(func.count(Assessment.id)).where(Assessment.item_id == item.id))
    used += count_rows("finding", item_id=item.id)
    if used:
        raise DomainError("该检查项已有自查、评价或问题记录，不能删除；可修改其内容")
    before = snapshot(item)
    dim = item.dimension
    dim.items.remove(item)
    db.session.delete(item)
    record("delete", item, before, summary=f"{dim.name}：删除检查项")
    db.session.commit()


def _swap(rows, obj, step):
    index = rows.index(obj)
    other = index + step
    if not 0 <= other < len(rows):
        return
    for position, row in enumerate(rows, 1):
        row.sort_order = position
    rows[index].sort_order, rows[other].sort_order = rows[other].sort_order, rows[index].sort_order


def move_dimension(dim, step):
    """Move a dimension up (-1) or down (+1) in its checklist."""
    before = snapshot(dim)
    _swap(dimensions(dim.campaign_id), dim, step)
    record("update", dim, before, summary=f"调整评议方面顺序 {dim.name}")
    db.session.commit()


def move_item(item, step):
    """Move a check item up (-1) or down (+1) within its dimension."""
    before = snapshot(item)
    _swap(list(item.dimension.items), item, step)
    record("update", item, before, summary=f"{item.dimension.name}：调整检查项顺序")
    db.session.commit()


def rating_summary(assessments):
    """{rating: count} of a list of assessments, every rating present."""
    counts = {key: 0 for key in RATING_LABELS}
    for a in assessments:
        counts[a.rating] += 1
    return counts


def unit_checklist(campaign, unit, confirmed_findings):
    """The campaign's dimensions with, per item, the unit's self-check, the evaluators' rating and the
    confirmed findings, plus a per-dimension summary; a constant number of queries."""
    dims = db.session.scalars(select(Dimension).where(Dimension.campaign_id == campaign.id)
                              .order_by(Dimension.sort_order, Dimension.id)
                              .options(selectinload(Dimension.items))).all()
    item_ids = [i.id for d in dims for i in d.items]
    found = {(a.item_id, a.kind): a for a in db.session.scalars(
        select(Assessment).where(Assessment.unit_id == unit.id, Assessment.item_id.in_(item_ids))
        .options(selectinload(Assessment.files), selectinload(Assessment.updated_by)))}
    by_item, by_dim = {}, {}
    for f in confirmed_findings:
        if f.item_id:
            by_item.setdefault(f.item_id, []).append(f)
        else:
            by_dim.setdefault(f.dimension_id, []).append(f)
    result = []
    for dim in dims:
        rows = [{"item": item, "self": found.get((item.id, "self")), "review": found.get((item.id, "review")),
                 "findings": by_item.get(item.id, [])} for item in dim.items]
        result.append({
            "dimension": dim, "rows": rows, "other_findings": by_dim.get(dim.id, []),
            "self_summary": rating_summary([r["self"] for r in rows if r["self"]]),
            "review_summary": rating_summary([r["review"] for r in rows if r["review"]]),
        })
    return result


def self_check_open(campaign, on=None):
    """Units fill in their self-check until the end of phase 2 (自查自评、民主测评)."""
    phase = next((p for p in campaign.phases if p.number == 2), None)
    return phase is None or (on or today()) <= phase.end_date


def assessment_for(unit, item, kind):
    return db.session.scalar(select(Assessment).where(Assessment.unit_id == unit.id, Assessment.item_id == item.id,
                                                      Assessment.kind == kind))


def may_edit(user, kind, unit, campaign):
    """(allowed, why not) for `user` editing this side of the unit's checklist: the self-check is the
    unit's (and the office's on its behalf), closed to the unit after phase 2; the rating is for the
    office, the unit's evaluation group and its assigned supervisors."""
    if kind == "self":
        if not policy.can_self_check(user, unit.id):
            return False, "自查由被评议单位填写"
        if user.role == "unit" and not self_check_open(campaign):
            return False, "自查自评阶段已结束，如需修改请联系县纠风办"
        return True, ""
    if kind == "review":
        if not policy.can_inspect(user, unit.id, campaign):
            return False, "评价由负责该单位的评议组、义务监督员或纠风办填写"
        return True, ""
    return False, "未知的评价类型"


def save_assessment(unit, item, kind, user, rating, explanation, version, uploads=()):
    """Save a self-check ('self') or the evaluators' rating ('review') of one item for one unit, if the
    user may (may_edit). A save made from an outdated row is refused with the other person's saved value
    attached, so nothing anyone typed is lost; evidence files are added to those already there.
    """
    allowed, why_not = may_edit(user, kind, unit, db.session.get(Campaign, item.dimension.campaign_id))
    if not allowed:
        raise DomainError(why_not)
    if rating not in RATING_LABELS:
        raise DomainError("请选择评价结果")
    explanation = (explanation or "").strip()
    if rating in ("basic", "problem") and not explanation:
        raise DomainError(f"评为“{RATING_LABELS[rating]}”时请说明具体情况")
    for filename, data in uploads:
        check_upload(filename, data)
    current = assessment_for(unit, item, kind)
    if current is not None:
        check_version(current, version)
    elif version not in (None, "", "0"):
        raise StaleEdit(current=None)
    before = snapshot(current) if current else None
    if current is None:
        current = Assessment(unit_id=unit.id, item_id=item.id, kind=kind)
        db.session.add(current)
    current.rating, current.explanation = rating, explanation
    current.updated_by_id, current.updated_at = user.id, utcnow()
    db.session.flush()
    for filename, data in uploads:
        store_file(filename, data, unit.id, user, assessment_id=current.id)
    record("update" if before else "create", current, before, unit_id=unit.id,
           summary=f"{unit.name}：{ASSESSMENT_KINDS[kind]}“{item.text[:24]}”评为{RATING_LABELS[rating]}", actor=user)
    db.session.commit()
    return current
