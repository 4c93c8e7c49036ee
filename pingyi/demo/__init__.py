"""The demo county (青山县): units, groups, accounts and the 2025 and 2026 campaigns from the plan."""
from contextlib import contextmanager
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from pingyi.auth import services as auth_services
from pingyi.auth.models import User
from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT
from pingyi.campaigns import services as campaign_services
from pingyi.campaigns.models import EvaluationGroup, GroupMember, Participation, SupervisorAssignment
from pingyi.checklists import services as checklist_services
from pingyi.demo import board, feedback, findings, history, integrity, publish, reach, schemes, surveys, trust
from pingyi.documents import services as document_services
from pingyi.extensions import db
from pingyi.tasks import services as task_services
from pingyi.timeutil import acting_at
from pingyi.units.models import Unit
from pingyi.years import lifecycle

COUNTY = "青山县"
KEY = ("县国土资源局", "县建设局", "县卫生局", "县劳动人事和社会保障局", "县教育局", "县公安局", "县民政局", "县林业局")
DEPARTMENTS = (
    ("县发展和改革局", "发改局"), ("县教育局", "教育局"), ("县科学技术局", "科技局"), ("县公安局", "公安局"),
    ("县民政局", "民政局"), ("县司法局", "司法局"), ("县财政局", "财政局"),
    ("县劳动人事和社会保障局", "人社局"), ("县国土资源局", "国土局"), ("县建设局", "建设局"),
    ("县交通运输局", "交通局"), ("县水利局", "水利局"), ("县农业局", "农业局"), ("县林业局", "林业局"),
    ("县商务局", "商务局"), ("县文化广电新闻出版局", "文广新局"), ("县卫生局", "卫生局"),
    ("县人口和计划生育局", "人口计生局"), ("县审计局", "审计局"), ("县环境保护局", "环保局"),
    ("县统计局", "统计局"), ("县安全生产监督管理局", "安监局"), ("县城市管理行政执法局", "城管执法局"),
)
INSTITUTIONS = (
    ("县人民医院", "县医院"), ("县中医院", "中医院"), ("县疾病预防控制中心", "疾控中心"),
    ("县自来水公司", "自来水公司"), ("县广播电视台", "广电台"), ("县社会保险事业管理局", "社保局"),
    ("县住房公积金管理中心", "公积金中心"), ("县公共资源交易中心", "交易中心"), ("县不动产登记中心", "不动产中心"),
)
STATIONED = (
    ("县国家税务局", "县国税局"), ("县地方税务局", "县地税局"), ("县工商行政管理局", "县工商局"),
    ("县质量技术监督局", "县质监局"), ("县道路运输管理站", "县运管站"), ("国网青山县供电公司", "县供电局"),
    ("青山县邮政局", "县邮政局"), ("中国电信青山分公司", "电信分公司"), ("中国农业银行青山县支行", "县农行"),
    ("中国工商银行青山县支行", "县工行"), ("中国农业发展银行青山县支行", "县农发行"),
    ("青山县农村信用合作联社", "农村信用社"), ("中国人寿保险公司青山县支公司", "寿险公司"),
    ("中国人民财产保险公司青山县支公司", "财险公司"), ("中国石油青山县分公司", "石油公司"),
)
HEADS = ("王立新", "刘建华", "陈国栋", "马卫东", "杨振宇", "黄志刚", "周明亮", "吴海峰", "徐长青", "孙德胜",
         "胡晓军", "朱永平", "高建军", "林志远", "何文斌", "郭庆丰", "罗建平", "梁志强", "宋海涛", "郑宏伟")
