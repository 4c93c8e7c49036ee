"""Anomaly checks of online answers: bursts, runs of identical answers, one network answering too fast, codes
used outside the survey window. The scan groups suspicious ballots into flags (never blocks an answer: an
office network sharing one address answers normally and the office keeps its flag); the office keeps or
excludes each flag with a reason, and an excluded ballot stops counting in the results.

What is kept for the checks (integrity_models.ArrivalMark) is deleted when the round closes."""
import hashlib
import hmac
import ipaddress
import secrets
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import String, cast, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from pingyi.audit.services import record, record_event, snapshot
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.surveys.integrity_models import (
    KIND_LABELS,
    AnomalyFlag,
    ArrivalMark,
    FlaggedBallot,
    RoundSalt,
)
from pingyi.surveys.counts import count_ballot
from pingyi.surveys.models import ROUND_LABELS, Ballot, BallotAnswer
from pingyi.timeutil import local, today, utcnow

BUCKET = timedelta(minutes=5)
BURST_WINDOW = 2            # buckets: answers for one unit within 10 minutes
BURST_MIN = 20              # … at least this many,
BURST_FACTOR = 8            # … and this many times the unit's usual pace in the rest of the round
NETWORK_WINDOW = 12         # buckets: answers for one unit from one network within an hour
NETWORK_MIN = 20
PATTERN_MIN = 10            # identical answer sheets in a row …
PATTERN_CHANCE = 0.001      # … that the pattern's own frequency would produce by chance less often than this
CHECKED_CHANNELS = ("online", "sms")  # answers the respondent submits alone; paper and phone are entered by staff
REASON_MAX = 500


# ---- at submit time -----------------------------------------------------------------------------------------

def round_salt(campaign_id, round_):
    """The round's salt; drawn (in the caller's transaction) for its first answer."""
    salt = db.session.scalar(select(RoundSalt.salt).where(RoundSalt.campaign_id == campaign_id, RoundSalt.round == round_))
    if salt is None:
        try:  # two first answers at once: one salt wins, the other reads it
            with db.session.begin_nested():
                db.session.add(RoundSalt(campaign_id=campaign_id, round=round_, salt=secrets.token_hex(32)))
        except IntegrityError:
            pass
        salt = db.session.scalar(select(RoundSalt.salt).where(RoundSalt.campaign_id == campaign_id,
                                                              RoundSalt.round == round_))
    return salt


def network_of(address):
    """The network an address answers from: the IPv4 address itself, an IPv6 /64 (one household or phone)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def hasher(campaign_id, round_, salt=None):
    """A function address -> the round's salted hash of its network ("" for no address). `salt`: the round's,
    when the caller has read it already (else it is read, or drawn for the round's first answer)."""
    key = bytes.fromhex(salt or round_salt(campaign_id, round_))

    def digest(address):
        network = network_of(address)
        return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()[:16] if network else ""
    return digest


def network_hash(campaign_id, round_, address):
    return hasher(campaign_id, round_)(address) if network_of(address) else ""


def bucket_of(moment):
    """A moment rounded down to its 5 minutes."""
    return moment.replace(second=0, microsecond=0, minute=moment.minute - moment.minute % 5)


def arrival(campaign_id, round_, address, salt=None):
    """The arrival mark of an online ballot arriving now, without its ballot_id: the 5-minute bucket and the
    salted hash of the network (`salt` as for hasher)."""
    network = hasher(campaign_id, round_, salt)(address) if network_of(address) else ""
    return {"campaign_id": campaign_id, "round": round_, "bucket": bucket_of(utcnow()), "network": network}


# ---- the scan ----------------------------------------------------------------------------------------------

def _round_window(campaign, round_):
    return ((campaign.round1_start, campaign.round1_end) if round_ == "june"
            else (campaign.round2_start, campaign.round2_end))


def _windows(marks, width, minimum, factor=None):
    """Groups of ballots whose arrivals crowd into `width` consecutive buckets: [(from, to, [ballot ids])].
    `marks`: [(bucket, ballot_id)]. With `factor`, a window must also hold `factor` times the pace of the
    rest of the marks (answers per `width` buckets over their span)."""
    if len(marks) < minimum:
        return []
    by_bucket = defaultdict(list)
    for bucket, ballot_id in marks:
        by_bucket[bucket].append(ballot_id)
    sizes = {b: len(ids) for b, ids in by_bucket.items()}
    buckets = sorted(by_bucket)
    span = max(1, (buckets[-1] - buckets[0]) // BUCKET + 1)
    steps = [BUCKET * i for i in range(width)]
    hot = []
    for start in buckets:
        count = 0
        for step in steps:
            count += sizes.get(start + step, 0)
        if count < minimum:
            continue
        if factor is not None:
            rest_windows = max(1, (span - width) / width)
            pace = (len(marks) - count) / rest_windows
            if count < factor * max(pace, 1):
                continue
        hot.append((start, start + BUCKET * width))
    groups = []
    for start, end in hot:  # overlapping or touching windows are one group
        if groups and start <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], end)
        else:
            groups.append([start, end])
    return [(start, end, sorted(i for b, ids in by_bucket.items() if start <= b < end for i in ids))
            for start, end in groups]


