"""The demo county's survey integrity: anomalies, 不满意 follow-up and appeals.

县城市管理行政执法局 handed out one-time codes and, on the evening of 23 November, 46 answers arrived within
ten minutes: the scan flagged the burst and the office excluded it after checking (the bureau's staff
had filled in the slips themselves). 县公安局 goes through every stage: in June it appealed a confirmed
finding and the office upheld the finding (appeal refused); in November two online answers rated it
不满意 with a comment — one was verified as partly true, the unit replied publicly and closed it; the
other was verified as unfounded, the unit appealed with the window's video record and the office withdrew
that 不满意 ballot (appeal accepted), so it no longer counts in the live results.

Two matters are still open at the end of November, so the office's queues have work in them: a resident's
不满意 comment on 县城市管理行政执法局 (28 November) waits for its 回访核实, and 县审计局's appeal against the
finding confirmed on 23 November (filed on the 27th, with its task breakdown as evidence) waits for a decision.
"""
import random
from datetime import datetime

from pingyi.appeals import services as appeals
from pingyi.auth.models import User
from pingyi.demo.board import _pdf
from pingyi.extensions import db
from pingyi.findings.models import Finding
from pingyi.surveys import anomalies, follow_ups
from pingyi.surveys import services as surveys
from pingyi.surveys.integrity_models import AnomalyFlag, FollowUp
from pingyi.surveys.models import CodeBatch
from pingyi.timeutil import acting_at

BURST_UNIT = "县城市管理行政执法局"
BURST_REASON = ("经核实，该局于11月23日晚组织本局干部职工集中使用发放给群众的答题码代为填写，"
                "不反映服务对象的真实评价，予以剔除，并已约谈该局分管负责人。")
CITY_UNHAPPY = "县城东菜市场门口整治占道经营时，执法队员没收小贩的秤没有开任何单据，问了也不说去哪里领回。"
AUDIT_FINDING = "纠风工作任务分解不够具体，未落实到科室"
AUDIT_GROUNDS = ("本局已于5月印发《2026年纠风工作任务分解表》，六个方面的任务均已落实到各股室并有签收记录"
                 "（见附件），检查当日因资料存放在办公室未能及时提供，请求撤销该问题。")
UNHAPPY = (
    ("办理户籍迁移时窗口让我跑了三趟，每次说要补的材料都不一样，希望一次性告知。", 0),
    ("交警大队事故处理窗口的工作人员态度很差，问两句就不耐烦。", 1),
)


def _at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute)


def _answers(rng, questions, opts, good=0.8):
    return {q.id: opts[0 if rng.random() < good else 1].id for q in questions}


