"""The base form: Flask-WTF with WTForms' built-in Chinese messages."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ("zh_CN", "zh")
