"""Office manages accounts: create with role and unit, edit, reset, deactivate."""
from tests.conftest import unit_named, user


def test_create_unit_liaison_bound_to_its_unit(county, office_client):
    unit = unit_named("县财政局")
    response = office_client.post("/admin/users/new", data={
        "username": "czj", "display_name": "何静", "role": "unit", "unit_id": unit.id, "password": "Caizheng2026"})
    assert response.status_code == 302
    liaison = user("czj")
    assert liaison.unit_id == unit.id and liaison.must_change_password and not liaison.is_demo


def test_unit_role_needs_a_unit_and_keeps_the_input(county, office_client):
    response = office_client.post("/admin/users/new", data={
        "username": "czj", "display_name": "何静", "role": "unit", "unit_id": "0", "password": "Caizheng2026"})
    assert response.status_code == 422 and "必须绑定所属单位" in response.text and 'value="何静"' in response.text
    assert user("czj") is None


def test_username_rules_and_duplicates(county, office_client):
    bad = office_client.post("/admin/users/new", data={
        "username": "张三", "display_name": "张三", "role": "office", "unit_id": "0", "password": "Zhang2026x"})
    assert bad.status_code == 422 and "只能包含字母" in bad.text
    dup = office_client.post("/admin/users/new", data={
        "username": "Office", "display_name": "x", "role": "office", "unit_id": "0", "password": "Zhang2026x"})
    assert dup.status_code == 422 and "已存在" in dup.text


def test_weak_initial_password_is_refused(county, office_client):
    response = office_client.post("/admin/users/new", data={
        "username": "clerk", "display_name": "x", "role": "office", "unit_id": "0", "password": "12345"})
    assert response.status_code == 422 and "至少 8 位" in response.text


def test_edit_role_drops_unit_binding(county, office_client):
    target = user("unit2")
    office_client.post(f"/admin/users/{target.id}/edit", data={
        "display_name": "吴婷", "role": "supervisor", "unit_id": target.unit_id, "version": target.version})
    assert user("unit2").role == "supervisor" and user("unit2").unit_id is None


def test_office_cannot_deactivate_itself(county, office_client):
    me = user("office")
    office_client.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    assert user("office").active


def test_user_list_filters_by_role_through_htmx(county, office_client, htmx):
    text = office_client.get("/admin/users?role=unit&q=unit", headers=htmx).text
    assert "unit2" in text and "supervisor" not in text and "<html" not in text


def test_office_assigns_a_supervisor_its_units(county, office_client, client_for):
    supervisor = user("supervisor")
    page = office_client.get(f"/admin/users/{supervisor.id}/edit").text
    assert "已选 4 个" in page
    finance, police = unit_named("县财政局"), unit_named("县公安局")
    office_client.post(f"/admin/users/{supervisor.id}/units", data={"unit_id": [str(finance.id), str(police.id)]})
    text = client_for("supervisor").get("/").text
    assert "县财政局" in text and "国网青山县供电公司" not in text
    assert '<span class="num">2</span><span>联系监督的单位</span>' in text


def test_only_supervisors_get_units(county, office_client):
    target = user("unit2")
    assert "联系单位" not in office_client.get(f"/admin/users/{target.id}/edit").text
    office_client.post(f"/admin/users/{target.id}/units", data={"unit_id": str(target.unit_id)})
    assert "只有义务监督员" in office_client.get(f"/admin/users/{target.id}/edit").text


def test_office_cannot_change_its_own_role(county, office_client):
    me = user("office")
    response = office_client.post(f"/admin/users/{me.id}/edit", data={
        "display_name": me.display_name, "role": "leader", "unit_id": "0", "version": me.version})
    assert response.status_code == 422 and "不能修改自己的角色" in response.text
    assert user("office").role == "office"


def test_signing_in_does_not_make_an_open_edit_form_stale(county, office_client, app):
    target = user("unit2")
    version = target.version
    app.test_client().post("/login", data={"username": "unit2", "password": "demo123"})
    response = office_client.post(f"/admin/users/{target.id}/edit", data={
        "display_name": "吴婷婷", "role": "unit", "unit_id": target.unit_id, "version": version})
    assert response.status_code == 302 and user("unit2").display_name == "吴婷婷"


def test_liaison_of_a_stopped_unit_stays_editable(county, office_client):
    from pingyi.units.services import set_unit_active
    target = user("unit2")
    set_unit_active(target.unit, False)
    page = office_client.get(f"/admin/users/{target.id}/edit").text
    assert "县教育局（已停用）" in page
    response = office_client.post(f"/admin/users/{target.id}/edit", data={
        "display_name": "吴婷", "role": "unit", "unit_id": target.unit_id, "phone": "13800000000",
        "version": target.version})
    assert response.status_code == 302
