"""Meaningful plain-ASCII fallback names for downloads with Chinese names.

Werkzeug sends `filename*=UTF-8''…` (the real name) and a plain `filename=` for old clients, made by
dropping every non-ASCII character: 县公安局_整改承诺书_2026.docx became `__2026.docx`. The fallback is
rewritten here from the name's known words and the record ids in the address:
`pingyi-commitment-2026-4.docx`.
"""
import re
from pathlib import PurePosixPath
from urllib.parse import unquote

from flask import request

WORDS = (  # longest first: 整改通知书 before 通知书
    ("评议意见反馈通知书", "feedback-notice"), ("反馈通知书", "feedback-notice"), ("整改通知书", "rectification-notice"),
    ("整改承诺书", "commitment"), ("评议结果通报", "bulletin"), ("通报", "bulletin"), ("评议结果", "results"),
    ("综合评定", "results"), ("检查与问题", "findings"), ("问题", "findings"), ("评议单位", "units"),
    ("单位名单", "units"), ("操作日志", "audit"), ("答题码", "codes"), ("问卷", "questionnaire"),
    ("文档", "documents"), ("预览", "preview"),
)


def fallback_name(original, view_args=None):
    """`pingyi-<what>-<numbers>.<ext>` for a Chinese file name; ASCII names are kept as they are."""
    if original.isascii():
        return original
    path = PurePosixPath(original)
    ext = "".join(c for c in path.suffix if c.isascii() and (c.isalnum() or c == "."))
    stem = path.stem
    words = []
    for chinese, english in WORDS:
        if chinese in stem and english not in words:
            words.append(english)
            stem = stem.replace(chinese, " ")
    words += re.findall(r"[A-Za-z0-9]+", stem)
    if not any(w.isalpha() for w in words):
        words.insert(0, "file")
    words += [str(v) for k, v in sorted((view_args or {}).items()) if isinstance(v, int) and str(v) not in words]
    return "-".join(["pingyi", *words]) + ext


def install(app):
    @app.after_request
    def ascii_fallback(response):
        disposition = response.headers.get("Content-Disposition", "")
        match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
        if match:
            name = fallback_name(unquote(match.group(1)), request.view_args)
            disposition = re.sub(r'filename="?[^;"]*"?(?=;|$)', f"filename={name}", disposition, count=1)
            response.headers["Content-Disposition"] = disposition
        return response
