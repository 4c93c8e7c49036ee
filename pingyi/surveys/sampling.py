"""Sampling respondents from a register, reaching them with personal one-time links (SMS or printed slips),
reminders, and phone interviews (电话回访).

A draw is stratified by unit × respondent type, without replacement (a person is drawn at most once per
draw), and reproducible: each stratum shuffles its candidates (ordered by id) with random.Random seeded by
the draw's recorded seed and the stratum. People sampled by a draw in the last N months are left out.
Each sampled person gets a SurveyCode of the existing one-time mechanism (/s/<code>); answering by link and
by telephone spend the same code with one conditional UPDATE, so a person answers once across channels.
No ballot learns who answered: the sampled person learns only that their code was spent and the day."""
import random
import secrets
from calendar import monthrange
from collections import defaultdict

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import aliased

from pingyi.audit.services import record, record_event, snapshot
from pingyi.campaigns.models import Participation
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.outbound import services as outbound
from pingyi.outbound.models import OutboundMessage
from pingyi.surveys import services as surveys
from pingyi.surveys.counts import count_ballot
from pingyi.surveys.models import ROUND_LABELS, Ballot, BallotAnswer, CodeBatch, Questionnaire, SurveyCode
from pingyi.surveys.reach_models import (
    CALL_FINAL,
    CALL_OUTCOMES,
    MAX_CALL_ATTEMPTS,
    MAX_REMINDERS,
    Respondent,
    SampleDraw,
    SampledPerson,
    respondent_unit,
)
from pingyi.text import clean_text
from pingyi.timeutil import day_start, today, utcnow
from pingyi.units.models import Unit

MAX_PER_STRATUM = 500
MAX_EXCLUDE_MONTHS = 60
LINK_PURPOSE = "survey-link"
REMINDER_PURPOSE = "survey-reminder"
CALL_SCRIPT = ("您好，我是{office}的工作人员。我们正在开展{year}年度政风行风评议，您被随机抽中，"
               "想请您花两三分钟对{unit}的工作作出评价。本次回访不记录您的姓名，您的回答只计入统计。请问现在方便吗？")


