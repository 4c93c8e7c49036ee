"""Each demo role lands on a dashboard with real figures for that role."""
import time_machine

from pingyi.auth import services as auth_services
from tests.conftest import unit_named, user

NOV = "2026-11-26 10:00 +0800"


def test_office_sees_county_counts_groups_and_liaison_gaps(county, client_for):
    with time_machine.travel(NOV, tick=False):  # the session is signed inside the travelled time
        text = client_for("office").get("/").text
    for figure in ('<span class="num">47</span><span>参评单位</span>', '<span class="num">23</span><span>县政府部门</span>',
                   '<span class="num">9</span><span>县直企事业单位</span>', '<span class="num">15</span><span>驻县单位</span>',
                   '<span class="num">8</span><span>重点评议部门</span>', '<span class="num">7</span><span>未设联络员账号</span>'):
        assert figure in text
    assert "所有参评单位均已分配评议组" in text and "第二轮进行中" in text
    assert "四个阶段均已结束" in text


def test_liaison_gap_shrinks_when_an_account_is_created(county, office_client):
    auth_services.create_user("liaison3", "unit", "Liaison2026", "王五", unit_named("县司法局").id)
    assert '<span class="num">6</span><span>未设联络员账号</span>' in office_client.get("/").text


def test_unit_sees_its_unit_key_flag_group_and_phase(county, client_for):
    with time_machine.travel("2026-05-20 10:00 +0800", tick=False):
        text = client_for("unit").get("/").text
    assert "县公安局 · 2026年度政风行风评议" in text and "第三评议组" in text
    assert '<span class="num small-num">是</span><span>本年度重点评议部门</span>' in text
    assert "当前阶段：<strong>第二阶段 自查自评、民主测评</strong>" in text
    assert "县教育局" not in text


def test_unit2_sees_education(county, client_for):
    text = client_for("unit2").get("/").text
    assert "县教育局 · " in text and "县公安局" not in text


def test_evaluator_sees_the_units_of_its_group(county, client_for):
    text = client_for("evaluator").get("/").text
    assert "第三评议组 · 成员" in text and '<span class="num">8</span><span>负责评议单位</span>' in text
    assert "县公安局" in text and "国网青山县供电公司" not in text


def test_supervisor_sees_assigned_units(county, client_for):
    text = client_for("supervisor").get("/").text
    assert '<span class="num">4</span><span>联系监督的单位</span>' in text
    assert "国网青山县供电公司" in text and "县财政局" not in text


def test_leader_sees_the_county_read_only(county, client_for):
    text = client_for("leader").get("/").text
    assert '<span class="num">47</span><span>参评单位</span>' in text and "新建联络员账号" not in text


def test_evaluator_without_group_is_told_so(county, app):
    lone = auth_services.create_user("eva2", "evaluator", "Evaluate2026", "无组成员")
    text = app.test_client(user=lone).get("/").text
    assert "尚未加入本年度任何评议组" in text
    assert user("evaluator") is not None


def test_dashboards_show_the_published_results(county, client_for):
    unit_page = client_for("unit").get("/").text
    assert "年度评议结果（第 2 版" in unit_page and "查看得分明细和计算过程" in unit_page
    assert "已发布第 2 版评议结果" in client_for("office").get("/").text


def test_the_county_figures_are_kept_until_the_data_changes(county, client_for, app, statements):
    """The office's figures are rendered once per data version: the second view reads no county table, and a
    change (a unit made key) shows on the next view; the leader's kept page has no office-only link."""
    from sqlalchemy import select

    from pingyi.campaigns.models import Participation
    from pingyi.extensions import db
    office = client_for("office")
    office.get("/")
    statements.clear()
    text = office.get("/").text
    assert '<span class="num">8</span><span>重点评议部门</span>' in text
    assert not any(t in s for s in statements for t in ("FROM participation", "FROM task", "FROM submission")), statements
    part = db.session.scalar(select(Participation).where(Participation.campaign_id == county.id,
                                                         Participation.is_key.is_(False)).limit(1))
    part.is_key = True
    db.session.commit()
    assert '<span class="num">9</span><span>重点评议部门</span>' in office.get("/").text
    leader = client_for("leader").get("/").text
    assert '<span class="num">9</span><span>重点评议部门</span>' in leader and "新建联络员账号" not in leader
