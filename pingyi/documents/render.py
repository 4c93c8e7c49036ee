"""Lay documents out with LibreOffice headless: PDF, page count, page images for the browser preview.

LibreOffice is optional on a server. Without it documents are still built (their 版记 placed by the
builder's default) and the preview page offers the .docx download instead of page images. Fonts: the
official names (仿宋_GB2312, 方正小标宋简体, …) are mapped to installed fonts by fonts.conf beside this file,
passed to soffice through FONTCONFIG_FILE (DOCUMENTS.md §4); Chinese characters are one em wide in every
one of them, so line and page breaks match the real fonts.
"""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app, has_app_context

FONTS_CONF = Path(__file__).with_name("fonts.conf")
TIMEOUT = 120                                            # seconds for one conversion
PREVIEW_DPI = 60


class RenderError(Exception):
    """LibreOffice is missing, timed out or produced no PDF."""


def soffice():
    """The soffice executable, or None when LibreOffice is not installed (config SOFFICE overrides)."""
    if has_app_context() and "SOFFICE" in current_app.config:
        return current_app.config["SOFFICE"] or None
    return shutil.which("soffice")


def _env(profile):
    env = dict(os.environ, HOME=str(profile), FONTCONFIG_FILE=str(FONTS_CONF))
    env.pop("SAL_USE_VCLPLUGIN", None)
    return env


def to_pdf(docx: bytes, executable=None) -> bytes:
    """The .docx laid out by LibreOffice as PDF. Each call has its own profile directory
    (-env:UserInstallation), so conversions running at the same time do not collide."""
    executable = executable or soffice()
    if not executable:
        raise RenderError("服务器未安装 LibreOffice，无法预览版面")
    with tempfile.TemporaryDirectory(prefix="pingyi-render-") as tmp:
        tmp = Path(tmp)
        source = tmp / "document.docx"
        source.write_bytes(docx)
        profile = tmp / "profile"
        try:
            subprocess.run([executable, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                            "--convert-to", "pdf", "--outdir", str(tmp), str(source)],
                           env=_env(tmp), capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as e:
            raise RenderError("排版超时") from e
        pdf = tmp / "document.pdf"
        if not pdf.exists():
            raise RenderError("LibreOffice 未能生成 PDF")
        return pdf.read_bytes()


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def paginated(kind, data, builder, executable=None):
    """(docx, pdf): the document laid out by LibreOffice with its 版记 on 封四, an even page: at the foot
    of the text's last page when that is even and has room; else on a page of its own without a page
    number, after a blank one when the text ends on an even page. Raises RenderError without LibreOffice."""
    from pingyi.documents.builders import WITH_COLOPHON
    if kind not in WITH_COLOPHON:
        docx = builder(data)
        return docx, to_pdf(docx, executable)
    text_pages = page_count(to_pdf(builder(dict(data, colophon_own_page=-1)), executable))
    if text_pages % 2 == 0:
        docx = builder(data)
        pdf = to_pdf(docx, executable)
        if page_count(pdf) == text_pages:
            return docx, pdf
    docx = builder(dict(data, colophon_own_page=1 if text_pages % 2 else 2))
    return docx, to_pdf(docx, executable)


def paginates(kind):
    """Whether documents of `kind` are paginated here: LibreOffice is installed and DOCUMENT_PAGINATE (on
    outside tests) allows. A builder process, which has no app, is told (finished's `paginate`)."""
    from pingyi.documents.builders import WITH_COLOPHON
    return bool(kind in WITH_COLOPHON and soffice() and has_app_context() and current_app.config.get(
        "DOCUMENT_PAGINATE", not current_app.config.get("TESTING")))


def finished(kind, data, builder, paginate=None, executable=None):
    """The document to hand out: paginated when `paginate` (by default: paginates(kind)), else as built."""
    if paginate is None:
        paginate, executable = paginates(kind), soffice()
    if not paginate:
        return builder(data)
    try:
        return paginated(kind, data, builder, executable)[0]
    except RenderError:
        return builder(data)


def preview_dir():
    """Cached page images: PREVIEW_DIR, else beside the upload folder (instance/previews by default)."""
    if current_app.config.get("PREVIEW_DIR"):
        return Path(current_app.config["PREVIEW_DIR"])
    return Path(current_app.config["UPLOAD_DIR"]).parent / "previews"


def page_images(docx: bytes, pdf: bytes | None = None):
    """(sha256, page file names) of the document rendered as PNG pages (from `pdf` when already laid out),
    cached under the instance folder by the document's sha256; raises RenderError when LibreOffice is
    missing or fails."""
    digest = hashlib.sha256(docx).hexdigest()
    folder = preview_dir() / digest
    pages = sorted(folder.glob("page-*.png")) if folder.is_dir() else []
    if not pages:
        if not shutil.which("pdftoppm"):
            raise RenderError("服务器未安装 poppler-utils（pdftoppm），无法预览版面")
        pdf = pdf or to_pdf(docx)
        work = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=_parent(folder)))
        try:
            (work / "document.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-png", "-r", str(PREVIEW_DPI), str(work / "document.pdf"), str(work / "page")],
                           capture_output=True, timeout=TIMEOUT, check=False)
            (work / "document.pdf").unlink()
            if not list(work.glob("page-*.png")):
                raise RenderError("未能生成页面图片")
            try:
                work.rename(folder)                          # atomic: a parallel request finds all pages or none
            except OSError:
                shutil.rmtree(work, ignore_errors=True)      # another request got there first
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        pages = sorted(folder.glob("page-*.png"))
    return digest, [p.name for p in sorted(pages, key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))]


def _parent(folder):
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder.parent


def page_file(digest, name):
    """A cached page image's path, or None for anything that is not one."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or not re.fullmatch(r"page-\d+\.png", name):
        return None
    path = preview_dir() / digest / name
    return path if path.is_file() else None
