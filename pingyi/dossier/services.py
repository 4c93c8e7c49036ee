"""一户一档: one unit's year in one .zip with Chinese file names and a 目录 (one line per item, date, status).

build_dossier(campaign, unit) is a plain function (no request), so a batch for every unit can run it in the
background the way document batches run."""
import hashlib
import io
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record
from pingyi.campaigns.models import Campaign
from pingyi.documents import builders
from pingyi.documents import services as documents
from pingyi.documents.models import DocumentBatch, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.feedback.models import FeedbackNotice
from pingyi.files.services import clean_name, file_path
from pingyi.rectifications import services as rectifications
from pingyi.rectifications.models import Rectification, RectificationUpdate
from pingyi.reminders.services import unit_history
from pingyi.results import services as results
from pingyi.tasks import services as task_services
from pingyi.timeutil import cn_date, local, utcnow
from pingyi.units.models import Unit

DOSSIER_KIND = "dossier"


def _built(kind, campaign, unit):
    """The unit's document built from the current data for the archive, without LibreOffice's layout pass
    (documents.render.finished: two conversions of several seconds each, which only move the 版记 to an even
    page for printing): the 版记 stands where the builder puts it, as on a server without LibreOffice. The
    copy as issued, laid out, is in 已发文档 when the office registered it; a print comes from the documents
    page. Raises documents.DocumentMissing."""
    return builders.BUILDERS[kind](documents.DATA[kind](campaign, unit))


def _day(dt):
    return cn_date(local(dt).date()) if dt else "—"


class _Archive:
    """The zip being written and its 目录 lines."""

    def __init__(self):
        self.out = io.BytesIO()
        self.zip = zipfile.ZipFile(self.out, "w", zipfile.ZIP_DEFLATED)
        self.lines = []
        self.names = set()

    def _unique(self, name):
        base, dot, ext = name.rpartition(".")
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{base}（{n}）.{ext}" if dot else f"{name}（{n}）"
        self.names.add(candidate)
        return candidate

    def add(self, folder, name, data, when, status):
        path = self._unique(f"{folder}/{clean_name(name)}")
        self.zip.writestr(path, data)
        self.lines.append((path, when, status))

    def add_file(self, folder, prefix, stored, status):
        path = file_path(stored)
        if path.exists():
            self.add(folder, f"{prefix}_{stored.original_name}", path.read_bytes(), _day(stored.uploaded_at), status)
        else:
            self.lines.append((f"{folder}/{prefix}_{stored.original_name}", _day(stored.uploaded_at), "文件缺失"))

    def note(self, what, when, status):
        self.lines.append((what, when, status))

    def close(self, title):
        index = [title, "", "序号\t内容\t日期\t状态"]
        index += [f"{n}\t{path}\t{when}\t{status}" for n, (path, when, status) in enumerate(self.lines, 1)]
        self.zip.writestr("目录.txt", "\r\n".join(index) + "\r\n")
        self.zip.close()
        return self.out.getvalue()


