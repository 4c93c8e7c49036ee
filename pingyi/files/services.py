"""Check uploads by extension and content, store them outside the web root, serve them back."""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.text import clean_filename

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
SIGNATURES = {  # extension -> accepted leading bytes (content must match the name)
    "pdf": (b"%PDF-",),
    "doc": (OLE2,),
    "xls": (OLE2,),
    "wps": (OLE2, ZIP),
    "docx": (ZIP,),
    "xlsx": (ZIP,),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
ALLOWED_LABEL = "PDF、Word（doc/docx）、WPS、Excel（xls/xlsx）、JPG、PNG、HEIC（苹果手机照片）"


def upload_dir():
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_name(filename):
    """The file's own name without any directory part, control, bidi or path character sent along."""
    return clean_filename(filename)


def check_upload(filename, data):
    """Return the file's kind, or raise with the Chinese reason it is refused."""
    name = clean_name(filename)
    if name.rsplit(".", 1)[-1].lower() in ("heic", "heif") and data[4:8] == b"ftyp":
        return "jpg"  # an iPhone photo: stored converted to JPEG (pingyi/images.py)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in SIGNATURES:
        raise DomainError(f"“{name}”的文件类型不允许，请上传 {ALLOWED_LABEL} 文件")
    if not data:
        raise DomainError(f"“{name}”是空文件，请重新选择")
    if len(data) > limit:
        raise DomainError(f"“{name}”超过 {limit // (1024 * 1024)} MB 的大小限制")
    if not data.startswith(SIGNATURES[ext]):
        raise DomainError(f"“{name}”的内容与扩展名 .{ext} 不符，可能已损坏或被改名，请上传原始文件")
    if ext in ("docx", "xlsx") and b"[Content_Types].xml" not in data:
        raise DomainError(f"“{name}”不是有效的 Office 文档")
    return "jpg" if ext == "jpeg" else ext


def read_limited(stream):
    """Read an upload stream, stopping one byte past the limit so a huge file is never held whole."""
    return stream.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)


def store_file(filename, data, unit_id, user, **links):
    """Write a checked upload under a random name and add its StoredFile row (caller commits).
    HEIC photos are stored as JPEG and oversized photos shrunk (pingyi/images.py)."""
    from pingyi.images import prepare_upload
    check_upload(filename, data)
    filename, data = prepare_upload(filename, data)
    kind = check_upload(filename, data)
    stored_name = secrets.token_hex(16)
    path = upload_dir() / stored_name
    with open(path, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)
    db.session.info.setdefault("written_files", []).append(path)
    record = StoredFile(unit_id=unit_id, original_name=clean_name(filename), stored_name=stored_name,
                        sha256=hashlib.sha256(data).hexdigest(), size=len(data), kind=kind,
                        uploaded_by_id=user.id if user else None, **links)
    db.session.add(record)
    return record


def file_path(stored):
    return upload_dir() / stored.stored_name


@event.listens_for(Session, "after_commit")
def _keep_written_files(session):
    session.info.pop("written_files", None)


@event.listens_for(Session, "after_transaction_end")
def _remove_files_of_failed_saves(session, transaction):
    """A save that was rolled back (or never committed) leaves none of the files it wrote behind."""
    if transaction.parent is None:
        for path in session.info.pop("written_files", ()):
            Path(path).unlink(missing_ok=True)