def load(campaign, units, accounts):
    rng = random.Random(1117)
    office, liaison = accounts["office"], accounts["unit"]
    main = surveys.questionnaires(campaign.id)[0]
    public = surveys.respondent_types(campaign.id)[0]
    opts = surveys.options(campaign.id)
    unhappy = next(o for o in opts if o.label == follow_ups.DISSATISFIED)
    police, city = units["县公安局"], units[BURST_UNIT]

    # A unit that filled in its own slips: a few real answers over four days, then a burst one evening.
    with acting_at(_at(11, 21, 15)):
        batch = surveys.issue_codes(campaign, city, main, public, "november", 60, office)
    codes = list(batch.codes)
    for n, code in enumerate(codes[:6]):
        with acting_at(_at(11, 22 + n % 4, 9 + 2 * n, 13 * n % 60)):
            answers = _answers(rng, main.questions, opts, 0.6)
            if n == 2:
                answers[main.questions[0].id] = opts[2].id
            surveys.answer_with_code(code, answers, "", address=f"117.40.{20 + n}.{8 * n + 3}")
    for n, code in enumerate(codes[6:52]):
        with acting_at(_at(11, 23, 21, 2 + n // 6)):
            surveys.answer_with_code(code, _answers(rng, main.questions, opts, 0.9), "",
                                     address=f"10.8.{n % 3}.1")  # three office lines, 15 or 16 answers each
    with acting_at(_at(11, 24, 8, 30)):
        anomalies.scan(campaign)
    flag = db.session.scalar(db.select(AnomalyFlag).where(AnomalyFlag.campaign_id == campaign.id,
                                                          AnomalyFlag.unit_id == city.id, AnomalyFlag.kind == "burst"))
    with acting_at(_at(11, 24, 16, 40)):
        anomalies.decide(flag, "excluded", BURST_REASON, flag.version, office)

    # 县公安局 appealed a June finding; the office upheld it.
    finding = db.session.scalar(db.select(Finding).where(Finding.unit_id == police.id, Finding.status == "confirmed",
                                                         Finding.campaign_id == campaign.id).order_by(Finding.id))
    with acting_at(_at(6, 18, 10)):
        refused = appeals.file_appeal(
            campaign, police.id, liaison,
            "暗访当日户籍窗口因系统升级排队较长，工作人员解释时语气急促，并非态度生硬；请求撤销该问题。",
            finding_id=finding.id, uploads=[("县公安局户籍窗口当日系统升级说明.pdf", _pdf("System upgrade notice 2026-06-12"))])
    with acting_at(_at(6, 23, 15)):
        appeals.decide(refused, "maintained", "暗访记录和现场录音显示工作人员未使用规范用语，系统升级不是态度生硬的理由，维持原认定。",
                       None, refused.version, office)

    # Two 不满意 answers with comments for 县公安局, from its own batch of codes.
    police_batch = db.session.scalar(db.select(CodeBatch).where(CodeBatch.unit_id == police.id,
                                                                CodeBatch.campaign_id == campaign.id))
    spare = [c for c in police_batch.codes if c.used_on is None]
    items = []
    for (text, _), code, hour in zip(UNHAPPY, spare, (11, 19)):
        answers = _answers(rng, main.questions, opts, 0.5)
        answers[main.questions[-1].id] = unhappy.id
        answers[main.questions[3].id] = unhappy.id
        with acting_at(_at(11, 24, hour, 25)):
            surveys.answer_with_code(code, answers, text, address="223.84.6.77" if hour == 11 else "2409:8a5c:1:2::9")
        items.append(db.session.scalar(db.select(FollowUp).where(FollowUp.unit_id == police.id)
                                       .order_by(FollowUp.id.desc())))
    moved, traffic = items
    with acting_at(_at(11, 25, 10)):
        follow_ups.verify(moved, "partly", "电话联系户籍科核实：该群众三次来办，前两次因迁入地证明格式变化被要求补件，告知不够一次到位。",
                          moved.version, office)
        follow_ups.verify(traffic, "unfounded", "调取事故处理窗口当日监控和录音，工作人员按规范用语答复，未见态度问题。",
                          traffic.version, office)
    with acting_at(_at(11, 26, 9)):
        follow_ups.reply(moved, "已制作户籍迁移一次性告知清单，在窗口和网上公开，材料变化时当日更新。感谢您的监督！", True,
                         moved.version, liaison)
    with acting_at(_at(11, 26, 14)):
        accepted = appeals.file_appeal(
            campaign, police.id, liaison, "经纠风办回访核实，该不满意评价所述情况不属实（见窗口监控截图说明），请求不计入本单位满意度。",
            follow_up_id=traffic.id, uploads=[("事故处理窗口监控截图说明.pdf", _pdf("CCTV review 2026-11-24"))])
    with acting_at(_at(11, 27, 10)):
        appeals.decide(accepted, "withdrawn", "回访核实结论为不属实，该份答卷的不满意评价不计入县公安局满意度。", None,
                       accepted.version, office)

    # Still open: a 不满意 comment from a real respondent of 县城市管理行政执法局 (one of its unused codes) …
    with acting_at(_at(11, 28, 15, 10)):
        answers = _answers(rng, main.questions, opts, 0.5)
        answers[main.questions[-1].id] = unhappy.id
        surveys.answer_with_code(codes[52], answers, CITY_UNHAPPY, address="117.40.31.66")
    # … and 县审计局's appeal against a finding confirmed on 23 November.
    audit = units["县审计局"]
    finding = db.session.scalar(db.select(Finding).where(
        Finding.unit_id == audit.id, Finding.campaign_id == campaign.id, Finding.status == "confirmed",
        Finding.description == AUDIT_FINDING))
    liaison = db.session.scalar(db.select(User).where(User.unit_id == audit.id).order_by(User.id))
    with acting_at(_at(11, 27, 16, 30)):
        appeals.file_appeal(campaign, audit.id, liaison, AUDIT_GROUNDS, finding_id=finding.id,
                            uploads=[("县审计局2026年纠风工作任务分解表.pdf", _pdf("Task breakdown 2026-05-12"))])