def months_before(moment, months):
    """The same day-of-month `months` earlier (the 31st becomes the month's last day)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, monthrange(year, month + 1)[1]))


def campaign_units(campaign):
    return db.session.scalars(select(Unit).join(Participation, Participation.unit_id == Unit.id)
                              .where(Participation.campaign_id == campaign.id, Unit.active)
                              .order_by(Unit.sort_order, Unit.id)).all()


def candidates(campaign, pool, unit_ids, type_ids, exclude_months, as_of, before_draw_id=None):
    """{(unit_id, type_id): [respondent ids]} of the register's people who may be drawn `as_of`:
    in the register by then, of the type (an empty type counts as the campaign's first type), serving the
    unit (no unit listed: every unit), and not sampled by a current draw in the `exclude_months` before.
    Also returns how many were left out by the exclusion window."""
    types = surveys.respondent_types(campaign.id)
    by_name = {t.name: t.id for t in types if t.id in type_ids}
    default_type = types[0].id if types and types[0].id in type_ids else None
    in_register = (Respondent.pool_id == pool.id, Respondent.created_at <= as_of)
    since = months_before(as_of, exclude_months)
    sampled = aliased(Respondent)  # not correlated with the outer query's Respondent
    recent = select(sampled.phone).join(SampledPerson, SampledPerson.respondent_id == sampled.id).join(
        SampleDraw, SampleDraw.id == SampledPerson.draw_id).where(
        SampleDraw.status == "current", SampleDraw.drawn_at >= since, SampleDraw.drawn_at < as_of)
    if before_draw_id is not None:
        recent = recent.where(SampleDraw.id < before_draw_id)
    left_out = 0
    free = select(Respondent.id, Respondent.type_name).where(*in_register)
    if exclude_months > 0:
        left_out = db.session.scalar(select(func.count(Respondent.id)).where(*in_register, Respondent.phone.in_(recent)))
        if left_out:
            free = free.where(Respondent.phone.not_in(recent))
    people = db.session.execute(free).all()
    links = defaultdict(list)
    for respondent_id, unit_id in db.session.execute(
            select(respondent_unit.c.respondent_id, respondent_unit.c.unit_id)
            .join(Respondent, Respondent.id == respondent_unit.c.respondent_id).where(Respondent.pool_id == pool.id)):
        links[respondent_id].append(unit_id)
    wanted = set(unit_ids)
    out = defaultdict(list)
    for respondent_id, type_name in people:
        type_id = by_name.get(type_name) if type_name else default_type
        if type_id is None:
            continue
        for unit_id in (wanted.intersection(links[respondent_id]) if links[respondent_id] else wanted):
            out[(unit_id, type_id)].append(respondent_id)
    return out, left_out


def choose(pools, sizes, seed):
    """The pure draw: {(unit_id, type_id): chosen ids} from `pools` ({stratum: ids}) with `sizes`
    ({stratum: n}), strata taken in sorted order, nobody twice. Same inputs and seed, same result."""
    taken, out = set(), {}
    for stratum in sorted(sizes):
        free = [r for r in sorted(pools.get(stratum, ())) if r not in taken]
        rng = random.Random(f"{seed}:{stratum[0]}:{stratum[1]}")
        chosen = rng.sample(free, min(sizes[stratum], len(free)))
        taken.update(chosen)
        out[stratum] = chosen
    return out


def _strata_sizes(sizes, unit_ids):
    return {(u, int(t)): n for u in unit_ids for t, n in sizes.items() if n > 0}


def _new_codes(count):
    """`count` distinct random codes of the one-time code alphabet, from one read of the system's randomness
    (bytes past the largest multiple of the alphabet's size are dropped, so every letter is equally likely)."""
    alphabet, codes = surveys.CODE_ALPHABET, set()
    limit = 256 - 256 % len(alphabet)
    while len(codes) < count:
        letters = [alphabet[b % len(alphabet)] for b in secrets.token_bytes(12 * (count - len(codes)) + 16) if b < limit]
        codes.update("".join(letters[i:i + 10]) for i in range(0, len(letters) - 9, 10))
    return list(codes)[:count]


def current_draw(campaign, pool, questionnaire_id, round_):
    return db.session.scalar(select(SampleDraw).where(
        SampleDraw.campaign_id == campaign.id, SampleDraw.pool_id == pool.id, SampleDraw.status == "current",
        SampleDraw.questionnaire_id == questionnaire_id, SampleDraw.round == round_))


def draw_sample(campaign, pool, questionnaire, round_, sizes, unit_ids, exclude_months, user, seed=None):
    """Draw and record a sample (see _make_draw); commits."""
    draw = _make_draw(campaign, pool, questionnaire, round_, sizes, unit_ids, exclude_months, user, seed)
    db.session.commit()
    return draw


def _make_draw(campaign, pool, questionnaire, round_, sizes, unit_ids, exclude_months, user, seed=None,
               replaces=None, reason=""):
    """Draw and record a sample: {type_id: people per unit} for each unit of `unit_ids`. Each sampled person
    gets a one-time code (one CodeBatch per stratum). A second draw for the same register, questionnaire and
    round is refused: that is a redraw (redraw_sample), which needs a reason."""
    surveys.check_round(round_)
    if questionnaire is None or questionnaire.campaign_id != campaign.id:
        raise DomainError("请选择本年度的问卷")
    types = {t.id: t for t in surveys.respondent_types(campaign.id)}
    sizes = {int(t): int(n) for t, n in sizes.items() if int(t) in types}
    if any(not 0 <= n <= MAX_PER_STRATUM for n in sizes.values()):
        raise DomainError(f"每个单位每类对象的抽样人数应为 0 至 {MAX_PER_STRATUM}")
    if not any(sizes.values()):
        raise DomainError("请至少为一类测评对象填写抽样人数")
    if not 0 <= exclude_months <= MAX_EXCLUDE_MONTHS:
        raise DomainError(f"排除期应为 0 至 {MAX_EXCLUDE_MONTHS} 个月")
    allowed = {u.id for u in campaign_units(campaign)}
    unit_ids = sorted(set(unit_ids) & allowed)
    if not unit_ids:
        raise DomainError("请至少选择一个参加本年度评议的单位")
    if replaces is None and current_draw(campaign, pool, questionnaire.id, round_) is not None:
        raise DomainError("该名册已为本问卷本轮次抽过样；如确需重抽，请在该次抽样页面填写理由后重抽")
    seed = seed or secrets.token_hex(8)
    drawn_at = utcnow()
    pools, left_out = candidates(campaign, pool, unit_ids, set(sizes), exclude_months, drawn_at)
    wanted = _strata_sizes(sizes, unit_ids)
    chosen = choose(pools, wanted, seed)
    draw = SampleDraw(campaign_id=campaign.id, pool_id=pool.id, questionnaire_id=questionnaire.id, round=round_,
                      seed=seed, sizes={str(t): n for t, n in sizes.items()}, unit_ids=unit_ids,
                      exclude_months=exclude_months, drawn_count=sum(len(c) for c in chosen.values()),
                      shortfall=sum(wanted.values()) - sum(len(c) for c in chosen.values()),
                      replaces_id=replaces.id if replaces else None, reason=reason, drawn_by_id=user.id,
                      drawn_at=drawn_at)
    db.session.add(draw)
    strata = [(key, people) for key, people in sorted(chosen.items()) if people]
    batches = [CodeBatch(campaign_id=campaign.id, unit_id=unit_id, questionnaire_id=questionnaire.id,
                         respondent_type_id=type_id, round=round_, created_by_id=user.id)
               for (unit_id, type_id), _ in strata]
    db.session.add_all(batches)
    db.session.flush()
    # Thousands of rows: plain executemany INSERTs, not one ORM object each.
    fresh, codes = iter(_new_codes(sum(len(people) for _, people in strata))), []
    for batch, (_, people) in zip(batches, strata):
        codes.extend({"batch_id": batch.id, "code": next(fresh)} for _ in people)
    if codes:
        db.session.execute(insert(SurveyCode), codes)
        ids = dict(db.session.execute(select(SurveyCode.code, SurveyCode.id).where(
            SurveyCode.batch_id.in_([b.id for b in batches]))).all())
        rows, position = [], 0
        for (unit_id, type_id), people in strata:
            for respondent_id in people:
                rows.append({"draw_id": draw.id, "respondent_id": respondent_id, "unit_id": unit_id,
                             "respondent_type_id": type_id, "code_id": ids[codes[position]["code"]],
                             "links_sent": 0, "reminders": 0, "call_attempts": 0, "call_outcome": ""})
                position += 1
        db.session.execute(insert(SampledPerson), rows)
    what = "、".join(f"{types[t].name}每单位 {n} 人" for t, n in sizes.items() if n)
    record("create", draw, summary=(f"{'重新' if replaces else ''}从名册“{pool.name}”抽样（{ROUND_LABELS[round_]}，{len(unit_ids)} 个单位，"
                                    f"{what}；抽中 {draw.drawn_count} 人，种子 {seed}；排除近 {exclude_months} 个月已抽中的 {left_out} 人）"),
           actor=user)
    return draw


def contacted(draw):
    """Why the draw can no longer be redrawn (someone was reached), or ""."""
    if draw.slips_printed_at is not None:
        return "已打印答题纸条"
    row = db.session.execute(select(func.sum(SampledPerson.links_sent), func.sum(SampledPerson.call_attempts),
                                    func.count(SurveyCode.used_on))
                             .select_from(SampledPerson).outerjoin(SurveyCode, SurveyCode.id == SampledPerson.code_id)
                             .where(SampledPerson.draw_id == draw.id)).one()
    if row[0]:
        return "已发送测评链接"
    if row[1]:
        return "已开始电话回访"
    if row[2]:
        return "已有人作答"
    return ""


def redraw_sample(draw, reason, user):
    """Replace a draw nobody has been reached from with a fresh one (new seed, same settings). The old draw is
    kept, marked replaced, with its sampled people; its unused codes are withdrawn."""
    reason = clean_text(reason or "")[:500]
    if len(reason) < 4:
        raise DomainError("重新抽样须填写理由（至少 4 个字），理由将记入操作日志")
    if draw.status != "current":
        raise DomainError("该次抽样已被重抽替代")
    why = contacted(draw)
    if why:
        raise DomainError(f"{why}，不能再重新抽样")
    from pingyi.campaigns.models import Campaign
    campaign = db.session.get(Campaign, draw.campaign_id)
    before = snapshot(draw)
    code_ids = [c for c in db.session.scalars(select(SampledPerson.code_id).where(SampledPerson.draw_id == draw.id)) if c]
    batch_ids = set(db.session.scalars(select(SurveyCode.batch_id).where(SurveyCode.id.in_(code_ids)))) if code_ids else set()
    db.session.execute(update(SampledPerson).where(SampledPerson.draw_id == draw.id).values(code_id=None))
    if code_ids:
        db.session.execute(delete(SurveyCode).where(SurveyCode.id.in_(code_ids)))
        db.session.execute(delete(CodeBatch).where(CodeBatch.id.in_(batch_ids)))
    draw.status = "replaced"
    db.session.flush()
    new = _make_draw(campaign, draw.pool, draw.questionnaire, draw.round, {int(t): n for t, n in draw.sizes.items()},
                      draw.unit_ids, draw.exclude_months, user, replaces=draw, reason=reason)
    record("update", draw, before, summary=f"作废第 {draw.id} 次抽样并重新抽样（第 {new.id} 次），理由：{reason}", actor=user)
    db.session.commit()
    return new


def verify(draw):
    """Draw again from the recorded seed and settings, against the register as it was then; True when the
    result is the recorded sample (people changed in the register since make it differ)."""
    from pingyi.campaigns.models import Campaign
    campaign = db.session.get(Campaign, draw.campaign_id)
    sizes = {int(t): n for t, n in draw.sizes.items()}
    pools, _ = candidates(campaign, draw.pool, draw.unit_ids, set(sizes), draw.exclude_months, draw.drawn_at,
                          before_draw_id=draw.id)
    again = choose(pools, _strata_sizes(sizes, draw.unit_ids), draw.seed)
    recorded = defaultdict(set)
    for unit_id, type_id, respondent_id in db.session.execute(
            select(SampledPerson.unit_id, SampledPerson.respondent_type_id, SampledPerson.respondent_id)
            .where(SampledPerson.draw_id == draw.id)):
        recorded[(unit_id, type_id)].add(respondent_id)
    return all(set(v) == recorded.get(k, set()) for k, v in again.items()) and \
        sum(len(v) for v in again.values()) == sum(len(v) for v in recorded.values())


def draws(campaign=None, pool=None):
    query = select(SampleDraw).order_by(SampleDraw.id.desc())
    if campaign is not None:
        query = query.where(SampleDraw.campaign_id == campaign.id)
    if pool is not None:
        query = query.where(SampleDraw.pool_id == pool.id)
    return db.session.scalars(query).all()


EMPTY_ROW = {"sampled": 0, "sent": 0, "delivered": 0, "pending": 0, "failed": 0, "logged": 0, "answered": 0,
             "reminded": 0, "completed": 0, "no_answer": 0, "refused": 0, "invalid": 0}


def progress(draw):
    """{(unit_id, type_id): counts} of a draw: sampled, links sent / delivered / pending / failed / only logged,
    answered (by link or phone), reminded, and phone outcomes; plus the total row under key None."""
    rows = db.session.execute(
        select(SampledPerson.unit_id, SampledPerson.respondent_type_id, SurveyCode.used_on, OutboundMessage.status,
               SampledPerson.reminders, SampledPerson.call_outcome)
        .select_from(SampledPerson).outerjoin(SurveyCode, SurveyCode.id == SampledPerson.code_id)
        .outerjoin(OutboundMessage, OutboundMessage.id == SampledPerson.message_id)
        .where(SampledPerson.draw_id == draw.id)).all()
    out = defaultdict(lambda: dict(EMPTY_ROW))
    for unit_id, type_id, used_on, status, reminders, outcome in rows:
        for key in ((unit_id, type_id), None):
            counts = out[key]
            counts["sampled"] += 1
            if status in ("sent", "delivered"):
                counts["sent"] += 1
            if status == "delivered":
                counts["delivered"] += 1
            if status in ("queued", "retrying"):
                counts["pending"] += 1
            if status in ("failed", "logged"):
                counts[status] += 1
            counts["answered"] += used_on is not None
            counts["reminded"] += reminders > 0
            if outcome:
                counts[outcome] += 1
    return out


def _signature(campaign):
    from flask import current_app
    return current_app.config.get("SMS_SIGNATURE") or f"【{campaign.county_name}{campaign.office_name.removeprefix('县')}】"


def link_text(campaign, unit_name, url, reminder=False):
    if reminder:
        return (f"{_signature(campaign)}提醒：您被随机抽选参加{unit_name}政风行风满意度测评，尚未作答。"
                f"请点击 {url} 匿名评价，约两分钟，链接仅限本人使用一次。")
    return (f"{_signature(campaign)}您好！您被随机抽选参加{campaign.year}年度{unit_name}政风行风满意度测评，"
            f"请点击 {url} 匿名评价，约两分钟，链接仅限本人使用一次。不记名，感谢支持！")


def _open_people(draw, unit_id=None):
    query = (select(SampledPerson).join(SurveyCode, SurveyCode.id == SampledPerson.code_id)
             .where(SampledPerson.draw_id == draw.id, SurveyCode.used_on.is_(None),
                    SampledPerson.call_outcome.not_in(CALL_FINAL)).order_by(SampledPerson.id))
    if unit_id:
        query = query.where(SampledPerson.unit_id == unit_id)
    return query


def _check_live(draw, campaign):
    if draw.status != "current":
        raise DomainError("该次抽样已被重抽替代，不能再联系其中的对象")
    if campaign.id != draw.campaign_id or campaign.status != "open":
        raise DomainError("只能在进行中的本年度评议中联系受访对象")


def _contacts(people):
    """({unit id: name}, {respondent id: phone}, {code id: code}) for texting these sampled people."""
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    phones = dict(db.session.execute(select(Respondent.id, Respondent.phone).where(
        Respondent.id.in_([p.respondent_id for p in people]))).all())
    codes = dict(db.session.execute(select(SurveyCode.id, SurveyCode.code).where(
        SurveyCode.id.in_([p.code_id for p in people]))).all())
    return units, phones, codes


def send_links(draw, campaign, base_url, user, unit_id=None):
    """Text each sampled person who has not been sent a link (or whose last one failed) their personal link.
    Returns how many messages were queued (or only logged when the SMS channel is off)."""
    _check_live(draw, campaign)
    people = db.session.scalars(_open_people(draw, unit_id).outerjoin(
        OutboundMessage, OutboundMessage.id == SampledPerson.message_id).where(
        (SampledPerson.links_sent == 0) | (OutboundMessage.status == "failed"))).all()
    if not people:
        raise DomainError("没有需要发送链接的对象（都已发送或已作答）")
    units, phones, codes = _contacts(people)
    for person in people:
        url = f"{base_url.rstrip('/')}/s/{codes[person.code_id]}"
        message = outbound.send("sms", phones[person.respondent_id], link_text(campaign, units[person.unit_id], url),
                                purpose=LINK_PURPOSE, user=user)
        person.message_id = message.id
        person.links_sent += 1
    record_event("send", "sample_draw", draw.id, summary=f"向第 {draw.id} 次抽样的 {len(people)} 人发送测评链接（短信"
                 f"{'' if outbound.configured('sms') else '，短信通道未开启，仅记录'}）", actor=user)
    db.session.commit()
    return len(people)


def send_reminders(draw, campaign, base_url, user):
    """Remind those sent a link who have not answered, at most MAX_REMINDERS times each. Returns how many."""
    _check_live(draw, campaign)
    people = db.session.scalars(_open_people(draw).where(SampledPerson.links_sent > 0,
                                                         SampledPerson.reminders < MAX_REMINDERS)).all()
    if not people:
        raise DomainError(f"没有需要提醒的对象：已发送链接的都已作答，或已提醒 {MAX_REMINDERS} 次")
    units, phones, codes = _contacts(people)
    for person in people:
        url = f"{base_url.rstrip('/')}/s/{codes[person.code_id]}"
        message = outbound.send("sms", phones[person.respondent_id],
                                link_text(campaign, units[person.unit_id], url, reminder=True),
                                purpose=REMINDER_PURPOSE, user=user)
        person.message_id = message.id
        person.reminders += 1
    record_event("send", "sample_draw", draw.id, summary=f"向第 {draw.id} 次抽样中未作答的 {len(people)} 人发送提醒短信",
                 actor=user)
    db.session.commit()
    return len(people)


def slips(draw, user, unit_id=None):
    """The people who have not answered, with their codes, for printed slips; printing is audited (the slips
    carry codes) and ends the chance of a silent redraw."""
    people = db.session.scalars(_open_people(draw, unit_id)).all()
    if draw.slips_printed_at is None:
        draw.slips_printed_at = utcnow()
    record_event("export", "sample_draw", draw.id, summary=f"打印第 {draw.id} 次抽样的答题纸条 {len(people)} 张", actor=user)
    db.session.commit()
    return people


def next_call(draw, unit_id=None):
    """The next person to telephone: not answered, no final outcome, fewest attempts first, otherwise at random.
    Not in a fixed order: with one, the order of the calls (and so of the phone ballots' ids) could be
    worked out from the sampled rows, and a ballot matched to a person."""
    query = _open_people(draw, unit_id).where(SampledPerson.call_attempts < MAX_CALL_ATTEMPTS)
    return db.session.scalar(query.order_by(None).order_by(SampledPerson.call_attempts, func.random()).limit(1))


def call_script(campaign, unit):
    return CALL_SCRIPT.format(office=f"{campaign.county_name}{campaign.office_name.removeprefix('县')}",
                              year=campaign.year, unit=unit.name)


def record_call(person, campaign, outcome, answers, user):
    """Record one telephone attempt. 完成 stores the answers as a ballot (channel "phone", the day only, no
    one who entered it) and spends the person's code in the same transaction, so a link answered meanwhile
    makes this fail (CodeSpent) and vice versa. Other outcomes count an attempt; 拒访 and 空号 end the calls,
    and so does a third 未接通. Returns {question_id: message} (nothing saved) or {}."""
    draw = person.draw
    _check_live(draw, campaign)
    if outcome not in CALL_OUTCOMES:
        raise DomainError("请选择回访结果")
    if person.call_outcome in CALL_FINAL or person.call_attempts >= MAX_CALL_ATTEMPTS:
        raise DomainError("该对象的电话回访已结束")
    code = db.session.get(SurveyCode, person.code_id) if person.code_id else None
    if code is None:
        raise DomainError("该对象没有答题码")
    if code.used_on is not None:
        raise surveys.CodeSpent()
    attempts = person.call_attempts
    moved = db.session.execute(update(SampledPerson).where(SampledPerson.id == person.id,
                                                           SampledPerson.call_attempts == attempts)
                               .values(call_attempts=attempts + 1, called_on=today())
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise DomainError("其他人刚刚记录了该对象的回访结果，请刷新后继续")
    if outcome == "completed":
        questionnaire = db.session.get(Questionnaire, draw.questionnaire_id)
        errors = surveys._check_answers(questionnaire, answers, surveys.options(campaign.id))
        if errors:
            db.session.rollback()
            return errors
        spent = db.session.execute(update(SurveyCode).where(SurveyCode.id == code.id, SurveyCode.used_on.is_(None))
                                   .values(used_on=today()).execution_options(synchronize_session=False))
        if spent.rowcount != 1:
            db.session.rollback()
            raise surveys.CodeSpent()
        ballot = Ballot(campaign_id=campaign.id, unit_id=person.unit_id, questionnaire_id=questionnaire.id,
                        respondent_type_id=person.respondent_type_id, round=draw.round, channel="phone",
                        created_at=day_start(today()))
        for question in questionnaire.questions:
            ballot.answers.append(BallotAnswer(question_id=question.id, option_id=answers[question.id]))
        db.session.add(ballot)
        count_ballot(ballot, 1)
        db.session.execute(update(SampledPerson).where(SampledPerson.id == person.id).values(call_outcome="completed")
                           .execution_options(synchronize_session=False))
        # One entry for both changes, naming neither the person nor the ballot: the log cannot pair them.
        record_event("create", "ballot", None, unit_id=person.unit_id, actor=user,
                     summary=f"电话回访完成问卷 1 份（{person.unit.name}，{person.respondent_type.name}）")
    else:
        final = outcome in CALL_FINAL or attempts + 1 >= MAX_CALL_ATTEMPTS
        if final:
            db.session.execute(update(SampledPerson).where(SampledPerson.id == person.id)
                               .values(call_outcome=outcome).execution_options(synchronize_session=False))
        record_event("update", "sampled_person", person.id, unit_id=person.unit_id, actor=user,
                     summary=f"电话回访 {outbound.mask(person.respondent.phone)}：{CALL_OUTCOMES[outcome]}"
                             f"（第 {attempts + 1} 次{'，回访结束' if final else ''}）")
    db.session.commit()
    db.session.refresh(person)
    return {}
