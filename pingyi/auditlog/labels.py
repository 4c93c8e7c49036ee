"""Chinese names for the audit log's objects, fields and stored values."""
from pingyi.appeals.models import APPEAL_STATUS_LABELS
from pingyi.auth.roles import ROLE_LABELS
from pingyi.campaigns.models import GROUP_SCOPE_LABELS, MEMBER_ROLE_LABELS
from pingyi.campaigns.models import STATUS_LABELS as CAMPAIGN_STATUS
from pingyi.checklists.models import POLARITY_LABELS, RATING_LABELS
from pingyi.documents.models import BATCH_STATUS
from pingyi.feedback.models import NOTICE_STATUS_LABELS, ROUND_LABELS
from pingyi.findings.models import SEVERITY_LABELS
from pingyi.findings.models import STATUS_LABELS as FINDING_STATUS
from pingyi.rectifications.models import EXTENSION_LABELS, LETTER_LABELS
from pingyi.rectifications.models import STATUS_LABELS as RECTIFICATION_STATUS
from pingyi.results.models import VERSION_STATUS_LABELS
from pingyi.surveys.integrity_models import FLAG_STATUS_LABELS, FOLLOW_STATUS_LABELS, OUTCOME_LABELS
from pingyi.tasks.models import ACTOR_LABELS
from pingyi.tasks.models import STATUS_LABELS as SUBMISSION_STATUS
from pingyi.units.models import CATEGORY_LABELS

OBJECTS = {
    "unit": "单位", "user": "用户", "campaign": "评议活动", "phase": "阶段", "participation": "参评设置",
    "evaluation_group": "评议组", "group_member": "评议组成员", "dimension": "评议方面", "check_item": "检查项",
    "supervisor_assignment": "监督员联系单位", "task": "任务", "submission": "单位提交",
    "survey_option": "测评选项", "respondent_type": "测评对象类别", "questionnaire": "问卷",
    "tally_sheet": "测评票数（汇总录入）", "ballot": "问卷（逐张/网上）", "code_batch": "答题码",
    "scoring_config": "综合评定办法", "result_version": "评议结果版本", "assessment": "检查清单评价",
    "inspection": "检查", "finding": "问题", "opinion": "意见建议", "feedback_notice": "反馈通知书",
    "feedback_item": "反馈问题", "rectification": "整改", "rectification_update": "整改进展",
    "extension": "延期申请", "recheck_record": "践诺核查", "commitment_letter": "整改承诺书",
    "issued_document": "文档", "document_batch": "批量文档", "stored_file": "上传文件",
    "user_session": "登录会话", "audit_entry": "操作日志", "document": "文档（预览）", "download": "下载文件",
    "job": "后台任务（备份、批量生成）",
    "reminder": "催办", "reminder_notice": "催办通知",
    "anomaly_flag": "网上答卷异常", "follow_up": "群众网上意见", "appeal": "申诉",
    "arrival_mark": "网上答卷到达时段和网络摘要",
}
ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "reset_password": "重置密码",
           "change_password": "修改密码", "sign_in": "登录", "sign_in_failed": "登录失败",
           "sign_in_throttled": "登录受限", "sign_out": "退出登录", "end_session": "结束会话",
           "unlock": "解除登录限制", "export": "导出", "download": "下载"}
