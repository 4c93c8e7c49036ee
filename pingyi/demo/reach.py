"""The demo county's sampled respondents (issue 17): a 服务对象库 of 2,000 people with made-up numbers in
the 100 prefix (allocated to no mobile operator, so no real phone can be texted by mistake), one draw of
8 members of the public and 2 volunteer supervisors per unit for the November round, a round of SMS links
(the SMS channel is off in the demo, so the messages are logged, not sent) of which a part was answered,
one reminder, and phone interviews for 县公安局 (all done) and 县教育局 (it lags: few answers, calls
unanswered)."""
import random
from datetime import datetime

from pingyi.demo.surveys import HIGH, LOW, NO_SURVEY
from pingyi.extensions import db
from pingyi.surveys import pools, sampling
from pingyi.surveys import services as surveys
from pingyi.surveys.reach_models import SampledPerson
from pingyi.timeutil import acting_at

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "海燕", "志强", "玉兰", "春梅", "晓东")
BASE_URL = "http://10.1.2.3:5000"  # the address the county's PINGYI_PUBLIC_URL would give
PUBLIC_RATE = {"县公安局": 0.6, "县教育局": 0.15}  # share of links answered; 0.3–0.5 elsewhere


def _at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute)


def _register_csv(units, rng):
    names = list(units)
    lines = ["手机号码,姓名,测评对象类别,服务单位"]
    for n in range(2000):
        roll = rng.random()
        kind = ("义务监督员" if roll < 0.08 else "人大代表/政协委员" if roll < 0.13 else "" if roll < 0.15
                else "服务对象/群众")
        served = rng.sample(names, 2 if rng.random() < 0.1 else 1) if rng.random() > 0.05 else []
        name = rng.choice(FAMILY) + rng.choice(GIVEN) if rng.random() > 0.2 else ""
        phone = f"100{n * 7919 % 100000000:08d}"
        lines.append(f"{phone[:3]} {phone[3:7]} {phone[7:]},{name},{kind},{'、'.join(served)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _choices(rng, quality, questionnaire, opts):
    answers = {}
    for question in questionnaire.questions:
        roll = rng.random()
        index = 0 if roll < quality else 1 if roll < quality + (1 - quality) * 0.7 else 2 if roll < 0.985 else 3
        answers[question.id] = opts[index].id
    return answers


def load(campaign, units, accounts):
    rng = random.Random(17)
    office = accounts["office"]
    main = surveys.questionnaires(campaign.id)[0]
    public, volunteers = surveys.respondent_types(campaign.id)[:2]
    opts = surveys.options(campaign.id)
    with acting_at(_at(2, 9)):
        pool = pools.create_pool("服务对象库", "各单位窗口登记的办事群众，以及义务监督员、人大代表和政协委员；每年更新一次。", office)
        pools.import_register("服务对象库_2026.csv", _register_csv(units, rng), pool, office)
    sampled_units = [u.id for name, u in units.items() if name != NO_SURVEY]
    with acting_at(_at(23, 9, 30)):
        draw = sampling.draw_sample(campaign, pool, main, "november", {public.id: 8, volunteers.id: 2}, sampled_units,
                                    12, office, seed="5eed2026a17b0c11")
    with acting_at(_at(23, 10)):
        sampling.send_links(draw, campaign, BASE_URL, office)
    people = db.session.scalars(db.select(SampledPerson).where(SampledPerson.draw_id == draw.id)
                                .order_by(SampledPerson.id)).all()
    names = {u.id: name for name, u in units.items()}
    for person in people:
        name = names[person.unit_id]
        rate = PUBLIC_RATE.get(name, 0.3 + (person.unit_id * 37 % 20) / 100)
        if rng.random() < rate:
            quality = HIGH.get(name) or LOW.get(name) or 0.8
            with acting_at(_at(rng.choice((23, 23, 24, 24, 25, 27)), rng.randint(8, 21), rng.randint(0, 59))):
                surveys.answer_with_code(person.code, _choices(rng, quality, main, opts), "")
    with acting_at(_at(26, 9)):
        sampling.send_reminders(draw, campaign, BASE_URL, office)
    for name, outcomes in (("县公安局", ("completed", "completed", "no_answer", "completed", "refused", "completed")),
                           ("县教育局", ("no_answer", "no_answer", "invalid", "completed", "no_answer"))):
        unit = units[name]
        for n, outcome in enumerate(outcomes):
            person = sampling.next_call(draw, unit.id)
            if person is None:
                break
            with acting_at(_at(27, 14 + n // 3, (n % 3) * 20)):
                answers = _choices(rng, HIGH.get(name) or LOW.get(name) or 0.8, main, opts) if outcome == "completed" else {}
                sampling.record_call(person, campaign, outcome, answers, office)
