"""Feedback notice editing forms."""
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from pingyi.forms import Form


class NoticeForm(Form):
    version = HiddenField()
    overall = TextAreaField("总体评价", validators=[Length(max=5000)])
    answer_deadline = DateField("整改方案和承诺书报送期限", validators=[DataRequired(message="请填写有效日期")])


class ItemForm(Form):
    version = HiddenField()
    dimension_id = SelectField("评议方面", coerce=int)
    problem = TextAreaField("存在的问题", validators=[DataRequired(message="请填写问题"), Length(max=2000)])
    suggestion = TextAreaField("整改建议", validators=[Length(max=2000)])
    deadline = DateField("整改时限", validators=[DataRequired(message="请填写有效的整改时限")])