FIELDS = {
    "name": "名称", "short_name": "简称", "category": "类别", "head_name": "主要负责人", "contact_name": "联系人",
    "contact_phone": "联系电话", "address": "地址", "note": "说明", "active": "在用", "is_key": "重点评议部门",
    "group_id": "评议组", "unit_id": "单位", "user_id": "账号", "role": "角色", "display_name": "姓名",
    "phone": "电话", "must_change_password": "须修改密码", "username": "用户名", "title": "名称",
    "county_name": "县名", "office_name": "纠风办简称", "office_full_name": "发文机关全称", "doc_prefix": "发文机关代字",
    "report_deadline": "总结报告截止", "round1_start": "第一轮开始", "round1_end": "第一轮结束",
    "round2_start": "第二轮开始", "round2_end": "第二轮结束", "start_date": "开始日期", "end_date": "结束日期",
    "status": "状态", "scope": "评议范围", "description": "说明", "member_role": "组内职务", "sort_order": "顺序",
    "text": "检查内容", "polarity": "性质", "phase_number": "阶段", "actor": "办理方", "due_date": "截止日期",
    "requires_file": "须上传文件", "completed_at": "完成时间", "completed_by_id": "完成人",
    "submitted_at": "提交时间", "submitted_by_id": "提交人", "reviewed_at": "审核时间", "reviewed_by_id": "审核人",
    "review_comment": "纠风办意见", "is_demo": "演示账号", "year": "年度", "number": "阶段序号",
    "task_id": "任务", "campaign_id": "评议活动", "dimension_id": "评议方面", "id": "编号",
    "label": "选项", "score": "分值", "counts_valid": "计为有效票", "weight": "权重", "intro": "填写说明",
    "double_entry": "双人录入", "questions": "问题", "answers": "答题", "round": "轮次", "entry": "录入遍次",
    "ballots": "回收问卷数", "channel": "录入方式", "questionnaire_id": "问卷", "respondent_type_id": "测评对象类别",
    "show_ranking": "向单位公开排名", "doc_number": "通报发文序号", "counts": "票数", "updated_at": "更新时间",
    "entered_by_id": "录入人", "remote_addr": "来源地址", "user_agent": "浏览器", "ended_at": "结束时间",
    "end_reason": "结束原因", "filename": "文件名", "endpoint": "功能", "filters": "筛选条件", "rows": "行数",
    "failures": "失败次数", "wait_minutes": "须等待（分钟）", "reason": "原因", "sessions": "结束的会话数",
    "decision_reason": "裁决理由", "new_severity": "调整后的程度", "grounds": "申诉理由", "decided_at": "裁决时间",
    "decided_by_id": "裁决人", "outcome": "核实结果", "outcome_note": "核实情况", "verified_at": "核实时间",
    "verified_by_id": "核实人", "public_reply": "公开答复", "replied_at": "答复时间",
}
VALUES = {
    "category": CATEGORY_LABELS, "role": ROLE_LABELS, "scope": GROUP_SCOPE_LABELS, "member_role": MEMBER_ROLE_LABELS,
    "polarity": POLARITY_LABELS, "actor": ACTOR_LABELS, "rating": RATING_LABELS, "severity": SEVERITY_LABELS,
    "round": ROUND_LABELS, "outcome": OUTCOME_LABELS, "new_severity": SEVERITY_LABELS,
}
SECRET_ACTIONS = ("reset_password", "change_password")


# Statuses mean different things per object: each object's own labels.
STATUSES = {
    "campaign": CAMPAIGN_STATUS, "submission": SUBMISSION_STATUS, "finding": FINDING_STATUS,
    "opinion": FINDING_STATUS, "feedback_notice": NOTICE_STATUS_LABELS, "rectification": RECTIFICATION_STATUS,
    "extension": EXTENSION_LABELS, "commitment_letter": LETTER_LABELS, "result_version": VERSION_STATUS_LABELS,
    "document_batch": BATCH_STATUS,
    "anomaly_flag": FLAG_STATUS_LABELS, "follow_up": FOLLOW_STATUS_LABELS, "appeal": APPEAL_STATUS_LABELS,
}


def value_label(field, value, object_type=""):
    """Any stored value as the office reads it: 是/否, Chinese labels, blanks for nothing.

    Total over JSON: objects and lists (a tally's counts, a questionnaire's questions) are spelt out
    field by field, so no entry the log holds can break the page that shows it.
    """
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        if not value:
            return "（空）"
        return "；".join(f"{FIELDS.get(str(k), k)}：{value_label(str(k), v, object_type)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(value_label(field, v, object_type) for v in value) if value else "（空）"
    if not isinstance(value, str):
        return str(value)
    if field == "status":
        return STATUSES.get(object_type, {}).get(value, value)
    labels = VALUES.get(field, {})
    return labels.get(value, value) if isinstance(labels, dict) else value


EVENTS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "unlock", "end_session")


def what(entry):
    """The operation column: 登录, 导出单位, 修改整改 … (sign-in events need no object after them)."""
    if entry.action in EVENTS:
        return action_label(entry.action)
    return action_label(entry.action) + object_label(entry.object_type)


def action_label(action):
    return ACTIONS.get(action, action)


def object_label(object_type):
    return OBJECTS.get(object_type, object_type)


def describe(entry):
    """(field label, before, after) rows for one audit entry."""
    if entry.action in SECRET_ACTIONS:
        return [("密码", "——", "已更改")]
    return [(FIELDS.get(k, k), value_label(k, old, entry.object_type), value_label(k, new, entry.object_type))
            for k, old, new in entry.changes]
