"""Answer, progress, verification, re-check, extension and commitment-letter forms."""
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from pingyi.forms import Form
from pingyi.rectifications.models import CHECK_LABELS, KIND_LABELS


class AnswerForm(Form):
    version = HiddenField()
    kind = RadioField("整改方式", choices=list(KIND_LABELS.items()), validators=[InputRequired(message="请选择整改方式")])
    measures = TextAreaField("整改措施 / 整改计划", validators=[Optional(), Length(max=3000)])
    commitment = TextAreaField("向社会公开的承诺", validators=[Optional(), Length(max=2000)])
    leader = StringField("责任领导", validators=[Optional(), Length(max=100)])
    department = StringField("责任部门", validators=[Optional(), Length(max=100)])
    owner = StringField("责任人", validators=[Optional(), Length(max=100)])
    deadline = DateField("完成时限", validators=[Optional()])
    explanation = TextAreaField("情况说明（政策性问题）", validators=[Optional(), Length(max=3000)])


class UpdateForm(Form):
    note = TextAreaField("进展情况", validators=[Length(max=3000)])
    files = MultipleFileField("佐证材料")
    completes = BooleanField("整改已完成，报请核实")


class VerifyForm(Form):
    result = RadioField("核实结论", choices=[("pass", "已整改到位"), ("fail", "未整改到位")],
                        validators=[InputRequired(message="请选择核实结论")])
    comment = TextAreaField("核实意见", validators=[Optional(), Length(max=2000)])


class RecheckForm(Form):
    result = SelectField("核查结论", choices=list(CHECK_LABELS.items()))
    checked_on = DateField("核查日期", validators=[InputRequired(message="请填写核查日期")])
    note = TextAreaField("核查情况", validators=[Length(max=2000)])


class ExtensionForm(Form):
    requested_deadline = DateField("申请延期至", validators=[InputRequired(message="请填写新的完成时限")])
    reason = TextAreaField("延期理由", validators=[Length(max=2000)])


class DecisionForm(Form):
    decision = HiddenField()
    comment = TextAreaField("审批意见", validators=[Optional(), Length(max=1000)])


class LetterForm(Form):
    files = MultipleFileField("签字盖章的承诺书扫描件")
