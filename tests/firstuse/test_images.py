"""Photos: HEIC converted to JPEG, oversized photos shrunk on upload, shown re-encoded as thumbnail and view."""
import io

import pillow_heif
from PIL import Image
from sqlalchemy import select

from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.files.services import file_path
from pingyi.images import MAX_SIDE, prepare_upload
from pingyi.tasks import services
from tests.conftest import unit_named, user
from tests.tasks.test_board_services import task_named


def _jpeg(width, height):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _heic():
    image = Image.new("RGB", (640, 480), (20, 120, 200))
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=50)
    return out.getvalue()


def test_heic_becomes_jpeg_and_big_photos_shrink():
    name, data = prepare_upload("现场.HEIC", _heic())
    assert name == "现场.jpg" and data[:3] == b"\xff\xd8\xff"
    name, data = prepare_upload("大图.jpg", _jpeg(4000, 3000))
    assert max(Image.open(io.BytesIO(data)).size) == MAX_SIDE
    small = _jpeg(800, 600)
    assert prepare_upload("小图.jpg", small) == ("小图.jpg", small)


def test_photos_are_shown_re_encoded(county, client_for):
    task, unit = task_named("书面总结报告"), unit_named("县司法局")
    sub = services.submit(task, unit, user("office"), "附现场照片", [("现场.heic", _heic())])
    stored = db.session.scalar(select(StoredFile).where(StoredFile.submission_id == sub.id,
                                                        StoredFile.superseded.is_(False)))
    assert stored.original_name == "现场.jpg" and stored.kind == "jpg" and file_path(stored).exists()
    client = client_for("office")
    thumb = client.get(f"/files/{stored.id}/thumb.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 240
    assert client_for("unit2").get(f"/files/{stored.id}/view.jpg").status_code == 404
