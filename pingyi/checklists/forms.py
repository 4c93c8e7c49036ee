"""Checklist template forms."""
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from pingyi.checklists.models import POLARITY_LABELS, RATING_LABELS
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


class AssessmentForm(Form):
    version = HiddenField()
    rating = RadioField("评价", choices=list(RATING_LABELS.items()),
                        validators=[InputRequired(message="请选择评价结果")])
    explanation = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不超过 2000 字")])
    files = MultipleFileField("佐证材料")
    submit = SubmitField("保存")