def _runs(ballots, patterns):
    """Runs of consecutive ballots (in arrival order) with the same answers, too long for chance:
    [(pattern, [ballot ids])]."""
    shares = Counter(patterns[b] for b in ballots if patterns.get(b))
    n = len(ballots)
    found, run = [], []
    for ballot_id in ballots + [None]:
        pattern = patterns.get(ballot_id) if ballot_id is not None else None
        if run and pattern == patterns[run[0]]:
            run.append(ballot_id)
            continue
        if len(run) >= PATTERN_MIN:
            share = shares[patterns[run[0]]] / n
            if share ** (len(run) - 1) * n < PATTERN_CHANCE:
                found.append((patterns[run[0]], run))
        run = [ballot_id] if pattern else []
    return found


def _joined(text):
    """Every answer of a ballot as one "question:option,…" text (in any order), aggregated in the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(text, ",")
    return func.group_concat(text, ",")


def _fingerprint(*parts):
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _when(moment):
    return local(moment).strftime("%m月%d日 %H:%M")


def detect(campaign):
    """Every suspicious group among the campaign's online ballots, without storing anything:
    [{"kind", "unit_id", "round", "fingerprint", "detail", "from", "to", "ballots"}]. A handful of queries."""
    rows = db.session.execute(
        select(Ballot.id, Ballot.unit_id, Ballot.round, Ballot.created_at, ArrivalMark.bucket, ArrivalMark.network)
        .outerjoin(ArrivalMark, ArrivalMark.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.channel.in_(CHECKED_CHANNELS))
        .order_by(Ballot.id)).all()
    if not rows:
        return []
    patterns = {ballot_id: tuple(sorted(sheet.split(","))) for ballot_id, sheet in db.session.execute(
        select(BallotAnswer.ballot_id, _joined(cast(BallotAnswer.question_id, String) + literal(":")
                                          + cast(BallotAnswer.option_id, String)))
        .join(Ballot, Ballot.id == BallotAnswer.ballot_id)
        .where(Ballot.campaign_id == campaign.id, Ballot.channel.in_(CHECKED_CHANNELS))
        .group_by(BallotAnswer.ballot_id))}
    days, windows = {}, {r: _round_window(campaign, r) for r in ROUND_LABELS}

    by_unit, by_network, late = defaultdict(list), defaultdict(list), defaultdict(list)
    order = defaultdict(list)
    for ballot_id, unit_id, round_, created_at, bucket, network in rows:
        order[(unit_id, round_)].append(ballot_id)
        if bucket is not None:
            by_unit[(unit_id, round_)].append((bucket, ballot_id))
            if network:
                by_network[(unit_id, round_, network)].append((bucket, ballot_id))
        start, end = windows[round_]
        day = days.get(created_at) or days.setdefault(created_at, local(created_at).date())
        if not start <= day <= end:
            late[(unit_id, round_, day)].append(ballot_id)

    found = []
    for (unit_id, round_), marks in by_unit.items():
        for start, end, ids in _windows(marks, BURST_WINDOW, BURST_MIN, BURST_FACTOR):
            found.append({"kind": "burst", "unit_id": unit_id, "round": round_, "from": start, "to": end,
                          "fingerprint": _fingerprint("burst", campaign.id, unit_id, round_, start), "ballots": ids,
                          "detail": f"{_when(start)} 起 {int((end - start) / timedelta(minutes=1))} 分钟内收到 "
                                    f"{len(ids)} 份答卷，远高于该单位本轮其余时间的答题速度"})
    for (unit_id, round_, network), marks in by_network.items():
        for start, end, ids in _windows(marks, NETWORK_WINDOW, NETWORK_MIN):
            found.append({"kind": "network", "unit_id": unit_id, "round": round_, "from": start, "to": end,
                          "fingerprint": _fingerprint("network", campaign.id, unit_id, round_, start, network),
                          "ballots": ids,
                          "detail": f"{_when(start)} 起一小时内同一网络地址提交 {len(ids)} 份答卷"
                                    "（单位或小区共用出口的网络也会如此，请核实后决定）"})
    for (unit_id, round_), ballots in order.items():
        for pattern, ids in _runs(ballots, patterns):
            found.append({"kind": "pattern", "unit_id": unit_id, "round": round_, "from": None, "to": None,
                          "fingerprint": _fingerprint("pattern", campaign.id, unit_id, round_, ids[0]), "ballots": ids,
                          "detail": f"连续 {len(ids)} 份答卷的 {len(pattern)} 道题答案完全相同"})
    for (unit_id, round_, day), ids in late.items():
        start, end = _round_window(campaign, round_)
        found.append({"kind": "window", "unit_id": unit_id, "round": round_, "from": None, "to": None,
                      "fingerprint": _fingerprint("window", campaign.id, unit_id, round_, day), "ballots": ids,
                      "detail": f"{day.month}月{day.day}日使用答题码提交 {len(ids)} 份答卷，不在{ROUND_LABELS[round_]}"
                                f"测评期（{start.month}月{start.day}日至{end.month}月{end.day}日）内"})
    return found


def scan(campaign):
    """Store what detect() finds: new groups become open flags, open flags take the group's current ballots,
    decided flags stay as decided. Then delete the arrival marks and salts of rounds that have closed.
    Returns (new flags, open flags updated)."""
    found = detect(campaign)
    existing = {f.fingerprint: f for f in db.session.scalars(
        select(AnomalyFlag).where(AnomalyFlag.campaign_id == campaign.id))}
    added = updated = 0
    links = []
    for group in found:
        flag = existing.get(group["fingerprint"])
        if flag is not None and flag.status != "open":
            continue
        if flag is None:
            flag = AnomalyFlag(campaign_id=campaign.id, unit_id=group["unit_id"], round=group["round"],
                               kind=group["kind"], fingerprint=group["fingerprint"])
            db.session.add(flag)
            added += 1
        else:
            db.session.execute(delete(FlaggedBallot).where(FlaggedBallot.flag_id == flag.id))
            updated += 1
        flag.detail, flag.window_from, flag.window_to = group["detail"][:300], group["from"], group["to"]
        flag.size = len(group["ballots"])
        db.session.flush()
        links += [{"flag_id": flag.id, "ballot_id": b} for b in group["ballots"]]
    if links:
        db.session.execute(FlaggedBallot.__table__.insert(), links)
    purge_closed_rounds(campaign)
    db.session.commit()
    return added, updated


def purge_closed_rounds(campaign, on=None):
    """Delete the arrival marks and the salt of every round whose survey window has ended (all of them once
    the campaign is closed): afterwards no network address can be tested against the hashes."""
    on = on or today()
    closed = [r for r in ROUND_LABELS if campaign.status == "closed" or _round_window(campaign, r)[1] < on]
    if closed:
        marks = db.session.execute(delete(ArrivalMark).where(ArrivalMark.campaign_id == campaign.id,
                                                             ArrivalMark.round.in_(closed))).rowcount
        salts = db.session.execute(delete(RoundSalt).where(RoundSalt.campaign_id == campaign.id,
                                                           RoundSalt.round.in_(closed))).rowcount
        if marks or salts:
            record_event("delete", "arrival_mark", None, unit_id=None, summary=(
                f"测评期已结束：删除{'、'.join(ROUND_LABELS[r] for r in closed)} {marks} 份网上答卷的到达时段和网络摘要及其密钥"))
    return closed


def awaiting_purge(campaign, on=None):
    """Closed rounds whose arrival marks are still kept (they go with the next scan): [round]."""
    on = on or today()
    kept = set(db.session.scalars(select(ArrivalMark.round).where(ArrivalMark.campaign_id == campaign.id).distinct()))
    return [r for r in ROUND_LABELS if r in kept and (campaign.status == "closed" or _round_window(campaign, r)[1] < on)]


@jobs.handler("anomaly-scan")
def _run_scan(context, campaign_id):
    from pingyi.campaigns.models import Campaign
    campaign = db.session.get(Campaign, campaign_id)
    context.progress(0, 1)
    added, updated = scan(campaign)
    context.progress(1, 1)
    return f"新发现 {added} 组，更新 {updated} 组"


def start_scan(campaign, user):
    """Queue a background scan (one at a time per campaign); returns the job."""
    from pingyi.jobs.models import Job
    running = db.session.scalar(select(Job).where(Job.kind == "anomaly-scan", Job.status.in_(("queued", "running")))
                                .order_by(Job.id.desc()))
    if running is not None:
        raise DomainError("异常检查正在进行，请稍候刷新本页查看结果")
    job = jobs.enqueue("anomaly-scan", {"campaign_id": campaign.id}, user=user, total=1)
    record("create", job, summary="开始检查网上答卷异常", actor=user)
    db.session.commit()
    return job


def last_scan():
    from pingyi.jobs.models import Job
    return db.session.scalar(select(Job).where(Job.kind == "anomaly-scan").order_by(Job.id.desc()))


# ---- the office's decision -----------------------------------------------------------------------------------

def flags(campaign, status=None):
    query = select(AnomalyFlag).where(AnomalyFlag.campaign_id == campaign.id)
    if status:
        query = query.where(AnomalyFlag.status == status)
    return db.session.scalars(query.order_by(AnomalyFlag.status != "open", AnomalyFlag.id.desc())).all()


def counts(campaign):
    """{status: number of flags}."""
    return dict(db.session.execute(select(AnomalyFlag.status, func.count()).where(
        AnomalyFlag.campaign_id == campaign.id).group_by(AnomalyFlag.status)).all())


def flag_ballots(flag):
    return db.session.scalars(select(Ballot).join(FlaggedBallot, FlaggedBallot.ballot_id == Ballot.id)
                              .where(FlaggedBallot.flag_id == flag.id).order_by(Ballot.id)).all()


def exclude_ballots(ballots, reason_kind):
    """Stop counting ballots (in the caller's transaction): mark them and take their answers out of the
    running counts. Ballots already excluded stay as they are. Returns how many changed."""
    changed = 0
    for ballot in ballots:
        if ballot.excluded_as is None:
            done = db.session.execute(update(Ballot).where(Ballot.id == ballot.id, Ballot.excluded_as.is_(None))
                                      .values(excluded_as=reason_kind).execution_options(synchronize_session=False))
            if done.rowcount == 1:
                count_ballot(ballot, -1)
                changed += 1
    db.session.expire_all()
    return changed


def restore_ballots(ballots, reason_kind, still_excluded=()):
    """Count again ballots excluded as `reason_kind`, except those in `still_excluded` (ids)."""
    changed = 0
    for ballot in ballots:
        if ballot.excluded_as == reason_kind and ballot.id not in still_excluded:
            db.session.execute(update(Ballot).where(Ballot.id == ballot.id).values(excluded_as=None)
                               .execution_options(synchronize_session=False))
            count_ballot(ballot, 1)
            changed += 1
    db.session.expire_all()
    return changed


def decide(flag, action, reason, version, user):
    """Keep or exclude a flag's ballots, with the office's reason; a decision can be changed the same way."""
    check_version(flag, version)
    if action not in ("kept", "excluded"):
        raise DomainError("请选择保留计入或剔除")
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise DomainError("请填写理由：保留或剔除都须说明依据")
    if action == flag.status and reason == flag.reason:
        return 0
    before = snapshot(flag)
    ballots = flag_ballots(flag)
    if action == "excluded":
        changed = exclude_ballots(ballots, "anomaly")
    else:
        others = set(db.session.scalars(select(FlaggedBallot.ballot_id).join(AnomalyFlag).where(
            AnomalyFlag.status == "excluded", AnomalyFlag.id != flag.id,
            FlaggedBallot.ballot_id.in_([b.id for b in ballots]))))
        changed = restore_ballots(ballots, "anomaly", others)
    flag = db.session.get(AnomalyFlag, flag.id)
    flag.status, flag.reason, flag.decided_by_id, flag.decided_at = action, reason, user.id, utcnow()
    verb = "剔除" if action == "excluded" else "保留计入"
    record("update", flag, before, unit_id=flag.unit_id, actor=user,
           summary=f"{verb}{flag.unit.name}{KIND_LABELS[flag.kind]}的 {len(ballots)} 份答卷（{changed} 份计分随之改变）：{reason}"[:300])
    db.session.commit()
    return changed


def excluded_by_unit(campaign):
    """Ballots excluded by the office's anomaly decisions: {unit_id: [{"why", "n"}]}, each ballot counted
    under the first excluded flag that holds it."""
    first = (select(FlaggedBallot.ballot_id, func.min(FlaggedBallot.flag_id).label("flag_id"))
             .join(AnomalyFlag).join(Ballot, Ballot.id == FlaggedBallot.ballot_id)
             .where(AnomalyFlag.campaign_id == campaign.id, AnomalyFlag.status == "excluded",
                    Ballot.excluded_as == "anomaly")
             .group_by(FlaggedBallot.ballot_id).subquery())
    out = defaultdict(list)
    for unit_id, kind, reason, n in db.session.execute(
            select(AnomalyFlag.unit_id, AnomalyFlag.kind, AnomalyFlag.reason, func.count())
            .join(first, first.c.flag_id == AnomalyFlag.id)
            .group_by(AnomalyFlag.id, AnomalyFlag.unit_id, AnomalyFlag.kind, AnomalyFlag.reason)
            .order_by(AnomalyFlag.id)):
        out[unit_id].append({"why": f"{KIND_LABELS[kind]}：{reason}", "n": n})
    return out

