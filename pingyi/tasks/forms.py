"""Task editing, submission and review forms."""
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pingyi.forms import Form
from pingyi.tasks.models import ACTOR_LABELS


class TaskForm(Form):
    version = HiddenField()
    title = StringField("任务名称", validators=[DataRequired(message="请填写任务名称"), Length(max=100)])
    phase_number = SelectField("阶段", coerce=int)
    actor = SelectField("由谁办理", choices=list(ACTOR_LABELS.items()))
    due_date = DateField("截止日期", validators=[DataRequired(message="请填写有效的截止日期（如 2026-06-30）")])
    requires_file = BooleanField("须上传文件")
    description = TextAreaField("说明", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("保存")


class SubmitForm(Form):
    version = HiddenField()
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不超过 2000 字")])
    files = MultipleFileField("文件", description="PDF、Word、WPS、Excel、JPG、PNG，单个不超过 20 MB；上传新文件会替换之前提交的文件")
    submit = SubmitField("提交")


class ReturnForm(Form):
    reason = TextAreaField("退回原因", validators=[DataRequired(message="请填写退回原因"), Length(max=1000)])
    resubmit_due = DateField("补交期限", validators=[Optional()])
    submit = SubmitField("退回")
