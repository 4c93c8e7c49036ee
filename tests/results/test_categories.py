"""Categories as data: kept per campaign, width-blind names, the import's class preview, ranking groups
built from categories and the key flag."""
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from pingyi.campaigns import categories
from pingyi.campaigns.categories import same_name
from pingyi.campaigns.models import Category
from pingyi.campaigns.services import participation
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.results import services as results
from pingyi.results.groups import describe, group_index, normalize, overlap, uncovered
from pingyi.units import services as units
from pingyi.units.models import Unit
from pingyi.years.lifecycle import start_campaign
from tests.results.form_data import quota_fields, return_fields
from tests.conftest import unit_named

HEADER = ["单位名称", "类别", "重点评议部门"]


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def unit_count():
    return db.session.scalar(select(func.count(Unit.id)))


@pytest.mark.parametrize("a, b", [("县（一）局", "县(一)局"), ("第１分局", "第1分局"), (" 县 公安局 ", "县公安局"),
                                  ("县公安局\u3000", "县公安局"), ("ＡＢＣ窗口", "abc窗口")])
def test_width_and_space_variants_are_the_same_name(a, b):
    assert same_name(a) == same_name(b)


def test_different_names_stay_different():
    assert same_name("县一局") != same_name("县二局") and same_name("执法监督类") != same_name("社会服务类")


def test_the_plan_s_three_are_the_default_and_are_copied_to_a_new_year(county):
    assert list(categories.labels(county).values()) == ["县政府部门", "县直企事业单位", "驻县单位"]
    window = categories.create(county, "窗口单位")
    categories.save(county, window, window.version, "窗口服务单位", False)
    categories.move(county, window, -1)
    old = categories.categories(county.id)[0]
    categories.save(county, old, old.version, old.name, True)  # retired, still copied as retired
    new = start_campaign(county.year + 1, county)
    copied = categories.categories(new.id)
    assert [(c.key, c.name, c.retired) for c in copied] == \
        [(c.key, c.name, c.retired) for c in categories.categories(county.id)]
    assert "窗口服务单位" in categories.labels(new).values() and old.key not in categories.labels(new, include_retired=False)


def test_duplicate_category_names_are_refused_width_blind(county):
    categories.create(county, "执法监督类（一）")
    with pytest.raises(DomainError, match="重名"):
        categories.create(county, " 执法监督类(一) ")
    with pytest.raises(DomainError, match="请填写类别名称"):
        categories.create(county, "  ")


