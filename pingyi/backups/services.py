"""Back up and restore the whole instance: one .zip holding a consistent database snapshot (SQLite's online
backup API, or pg_dump for PostgreSQL), every file under UPLOAD_DIR (evidence, issued documents, batch
zips) and manifest.json (schema revision, row counts per table, sha256 and size of every file)."""
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import MetaData, create_engine, func, inspect, select, table, text

from pingyi.audit.services import record
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job

FORMAT = 1
NAME = re.compile(r"^pingyi-backup-\d{8}-\d{6}(-\d+)?\.zip$")
SQLITE_ENTRY, PG_ENTRY = "database.sqlite3", "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(DomainError):
    """The archive cannot be made or restored; the message says why, in Chinese."""


def backup_dir(folder=None):
    path = Path(folder or current_app.config["BACKUP_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_postgres():
    return db.engine.dialect.name == "postgresql"


def _pg_tool(name):
    """pg_dump / pg_restore: PINGYI_PG_BIN, then PATH, then Debian's versioned folders (newest first)."""
    configured = current_app.config.get("PG_BIN")
    if configured:
        return str(Path(configured) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1]
    raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client），或用 PINGYI_PG_BIN 指定其所在目录")


def _pg_args(url):
    """libpq arguments for the engine's URL (the password goes through the environment, not argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--dbname", url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)]
    return args, env


def _counts(connection, names):
    return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in sorted(names)}


def _revision(connection, names):
    if "alembic_version" not in names:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _snapshot_sqlite(target):
    """Copy the live database with SQLite's online backup API: one consistent state, writers not stopped
    (in WAL mode they go on while it copies)."""
    raw = db.engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        with destination:
            raw.driver_connection.backup(destination)
        destination.close()
    finally:
        raw.close()
    engine = create_engine(f"sqlite:///{target}")
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names()]
        info = {"tables": _counts(connection, [n for n in names if n != "alembic_version"]),
                "schema_revision": _revision(connection, names)}
    engine.dispose()
    return info


def _snapshot_postgres(target):
    """pg_dump (custom format) of one exported snapshot; the row counts come from that same snapshot."""
    url = db.engine.url
    args, env = _pg_args(url)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        names = inspect(connection).get_table_names()
        info = {"tables": _counts(connection, [n for n in names if n != "alembic_version"]),
                "schema_revision": _revision(connection, names)}
        done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                               f"--snapshot={snapshot}", "--file", str(target), *args],
                              env=env, capture_output=True, text=True)
        connection.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
    return info


def _archive_name(folder):
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name, n = f"pingyi-backup-{stamp}.zip", 1
    while (folder / name).exists() or (folder / (name + ".partial")).exists():
        n += 1
        name = f"pingyi-backup-{stamp}-{n}.zip"
    return name


def create_backup(folder=None, keep=None):
    """Write one archive into the backup folder (or `folder`) and return its path; with `keep`, remove
    all but the newest `keep` archives. The database is copied first, then the files: a file is written
    before the row that names it, so every file the snapshot refers to is already there."""
    folder = backup_dir(folder)
    uploads = Path(current_app.config["UPLOAD_DIR"])
    name = _archive_name(folder)
    partial = folder / (name + ".partial")
    created = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        if _is_postgres():
            entry, dump = PG_ENTRY, Path(work) / PG_ENTRY
            info = _snapshot_postgres(dump)
        else:
            entry, dump = SQLITE_ENTRY, Path(work) / SQLITE_ENTRY
            info = _snapshot_sqlite(dump)
        files = [{"path": entry, "sha256": _sha256(dump), "size": dump.stat().st_size}]
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                archive.write(dump, entry)
                for path in sorted(uploads.rglob("*")) if uploads.exists() else []:
                    if not path.is_file():
                        continue
                    arcname = "uploads/" + path.relative_to(uploads).as_posix()
                    compress = zipfile.ZIP_STORED if path.suffix in (".zip", ".docx", ".xlsx", ".jpg", ".png") \
                        else zipfile.ZIP_DEFLATED
                    files.append({"path": arcname, "sha256": _sha256(path), "size": path.stat().st_size})
                    archive.write(path, arcname, compress_type=compress)
                manifest = {"app": "pingyi", "format": FORMAT, "created_at": created.isoformat(timespec="seconds"),
                            "database": db.engine.dialect.name, "schema_revision": info["schema_revision"],
                            "tables": info["tables"], "files": files}
                archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    final = folder / name
    os.replace(partial, final)  # an archive in the folder is always a complete one
    if keep:
        prune(folder, keep)
    return final


def list_backups(folder=None):
    """The archives in the backup folder, newest first: name, size, time written."""
    folder = Path(folder or current_app.config["BACKUP_DIR"])
    if not folder.exists():
        return []
    found = []
    for path in folder.iterdir():
        if NAME.match(path.name) and path.is_file():
            stat = path.stat()
            found.append({"name": path.name, "path": path, "size": stat.st_size,
                          "created_at": datetime.fromtimestamp(stat.st_mtime, timezone.utc)})
    return sorted(found, key=lambda b: (b["created_at"], b["name"]), reverse=True)


def prune(folder, keep):
    """Remove all but the newest `keep` archives; returns the names removed."""
    removed = []
    for old in list_backups(folder)[max(keep, 1):]:
        old["path"].unlink(missing_ok=True)
        removed.append(old["name"])
    return removed


def archive_path(name):
    """The archive called `name` in the backup folder, or None (names are checked, never joined blindly)."""
    if not NAME.match(name or ""):
        return None
    path = backup_dir() / name
    return path if path.is_file() else None


_NEWEST = {}  # folder → (the folder's modification time, its newest archive's path and stat, or None)


def last_backup_age():
    """How long ago the newest archive was written (a timedelta), or None when there is none.

    Every office page asks (the banner), so the folder is listed again only when it or its newest archive
    changed: writing an archive (os.replace) or pruning one changes the folder's modification time, and a
    newest archive touched or removed shows in its own."""
    folder = str(current_app.config["BACKUP_DIR"])
    try:
        stamp = os.stat(folder).st_mtime_ns
    except OSError:
        return None  # no folder, no archive
    known = _NEWEST.get(folder)
    if known is not None and known[1] is not None:
        try:
            if os.stat(known[1]).st_mtime_ns != known[2]:
                known = None
        except OSError:
            known = None
    if known is None or known[0] != stamp or known[1] is None:  # an empty folder is cheap to list
        known = (stamp, None, None)
        for archive in list_backups(folder):  # the newest that is still there
            try:
                known = (stamp, str(archive["path"]), archive["path"].stat().st_mtime_ns)
                break
            except OSError:
                continue
        _NEWEST[folder] = known
    if known[1] is None:
        return None
    return datetime.now(timezone.utc) - datetime.fromtimestamp(known[2] / 1e9, timezone.utc)


def backup_overdue():
    age = last_backup_age()
    return age is None or age.days >= current_app.config["BACKUP_WARN_DAYS"]


def _read_manifest(archive):
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError("备份文件缺少有效的 manifest.json，不是 pingyi 的备份或已损坏")
    if manifest.get("app") != "pingyi" or manifest.get("format") != FORMAT:
        raise BackupError("备份文件的格式无法识别")
    return manifest


def verify_archive(path):
    """Check every file in the archive against the manifest's sha256 and size; returns the manifest."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        raise BackupError(f"无法打开备份文件 {path}：不是有效的 zip 文件或已损坏")
    with archive:
        manifest = _read_manifest(archive)
        names = set(archive.namelist())
        for entry in manifest["files"]:
            name = entry["path"]
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or not (name in (SQLITE_ENTRY, PG_ENTRY)
                                                                 or name.startswith("uploads/")):
                raise BackupError(f"备份文件中有不安全的路径：{name}")
            if name not in names:
                raise BackupError(f"备份文件不完整：缺少 {name}")
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(name) as f:
                    for chunk in iter(lambda: f.read(CHUNK), b""):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError) as e:
                raise BackupError(f"备份文件已损坏：{name}（{e}）")
            if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
                raise BackupError(f"校验失败：{name} 的 SHA-256 与清单不符，备份文件已损坏或被改动，未恢复任何内容")
    return manifest


SEEDED = {"alembic_version", "data_version"}  # rows the migrations themselves write: an empty instance has them


def _nonempty_tables():
    names = [n for n in inspect(db.engine).get_table_names() if n not in SEEDED]
    with db.engine.connect() as connection:
        return [n for n, count in _counts(connection, names).items() if count]


def restore_backup(path):
    """Restore an archive into this (empty) instance: verify every file first, then load the database and
    the files, then upgrade the schema to this version's. Returns the manifest."""
    manifest = verify_archive(path)
    full = _nonempty_tables()
    if full:
        raise BackupError(f"目标数据库不是空的（{'、'.join(full[:5])}{' 等' if len(full) > 5 else ''}表中已有数据）："
                          "恢复只能在空实例中进行，请换一个新的数据库，或先删除现有数据库")
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if uploads.exists() and any(p.is_file() for p in uploads.rglob("*")):
        raise BackupError(f"上传文件目录 {uploads} 不是空的：恢复只能在空实例中进行")
    expected = "postgresql" if _is_postgres() else "sqlite"
    if manifest["database"] != expected:
        raise BackupError(f"备份来自 {manifest['database']} 数据库，当前实例使用 {expected}，无法直接恢复")
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as work:
        entry = PG_ENTRY if expected == "postgresql" else SQLITE_ENTRY
        dump = Path(archive.extract(entry, work))
        _drop_everything()
        if expected == "postgresql":
            _restore_postgres(dump)
        else:
            _restore_sqlite(dump)
        for item in manifest["files"]:
            if item["path"].startswith("uploads/"):
                target = uploads / PurePosixPath(item["path"]).relative_to("uploads")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(item["path"]) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    db.session.remove()
    db.engine.dispose()
    if manifest["schema_revision"]:
        from flask_migrate import upgrade
        upgrade()
    _close_interrupted_backup(manifest)
    return manifest


def _drop_everything():
    """The empty instance may already hold the (empty) tables of `flask db upgrade`: drop them so the
    snapshot brings its own schema."""
    db.session.remove()
    metadata = MetaData()
    metadata.reflect(db.engine)
    metadata.drop_all(db.engine)
    db.engine.dispose()


def _restore_sqlite(dump):
    source = sqlite3.connect(dump)
    raw = db.engine.raw_connection()
    try:
        with source:
            source.backup(raw.driver_connection)
    finally:
        raw.close()
        source.close()
    db.engine.dispose()


def _restore_postgres(dump):
    args, env = _pg_args(db.engine.url)
    done = subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", *args,
                           str(dump)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")


def _close_interrupted_backup(manifest):
    """The snapshot was taken while the backup job that made it was running: in the restored instance
    that job is over (its archive is the one restored), so the worker must not run it again."""
    if not inspect(db.engine).has_table("job"):
        return
    for job in db.session.scalars(select(Job).where(Job.kind == "backup", Job.status == "running")):
        job.status, job.finished_at, job.lease_expires = "done", jobs.clock(), None
        job.result = job.result or "（已恢复的备份）"
    db.session.commit()


@jobs.handler("backup")
def _run_backup(context, keep=None):
    context.progress(0, 1)
    path = create_backup(keep=keep)
    context.progress(1, 1)
    return path.name


def start_backup(user):
    """Queue a backup for the worker (the 立即备份 button); one at a time."""
    if db.session.scalar(select(Job.id).where(Job.kind == "backup", Job.status.in_(("queued", "running")))):
        raise DomainError("已有一个备份正在进行，请稍候")
    job = jobs.enqueue("backup", {}, user, total=1)
    record("create", job, actor=user, summary="立即备份")
    db.session.commit()
    return job


def recent_backup_jobs(limit=10):
    return db.session.scalars(select(Job).where(Job.kind == "backup").order_by(Job.id.desc()).limit(limit)).all()
