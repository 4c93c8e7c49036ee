"""Checklist template forms."""
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from pingyi.checklists.models import POLARITY_LABELS
from pingyi.forms import Form


class DimensionForm(Form):
    version = HiddenField()
    name = StringField("评议方面", validators=[DataRequired(message="请填写评议方面名称"), Length(max=50)])
    submit = SubmitField("保存")


class ItemForm(Form):
    version = HiddenField()
    text = TextAreaField("检查内容", validators=[DataRequired(message="请填写检查内容"),
                                              Length(max=500, message="检查内容不超过 500 字")])
    polarity = SelectField("性质", choices=list(POLARITY_LABELS.items()),
                           description="“是否做到”：符合要求为好；“是否存在”：描述问题，存在问题为差")
    submit = SubmitField("保存")