def test_category_pages_create_rename_retire_and_order(county, office_client):
    page = office_client.get("/admin/categories")
    assert page.status_code == 200 and "县直企事业单位" in page.text
    assert office_client.post("/admin/categories", data={"name": "社会服务类"}).status_code == 302
    refused = office_client.post("/admin/categories", data={"name": "社会服务类 "})
    assert refused.status_code == 422 and "重名" in refused.text and 'value="社会服务类 "' in refused.text
    social = db.session.scalar(select(Category).where(Category.name == "社会服务类"))
    response = office_client.post(f"/admin/categories/{social.id}", data={"name": "社会服务类单位", "retired": "y",
                                                                         "version": social.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert social.name == "社会服务类单位" and social.retired
    stale = office_client.post(f"/admin/categories/{social.id}", data={"name": "x", "version": 1})
    assert stale.status_code == 409
    office_client.post(f"/admin/categories/{social.id}/move", data={"step": "up"})
    db.session.expire_all()
    assert [c.name for c in categories.categories(county.id)][-2] == "社会服务类单位"


def test_import_lists_unknown_classes_with_row_counts_and_writes_nothing(county):
    rows = [HEADER, ["县城管执法局", "执法监督类", "否"], ["县市场监管局", "执法监督类 ", "是"],
            ["县人社服务中心", "社会服务类", "否"], ["县农业农村局", "县政府部门", "否"], ["县医保局", "县（政府）部门", ""]]
    before = unit_count()
    with pytest.raises(units.NeedsMapping) as caught:
        units.import_units("外县名单.xlsx", xlsx(rows), county)
    db.session.rollback()
    assert caught.value.unknown == [("执法监督类", 2), ("社会服务类", 1), ("县（政府）部门", 1)]
    assert unit_count() == before and len(categories.categories(county.id)) == 3


def test_import_creates_or_maps_each_class_on_confirmation(county):
    rows = [HEADER, ["县城管执法局", "执法监督类", "否"], ["县市场监管局", "执法监督类 ", "是"],
            ["县人社服务中心", "社会服务类", "否"]]
    department = "department"
    mapping = {same_name("执法监督类"): "new", same_name("社会服务类"): department}
    created = units.import_units("外县名单.xlsx", xlsx(rows), county, mapping)
    assert len(created) == 3
    enforcement = categories.match(county, "执法监督类")
    assert enforcement is not None and enforcement.name == "执法监督类"
    assert unit_named("县城管执法局").category == unit_named("县市场监管局").category == enforcement.key
    assert unit_named("县人社服务中心").category == department
    assert participation(county, unit_named("县市场监管局")).is_key
    assert unit_named("县城管执法局").category_label == "执法监督类"


def test_one_bad_row_imports_nothing_even_with_a_mapping(county):
    rows = [HEADER, ["县城管执法局", "执法监督类", "否"], ["县公安局", "执法监督类", "否"]]  # a duplicate
    before = unit_count()
    with pytest.raises(units.ImportRefused):
        units.import_units("x.xlsx", xlsx(rows), county, {same_name("执法监督类"): "new"})
    db.session.rollback()
    assert unit_count() == before and categories.match(county, "执法监督类") is None


def test_width_variant_unit_names_are_duplicates(county):
    rows = [HEADER, ["县 公安局", "县政府部门", "否"], ["县档案馆（一）", "县政府部门", "否"], ["县档案馆(一)", "县政府部门", "否"]]
    with pytest.raises(units.ImportRefused) as caught:
        units.import_units("x.xlsx", xlsx(rows), county)
    db.session.rollback()
    messages = [p[2] for p in caught.value.problems]
    assert "“县 公安局”与系统中已有单位重名" in messages and "“县档案馆(一)”与第 3 行重复" in messages
    with pytest.raises(DomainError, match="全角半角"):
        units.create_unit({"name": "县 公安局", "category": "department"}, county)


def test_import_pages_preview_confirm_and_cancel(county, office_client):
    rows = [HEADER, ["县城管执法局", "执法监督类", "否"], ["县供水公司", "垄断行业", "否"], ["县自来水厂", "垄断行业", "否"]]
    upload = {"file": (io.BytesIO(xlsx(rows)), "外县名单.xlsx")}
    preview = office_client.post("/admin/units/import", data=upload, content_type="multipart/form-data")
    assert preview.status_code == 200 and "确认之前不会写入任何内容" in preview.text
    assert "执法监督类" in preview.text and "垄断行业" in preview.text and unit_named("县供水公司") is None
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    cancel = office_client.post("/admin/units/import/confirm", data={"token": token, "action": "cancel"})
    assert cancel.status_code == 302 and unit_named("县供水公司") is None
    again = office_client.post("/admin/units/import/confirm", data={"token": token, "action": "confirm"})
    assert again.status_code == 302 and unit_named("县供水公司") is None  # the kept file is gone
    preview = office_client.post("/admin/units/import", data={"file": (io.BytesIO(xlsx(rows)), "外县名单.xlsx")},
                                 content_type="multipart/form-data")
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    missing = office_client.post("/admin/units/import/confirm", data={
        "token": token, "filename": "外县名单.xlsx", "action": "confirm", f"class-{same_name('执法监督类')}": "new"})
    assert missing.status_code == 422 and "请选择新建该类别或归入哪个已有类别" in missing.text
    done = office_client.post("/admin/units/import/confirm", data={
        "token": token, "filename": "外县名单.xlsx", "action": "confirm", f"class-{same_name('执法监督类')}": "new",
        f"class-{same_name('垄断行业')}": "new"})
    assert done.status_code == 302
    assert unit_named("县供水公司").category_label == "垄断行业" and unit_named("县自来水厂").category_label == "垄断行业"
    assert "垄断行业" in office_client.get("/admin/categories").text


def test_old_scopes_read_as_categories_and_key_rule():
    assert normalize({"name": "驻县", "scope": "stationed", "published": True}) == \
        {"name": "驻县", "categories": ["stationed"], "key": "exclude", "published": True}
    assert normalize({"name": "重点", "scope": "key", "published": False})["key"] == "only"


def test_any_number_of_groups_from_categories_and_the_key_flag():
    groups = [{"name": "重点", "categories": [], "key": "only", "published": True},
              {"name": "执法与经济", "categories": ["c-law", "c-econ"], "key": "exclude", "published": True},
              {"name": "社会服务", "categories": ["c-social"], "key": "exclude", "published": True},
              {"name": "窗口与垄断", "categories": ["c-window", "c-monopoly"], "key": "include", "published": False}]
    assert group_index(groups, "c-law", True) == 0 and group_index(groups, "c-econ", False) == 1
    assert group_index(groups, "c-social", False) == 2 and group_index(groups, "c-monopoly", False) == 3
    assert group_index(groups, "c-other", False) is None
    labels = {"c-law": "执法监督类", "c-econ": "经济管理类", "c-social": "社会服务类", "c-window": "窗口单位",
              "c-monopoly": "垄断行业", "c-other": "其他"}
    assert describe(groups[1], labels) == "执法监督类、经济管理类（不含重点评议部门）"
    assert describe(groups[0], labels) == "重点评议部门"
    assert uncovered(groups, labels) == ["其他"]
    assert not overlap(groups[0], groups[1]) and overlap(groups[3], {"name": "x", "categories": [], "key": "include"})
    assert overlap({"categories": ["a"], "key": "include", "name": "1"}, {"categories": ["a"], "key": "only", "name": "2"})


def _settings_form(config, groups):
    from pingyi.exact import exact_text
    from tests.results.forms import component_fields
    data = dict(component_fields(config))
    data.update(**return_fields(), veto_severity=config.veto_severity, veto_grade=config.veto_grade,
                version=config.version, top_text="", bottom_text="", missing_rule="redistribute")
    for n, g in enumerate(config.grades):
        data.update({f"grade-{n}-name": g["name"], f"grade-{n}-min": g["min"] or "", f"grade-{n}-inclusive": "y"})
    for n, (name, cats, key) in enumerate(groups):
        data.update({f"group-{n}-name": name, f"group-{n}-categories": cats, f"group-{n}-key": key,
                     f"group-{n}-published": "y", **quota_fields(n)})
    return data


def test_settings_build_groups_from_categories_and_refuse_overlaps(county, office_client):
    window = categories.create(county, "窗口单位")
    db.session.commit()
    config = results.config_for(county)
    overlapping = _settings_form(config, [("县直", ["department", "institution"], "include"),
                                          ("重点", [], "only")])
    response = office_client.post("/results/settings", data=overlapping)
    assert response.status_code == 400 and "与“县直”包括的单位重叠" in response.text
    good = _settings_form(config, [("重点", [], "only"), ("县直", ["department", "institution"], "exclude"),
                                   ("驻县", ["stationed"], "exclude"), ("窗口", [window.key], "exclude")])
    saved = office_client.post("/results/settings", data=good)
    assert saved.status_code == 302, [line for line in saved.text.splitlines() if "error" in line]
    db.session.expire_all()
    assert [g["name"] for g in results.config_for(county).groups] == ["重点", "县直", "驻县", "窗口"]
    police = unit_named("县公安局")
    police.category = window.key
    participation(county, police).is_key = False
    db.session.commit()
    detail = results.compute(county)["details"][police.id]
    assert detail["group"] == 3


def test_units_page_and_filters_show_a_new_category(county, office_client):
    window = categories.create(county, "窗口单位")
    unit_named("县公安局").category = window.key
    db.session.commit()
    page = office_client.get(f"/units?category={window.key}")
    assert page.status_code == 200 and "县公安局" in page.text and "窗口单位" in page.text
    assert office_client.get("/board").status_code == 200
    assert office_client.get("/").status_code == 200