def build_dossier(campaign, unit):
    """The unit's year as .zip bytes: task submissions with their files, feedback notices with receipts,
    answers with evidence, the commitment letter and its signed scan, verifications, reminders, issued
    documents, the published result and its explanation, and 目录.txt."""
    a = _Archive()
    for row in task_services.unit_tasks(campaign, unit):
        sub, task = row["submission"], row["task"]
        status = {"pending": "待提交", "submitted": "已提交", "confirmed": "已确认", "returned": "已退回"}[row["status"]]
        if sub is None:
            a.note(f"任务材料/{task.title}（未提交）", cn_date(task.due_date), status + ("，已逾期" if row["overdue"] else ""))
            continue
        if sub.note:
            a.add("任务材料", f"{task.title}_说明.txt", sub.note, _day(sub.submitted_at), status)
        for stored in sub.current_files:
            a.add_file("任务材料", task.title, stored, status)
        if not sub.note and not sub.current_files:
            a.note(f"任务材料/{task.title}", _day(sub.submitted_at), status)

    notices = db.session.scalars(select(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id, FeedbackNotice.status == "sent")
        .options(selectinload(FeedbackNotice.items), selectinload(FeedbackNotice.received_by))
        .order_by(FeedbackNotice.sent_at)).all()
    for notice in notices:
        receipt = (f"已签收（{notice.received_by.display_name if notice.received_by else ''}，{_day(notice.received_at)}）"
                   if notice.received_at else "未签收")
        lines = [f"{notice.round_label}评议意见反馈通知书 {notice.number_label(campaign.doc_prefix)}",
                 f"发出：{_day(notice.sent_at)}；{receipt}", "", notice.overall, ""]
        lines += [f"{n}. {item.problem}\n   整改建议：{item.suggestion}\n   整改时限：{cn_date(item.deadline)}"
                  for n, item in enumerate(notice.items, 1)]
        a.add("反馈通知书", f"{notice.round_label}反馈通知书及签收情况.txt", "\n".join(lines), _day(notice.sent_at), receipt)
    try:
        a.add("反馈通知书", f"{unit.name}_评议意见反馈通知书.docx", _built("feedback-notice", campaign, unit),
              _day(notices[-1].sent_at) if notices else "—", "按当前数据生成")
    except documents.DocumentMissing:
        pass

    rects = db.session.scalars(select(Rectification).where(
        Rectification.campaign_id == campaign.id, Rectification.unit_id == unit.id)
        .options(selectinload(Rectification.item), selectinload(Rectification.updates)
                 .selectinload(RectificationUpdate.files), selectinload(Rectification.checks),
                 selectinload(Rectification.verified_by))
        .order_by(Rectification.id)).all()
    for n, rect in enumerate(rects, 1):
        text = [f"问题：{rect.item.problem}", f"答复方式：{rect.kind_label}", f"状态：{rect.status_label}"]
        text += [f"{label}：{value}" for label, value in (
            ("整改措施", rect.measures), ("责任人", rect.owner), ("承诺", rect.commitment), ("政策性说明", rect.explanation))
            if value]
        if rect.deadline:
            text.append(f"整改时限：{cn_date(rect.deadline)}")
        text += [f"进展（{_day(u.at)}）：{u.note}" for u in rect.updates]
        if rect.verified_at:
            text.append(f"纠风办核实（{_day(rect.verified_at)}，{rect.verified_by.display_name if rect.verified_by else ''}）："
                        f"{rect.status_label}。{rect.verify_comment}")
        text += [f"践诺核查（{cn_date(c.checked_on)}）：{c.result_label}。{c.note}" for c in rect.checks]
        a.add("整改答复", f"{n:02d}_{rect.item.problem[:20]}.txt", "\n".join(text), _day(rect.answered_at), rect.status_label)
        for update in rect.updates:
            for stored in update.files:
                a.add_file("整改答复", f"{n:02d}_佐证", stored, rect.status_label)

    letter = rectifications.letter_for(campaign, unit)
    if letter is not None:
        try:
            a.add("整改承诺书", f"{unit.name}_整改承诺书.docx", _built("commitment", campaign, unit),
                  _day(letter.submitted_at), letter.status_label)
        except documents.DocumentMissing:
            pass
        for stored in letter.files:
            if not stored.superseded:
                a.add_file("整改承诺书", "签章扫描件", stored, letter.status_label)

    history = unit_history(campaign, unit)
    if history:
        a.add("催办记录", "催办记录.txt", "\n".join(
            f"{cn_date(r.reminded_on)}\t{r.method_label}\t{r.created_by.display_name if r.created_by else ''}\t{r.note}"
            for r in reversed(history)), cn_date(history[0].reminded_on), f"{len(history)} 次")

    for doc in db.session.scalars(select(IssuedDocument).where(
            IssuedDocument.campaign_id == campaign.id, IssuedDocument.unit_id == unit.id).order_by(IssuedDocument.id)):
        path = documents.stored_path(doc)
        if path.exists():
            a.add("已发文档", doc.filename, path.read_bytes(), _day(doc.created_at), f"{doc.kind_label}（登记留存）")

    version = results.latest_version(campaign)
    detail = results.unit_result(version, unit.id) if version else None
    if detail:
        lines = [f"{campaign.year}年度评议结果（第 {version.number} 版，{_day(version.created_at)} 发布）",
                 f"综合得分：{'—' if detail['total'] is None else format(detail['total'], '.2f')}",
                 f"等次：{detail['grade']}"]
        if detail.get("rank"):
            lines.append(f"组内排名：{detail['rank']}/{detail['group_size']}")
        lines += [f"{c['name']}：{'—' if c['score'] is None else c['score']}（权重 {c['weight']}）" for c in detail["components"]]
        lines += [f"扣分：{line}" for line in detail.get("deduction_lines", [])]
        lines += [f"一票否决：{v}" for v in detail.get("veto", [])]
        a.add("评议结果", "评议结果及说明.txt", "\n".join(lines), _day(version.created_at), detail["grade"])
    else:
        a.note("评议结果", "—", "尚未发布")
    return a.close(f"{unit.name} {campaign.year}年度政风行风评议档案（一户一档）目录")


def dossier_filename(campaign, unit):
    return f"{unit.name}_{campaign.year}年度一户一档.zip"


def download_dossier(campaign, unit, user):
    """Build the dossier for a download and record who took it."""
    data = build_dossier(campaign, unit)
    record("create", unit, unit_id=unit.id, actor=user,
           summary=f"下载{unit.name} {campaign.year} 年度一户一档（{len(data)} 字节）")
    db.session.commit()
    return data


def dossier_index(campaign, unit):
    """The 目录 lines of the dossier as it would be built now: [(path, date, status)]."""
    with zipfile.ZipFile(io.BytesIO(build_dossier(campaign, unit))) as z:
        text = z.read("目录.txt").decode("utf-8")
    return [tuple(line.split("\t")[1:]) for line in text.splitlines()[3:] if line]


def start_dossier_batch(campaign, user, unit_ids, run_async=True):
    """Every chosen unit's dossier into one zip, as a background job like the document batches
    (run_async=False builds it at once in this thread)."""
    unit_ids = [u for u in unit_ids if isinstance(u, int)]
    if not unit_ids:
        raise DomainError("没有符合条件的单位")
    return documents.queue_batch(campaign, DOSSIER_KIND, "dossier-batch", unit_ids, user, run_async)


@jobs.handler("dossier-batch", finish=documents._batch_ended)
def _run_dossier_batch(context, batch_id, campaign_id, unit_ids):
    """Build the dossiers into one zip, reporting progress; runs again from the start when a restarted
    worker takes the job over."""
    batch = db.session.get(DocumentBatch, batch_id)
    campaign = db.session.get(Campaign, campaign_id)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    batch.status, batch.done, batch.error = "running", 0, ""
    context.progress(0, len(unit_ids))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n, unit_id in enumerate(unit_ids, 1):
            if unit_id in units:
                archive.writestr(dossier_filename(campaign, units[unit_id]), build_dossier(campaign, units[unit_id]))
            batch.done = n
            context.progress(n)
    data = out.getvalue()
    batch.stored_name, batch.size = documents._store(data, "batches"), len(data)
    batch.sha256, batch.status = hashlib.sha256(data).hexdigest(), "done"
    batch.finished_at = utcnow()
    db.session.commit()
    return f"batches/{batch.stored_name}"
