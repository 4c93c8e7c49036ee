"""The inspection entry form (with any number of findings) and the review forms."""
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Length, Optional

from pingyi.findings.models import METHOD_LABELS, SEVERITY_LABELS, SOURCE_LABELS
from pingyi.forms import CleanMeta, Form


class FindingEntry(PlainForm):
    """One finding row inside the inspection form (no CSRF of its own)."""

    class Meta(CleanMeta):
        pass

    dimension_id = SelectField("评议方面", coerce=int)
    item_id = SelectField("检查项（可不选）", coerce=int)
    description = TextAreaField("问题描述", validators=[Length(max=2000)])
    severity = SelectField("严重程度", choices=list(SEVERITY_LABELS.items()), default="minor")
    source = SelectField("问题来源", choices=list(SOURCE_LABELS.items()))
    reporter = StringField("反映人及联系方式（可不填）", validators=[Optional(), Length(max=200)])
    confidential = BooleanField("反映人信息保密（被评议单位看不到）")
    files = MultipleFileField("照片或证据文件")


class InspectionForm(Form):
    version = HiddenField()
    unit_id = SelectField("被评议单位", coerce=int)
    method = SelectField("检查方式", choices=list(METHOD_LABELS.items()))
    held_on = DateField("检查日期", validators=[DataRequired(message="请填写检查日期")])
    place = StringField("地点", validators=[Optional(), Length(max=200)])
    participants = StringField("参加人员", validators=[Optional(), Length(max=500)])
    summary = TextAreaField("检查情况", validators=[Optional(), Length(max=5000)])
    findings = FieldList(FormField(FindingEntry), min_entries=0)
    opinions = TextAreaField("群众意见建议（每行一条）", validators=[Optional(), Length(max=5000)])
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("提交")


class ReasonForm(Form):
    reason = TextAreaField("理由", validators=[DataRequired(message="请填写理由"), Length(max=1000)])
