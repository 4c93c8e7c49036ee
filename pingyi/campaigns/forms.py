"""Campaign settings, new campaign, groups and members."""
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pingyi.campaigns.models import GROUP_SCOPE_LABELS, MEMBER_ROLE_LABELS
from pingyi.forms import Form

DATE_MSG = "请填写有效日期（如 2026-10-20）"


def date_field(label):
    return DateField(label, validators=[DataRequired(message=DATE_MSG)])


class SettingsForm(Form):
    version = HiddenField()
    title = StringField("评议活动名称", validators=[DataRequired(message="请填写名称"), Length(max=200)])
    county_name = StringField("县名", validators=[DataRequired(message="请填写县名"), Length(max=50)],
                              description="如“青山县”，用于文件标题和落款")
    office_name = StringField("纠风办简称", validators=[DataRequired(message="请填写简称"), Length(max=50)])
    office_full_name = StringField("发文机关全称", validators=[DataRequired(message="请填写发文机关全称"),
                                                         Length(max=100)])
    doc_prefix = StringField("发文机关代字", validators=[DataRequired(message="请填写发文机关代字"), Length(max=30)],
                             description="如“青纠风办”：通知、通报为“青纠风办发〔2026〕3号”，反馈通知书为“青纠风办函〔2026〕5号”")
    report_deadline = date_field("书面总结报告截止日期")
    round1_start = date_field("第一轮集中评议（6月）开始")
    round1_end = date_field("第一轮集中评议结束")
    round2_start = date_field("第二轮集中评议（11月）开始")
    round2_end = date_field("第二轮集中评议结束")
    phase1_start = date_field("第一阶段开始")
    phase1_end = date_field("第一阶段结束")
    phase2_start = date_field("第二阶段开始")
    phase2_end = date_field("第二阶段结束")
    phase3_start = date_field("第三阶段开始")
    phase3_end = date_field("第三阶段结束")
    phase4_start = date_field("第四阶段开始")
    phase4_end = date_field("第四阶段结束")
    notice_number = IntegerField("评议工作通知的发文序号", validators=[Optional(), NumberRange(
        min=1, max=9999, message="请填写 1 至 9999 的序号")], description="如填 3，通知的发文字号为“青纠风办发〔2026〕3号”")
    notice_date = DateField("评议工作通知的成文日期", validators=[Optional()])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=40)])
    submit = SubmitField("保存设置")


class NewCampaignForm(Form):
    year = IntegerField("年度", validators=[DataRequired(message="请填写年度"),
                                          NumberRange(min=2000, max=2100, message="请填写四位年份")])
    checklist = SelectField("检查清单", choices=[("previous", "沿用本年度的检查清单"), ("template", "使用检查清单模板")],
                            default="previous")
    submit = SubmitField("开始新年度评议")


class GroupForm(Form):
    version = HiddenField()
    name = StringField("评议组名称", validators=[DataRequired(message="请填写评议组名称"), Length(max=100)])
    scope = SelectField("评议范围", choices=list(GROUP_SCOPE_LABELS.items()))
    description = TextAreaField("说明", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("保存")


class MemberForm(Form):
    name = StringField("姓名", validators=[DataRequired(message="请填写姓名"), Length(max=50)])
    title = StringField("单位及职务", validators=[Optional(), Length(max=100)])
    member_role = SelectField("组内职务", choices=list(MEMBER_ROLE_LABELS.items()), default="member")
    user_id = SelectField("系统账号", coerce=int, description="绑定评议组成员的登录账号，该账号即可看到本组负责的单位")
    submit = SubmitField("保存")
