"""The six-dimension checklist: defaults from the plan, polarity, editing the template and a campaign's copy."""
from pingyi.campaigns.services import current_campaign
from pingyi.checklists import services
from pingyi.extensions import db


def test_default_checklist_has_six_dimensions_of_three_items_with_polarity(county):
    dims = services.dimensions()
    assert [d.name for d in dims] == ["责任落实", "依法行政", "政务公开", "服务质量", "清正廉洁", "制度建设"]
    assert all(len(d.items) == 3 for d in dims)
    exist = [i.text for d in dims for i in d.items if i.polarity == "exist"]
    assert len(exist) == 6 and any("乱收费、乱罚款、乱摊派" in t for t in exist)
    assert all(t.startswith("是否存在") for t in exist)


def test_campaign_has_its_own_copy(county):
    template = services.dimensions()
    copy = services.dimensions(current_campaign().id)
    assert [d.name for d in copy] == [d.name for d in template]
    assert {d.id for d in copy}.isdisjoint({d.id for d in template})


def test_office_edits_the_template_without_touching_the_campaign(county, office_client):
    item = services.dimensions()[1].items[0]
    response = office_client.post(f"/admin/checklist/template/items/{item.id}/edit", data={
        "text": "是否做到严格依法审批、依法收费、依法处罚、依法强制", "polarity": "achieve", "version": item.version})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.text.endswith("依法强制")
    assert not services.dimensions(current_campaign().id)[1].items[0].text.endswith("依法强制")


def test_add_move_and_delete_items(county, office_client):
    dim = services.dimensions()[0]
    office_client.post(f"/admin/checklist/template/dimensions/{dim.id}/items",
                       data={"text": "是否存在台账不全的问题", "polarity": "exist"})
    db.session.refresh(dim)
    new = dim.items[-1]
    assert len(dim.items) == 4 and new.polarity_label == "是否存在"
    office_client.post(f"/admin/checklist/template/items/{new.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert dim.items[2].id == new.id
    office_client.post(f"/admin/checklist/template/items/{new.id}/delete")
    db.session.expire_all()
    assert len(dim.items) == 3


def test_dimensions_are_reordered_and_renamed(county, office_client):
    second = services.dimensions()[1]
    office_client.post(f"/admin/checklist/template/dimensions/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert services.dimensions()[0].name == "依法行政"
    office_client.post(f"/admin/checklist/template/dimensions/{second.id}/edit",
                       data={"name": "依法行政（含执法）", "version": second.version})
    db.session.refresh(second)
    assert second.name == "依法行政（含执法）"


def test_dimension_with_items_cannot_be_deleted(county, office_client):
    dim = services.dimensions()[0]
    office_client.post(f"/admin/checklist/template/dimensions/{dim.id}/delete")
    assert db.session.get(type(dim), dim.id) is not None


def test_empty_item_is_refused_with_a_message(county, office_client):
    dim = services.dimensions()[0]
    response = office_client.post(f"/admin/checklist/template/dimensions/{dim.id}/items",
                                  data={"text": "", "polarity": "achieve"})
    assert response.status_code == 422 and "请填写检查内容" in response.text


def test_stale_item_edit_is_refused(county, office_client):
    item = services.dimensions()[0].items[0]
    data = {"text": "甲", "polarity": "achieve", "version": item.version}
    office_client.post(f"/admin/checklist/template/items/{item.id}/edit", data=data)
    response = office_client.post(f"/admin/checklist/template/items/{item.id}/edit", data=dict(data, text="乙"))
    assert response.status_code == 422 and "已被他人修改" in response.text
    db.session.refresh(item)
    assert item.text == "甲"


def test_a_campaign_item_cannot_be_edited_through_the_template_address(county, office_client):
    item = services.dimensions(current_campaign().id)[0].items[0]
    assert office_client.get(f"/admin/checklist/template/items/{item.id}/edit").status_code == 404


def test_a_dimension_asked_about_in_a_questionnaire_is_not_deleted(county, office_client):
    from pingyi.surveys import services as surveys
    dim = services.save_dimension(county.id, None, None, "便民服务")
    q = surveys.questionnaires(county.id)[0]
    rows = [{"id": x.id, "text": x.text, "dimension_id": x.dimension_id} for x in q.questions]
    surveys.save_questionnaire(county, q, q.version, q.title, q.intro, q.double_entry,
                               rows + [{"id": None, "text": "您对该单位便民服务的评价", "dimension_id": dim.id}])
    response = office_client.post(f"/admin/checklist/campaign/dimensions/{dim.id}/delete")
    assert response.status_code < 500
    assert db.session.get(type(dim), dim.id) is not None
