"""`flask --app app pingyi ...`: create the administrator, load the demo county, back up and restore."""
import time
import zipfile

import click
from flask.cli import AppGroup

from pingyi import demo
from pingyi.auth import services as auth_services
from pingyi.auth.roles import OFFICE
from pingyi.backups import services as backups
from pingyi.errors import DomainError

cli = AppGroup("pingyi", help="pingyi 管理命令")


@cli.command("create-admin")
@click.option("--username", prompt="用户名")
@click.option("--display-name", prompt="姓名", default="系统管理员")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
def create_admin(username, display_name, password):
    """Create a 纠风办 (office) account: the administrator of a real deployment."""
    try:
        user = auth_services.create_user(username, OFFICE, password, display_name)
    except DomainError as e:
        raise click.ClickException(str(e))
    click.echo(f"已创建纠风办管理员账号：{user.username}")


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="数据库非空时静默跳过（make run 使用）")
def load_demo(if_empty):
    """Load the demo county (青山县) with demo accounts; only into an empty database."""
    if not demo.database_is_empty():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        raise click.ClickException("数据库中已有数据，演示数据只能载入空数据库。")
    click.echo("正在载入演示县（约需十几秒）：")
    campaign = demo.load_demo(progress=lambda message: click.echo("  " + message))
    click.echo(f"已载入演示县：{campaign.title}，演示账号密码均为 {demo.DEMO_PASSWORD}")


@cli.command("backup")
@click.option("--to", "folder", type=click.Path(file_okay=False), help="备份目录（默认 PINGYI_BACKUP_DIR，即 instance/backups）")
@click.option("--keep", type=click.IntRange(min=1), help="只保留最新的 N 个备份，删除更早的")
def backup(folder, keep):
    """Write one archive (database snapshot, uploaded files, manifest) while the app keeps running."""
    started = time.monotonic()
    try:
        path = backups.create_backup(folder, keep)
    except DomainError as e:
        raise click.ClickException(str(e))
    with zipfile.ZipFile(path) as archive:
        count = len(archive.namelist())
    click.echo(f"已写入备份：{path}（{path.stat().st_size / 1024 / 1024:.1f} MB，{count} 个文件，"
               f"用时 {time.monotonic() - started:.1f} 秒）")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def restore(archive):
    """Restore an archive into this empty instance, checking every file's sha256 first."""
    started = time.monotonic()
    try:
        manifest = backups.restore_backup(archive)
    except DomainError as e:
        raise click.ClickException(str(e))
    rows = sum(manifest["tables"].values())
    click.echo(f"已恢复：{manifest['created_at']} 的备份，{len(manifest['tables'])} 张表 {rows} 行，"
               f"{len(manifest['files'])} 个文件（均已校验），用时 {time.monotonic() - started:.1f} 秒")