GROUPS = (
    ("第一评议组", "general", "负责县政府各部门、县直各企事业单位（重点评议部门除外）",
     (("王建国", "县纪委副书记、县纠风办主任", "leader", None), ("钱丽华", "县纠风办副主任", "member", None),
      ("冯志明", "县人大代表", "member", None))),
    ("第二评议组", "stationed", "负责驻县单位，按《驻县单位政风行风评议实施方案》开展",
     (("李红梅", "县监察局副局长", "leader", None), ("韩雪", "县政协委员", "member", None),
      ("曹国强", "县纠风办科员", "member", None))),
    ("第三评议组", "key", "负责本年度 8 个重点评议部门",
     (("张志强", "县人大常委会副主任", "leader", None), ("陈明", "县纪委常委", "member", "evaluator"),
      ("邓秀英", "特邀监察员", "member", None))),
)
ACCOUNTS = (
    ("office", OFFICE, "刘晓燕", None), ("evaluator", EVALUATOR, "陈明", None),
    ("supervisor", SUPERVISOR, "赵淑芬", None), ("leader", LEADER, "周国华", None),
    ("unit", UNIT, "孙立军", "县公安局"), ("unit2", UNIT, "吴婷", "县教育局"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁"
GIVEN = ("晓梅", "建军", "丽娟", "志勇", "海燕", "文斌", "秀兰", "国平", "春华", "明辉", "玉洁", "卫东", "红霞",
         "少华", "雪莲", "永刚", "静怡", "德明", "小军", "桂英")
SUPERVISED = ("县公安局", "县教育局", "县卫生局", "国网青山县供电公司")
DEMO_PASSWORD = "demo123"


def database_is_empty():
    return not db.session.scalar(select(func.count(User.id))) and not db.session.scalar(select(func.count(Unit.id)))


@contextmanager
def _fast_loading():
    """While the demo loads: every demo account shares one password, so it is hashed once (scrypt is slow on
    purpose), and committed objects are not re-read from the database (nothing else writes to it meanwhile)."""
    hashed = generate_password_hash(DEMO_PASSWORD, current_app.config["PASSWORD_HASH_METHOD"])
    set_password = User.set_password

    def demo_password(user, password):
        if password == DEMO_PASSWORD:
            user.password_hash = hashed
        else:
            set_password(user, password)
    session = db.session()
    expire_on_commit = session.expire_on_commit
    User.set_password, session.expire_on_commit = demo_password, False
    try:
        yield
    finally:
        User.set_password, session.expire_on_commit = set_password, expire_on_commit


def load_demo(progress=None):
    """Fill an empty database with the demo county; returns the current campaign.
    `progress(message)` is told each step (the command line prints it)."""
    progress = progress or (lambda message: None)
    with _fast_loading():
        campaign = _load(progress)
    db.session.expire_all()
    return campaign


def _load(progress):
    progress("单位、评议组和账号…")
    checklist_services.load_default_template()
    order = 0
    units = {}
    for category, rows in (("department", DEPARTMENTS), ("institution", INSTITUTIONS), ("stationed", STATIONED)):
        for name, short in rows:
            order += 1
            head = HEADS[order % len(HEADS)]
            unit = Unit(name=name, short_name=short, category=category, head_name=head, sort_order=order,
                        contact_phone=f"0791-8{order:03d}{order * 37 % 1000:03d}"[:14])
            db.session.add(unit)
            units[name] = unit
    units["县公安局"].contact_name, units["县公安局"].address = "孙立军", "青山县人民路 18 号"
    units["县教育局"].contact_name, units["县教育局"].address = "吴婷", "青山县文昌路 6 号"
    db.session.flush()

    last = campaign_services.create_campaign(**campaign_services.default_settings(
        2025, COUNTY, f"{COUNTY}纠正行业不正之风办公室", "青纠风办"))
    last.status = "closed"
    last.contact_name, last.contact_phone = "刘晓燕", "0791-8321456"
    checklist_services.copy_checklist(None, last)
    task_services.create_plan_tasks(last)
    lifecycle.set_up_scoring(last)
    groups = {}
    for i, (name, scope, description, members) in enumerate(GROUPS, 1):
        group = EvaluationGroup(campaign=last, name=name, scope=scope, description=description, sort_order=i)
        for j, (person, title, role, _) in enumerate(members, 1):
            group.members.append(GroupMember(name=person, title=title, member_role=role, sort_order=j))
        db.session.add(group)
        groups[scope] = group
    for name, unit in units.items():
        key = name in KEY
        scope = "key" if key else ("stationed" if unit.category == "stationed" else "general")
        db.session.add(Participation(campaign=last, unit=unit, is_key=key, group=groups[scope]))
    db.session.commit()

    accounts = {}
    for username, role, display, unit_name in ACCOUNTS:
        accounts[username] = auth_services.create_user(
            username, role, DEMO_PASSWORD, display, units[unit_name].id if unit_name else None,
            is_demo=True)
    liaisons = {units["县公安局"].id: accounts["unit"], units["县教育局"].id: accounts["unit2"]}
    for index, (name, unit) in enumerate(units.items()):
        if name in ("县公安局", "县教育局") or index % 6 == 5:
            continue  # some units have not yet named a liaison: the dashboard shows them
        person = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
        unit.contact_name = person
        liaisons[unit.id] = auth_services.create_user(f"lly{unit.sort_order:02d}", UNIT, DEMO_PASSWORD, person,
                                                      unit.id, is_demo=True)
    for group in last.groups:
        for member, (_, _, _, username) in zip(group.members, next(g[3] for g in GROUPS if g[0] == group.name)):
            member.user_id = accounts[username].id if username else None
    db.session.commit()
    history.load(last, units, accounts)

    campaign = lifecycle.start_campaign(2026, last)
    campaign.contact_name, campaign.contact_phone = "刘晓燕", "0791-8321456"
    campaign.notice_number, campaign.notice_date = 3, date(2026, 3, 28)
    for name in SUPERVISED:
        db.session.add(SupervisorAssignment(campaign_id=campaign.id, user=accounts["supervisor"], unit=units[name]))
    db.session.commit()
    progress("任务看板和各单位提交的材料…")
    board.load(campaign, units, liaisons, accounts["office"])
    progress("检查记录和发现的问题…")
    findings.load(campaign, units, accounts)
    progress("反馈通知书和整改答复…")
    feedback.load(campaign, units, liaisons, accounts)
    progress("满意度测评和评议结果…")
    schemes.load(campaign, units, accounts)
    surveys.load(campaign, units, accounts, SUPERVISED)
    integrity.load(campaign, units, accounts)
    reach.load(campaign, units, accounts)
    publish.load(campaign, units, accounts)  # issuance from what came back through every channel
    trust.load(accounts)
    with acting_at(datetime(2026, 11, 20, 16, 10)):  # the office printed the key units' notices in one zip
        document_services.start_batch(campaign, "feedback-notice", accounts["office"], key="1", run_async=False)
    return campaign
