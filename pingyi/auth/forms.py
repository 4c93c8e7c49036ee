"""Sign-in, password and user administration forms."""
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from pingyi.auth.roles import ROLE_LABELS
from pingyi.forms import Form


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired(message="请填写用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(message="请填写密码")])
    submit = SubmitField("登录")


class PasswordForm(Form):
    old_password = PasswordField("原密码", validators=[DataRequired(message="请填写原密码")])
    new_password = PasswordField("新密码", validators=[DataRequired(message="请填写新密码")],
                                 description="至少 8 位，须同时包含字母和数字")
    confirm = PasswordField("确认新密码", validators=[DataRequired(message="请再次填写新密码"),
                                                 EqualTo("new_password", message="两次填写的新密码不一致")])
    submit = SubmitField("修改密码")


class UserForm(Form):
    version = HiddenField()
    username = StringField("用户名", validators=[
        DataRequired(message="请填写用户名"), Length(max=64, message="用户名不超过 64 个字符"),
        Regexp(r"^[A-Za-z0-9_.\-]+$", message="用户名只能包含字母、数字、下划线、点和短横线")])
    display_name = StringField("姓名", validators=[DataRequired(message="请填写姓名"), Length(max=64)])
    role = SelectField("角色", choices=list(ROLE_LABELS.items()))
    unit_id = SelectField("所属单位", coerce=int, description="仅“单位联络员”需要绑定单位")
    phone = StringField("联系电话", validators=[Optional(), Length(max=40)])
    password = PasswordField("初始密码", description="至少 8 位，须同时包含字母和数字；用户首次登录时须修改")
    submit = SubmitField("保存")


class ResetPasswordForm(Form):
    password = PasswordField("新密码", validators=[DataRequired(message="请填写新密码")],
                             description="用户下次登录时须修改此密码")
    submit = SubmitField("重置密码")
