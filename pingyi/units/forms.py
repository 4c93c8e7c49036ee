"""Unit, participation and import forms."""
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pingyi.campaigns.categories import label_for, labels
from pingyi.campaigns.services import current_campaign
from pingyi.forms import Form
from pingyi.units.models import CATEGORY_LABELS


class UnitForm(Form):
    version = HiddenField()
    name = StringField("单位全称", validators=[DataRequired(message="请填写单位全称"),
                                            Length(max=100, message="单位全称不超过 100 个字")])
    short_name = StringField("简称", validators=[Optional(), Length(max=50, message="简称不超过 50 个字")])
    category = SelectField("类别", choices=[("", "请选择")] + list(CATEGORY_LABELS.items()),
                           validators=[DataRequired(message="请选择类别")])  # the campaign's, set in __init__
    is_key = BooleanField("本年度重点评议部门")
    head_name = StringField("主要负责人", validators=[Optional(), Length(max=50)])
    contact_name = StringField("联络员", validators=[Optional(), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=40)])
    address = StringField("地址", validators=[Optional(), Length(max=200)])
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("保存")

    def __init__(self, *args, **kwargs):
        """The category choices are the current campaign's active categories (and a unit's retired one)."""
        super().__init__(*args, **kwargs)
        choices = labels(current_campaign(), include_retired=False)
        unit = kwargs.get("obj")
        if unit is not None and unit.category and unit.category not in choices:
            choices[unit.category] = f"{label_for(unit.category)}（已停用）"
        self.category.choices = [("", "请选择")] + list(choices.items())


class ParticipationForm(Form):
    version = HiddenField()
    is_key = BooleanField("重点评议部门")
    group_id = SelectField("评议组", coerce=int)
    submit = SubmitField("保存")


class ImportForm(Form):
    file = FileField("单位名单文件（.xlsx 或 .csv）", validators=[FileRequired(message="请选择要导入的文件")])
    submit = SubmitField("导入")
