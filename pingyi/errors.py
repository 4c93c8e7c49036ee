"""Domain errors whose messages are the Chinese text a user sees."""


class DomainError(Exception):
    """A rule of the domain refused the change; str(error) is shown to the user."""


class StaleEdit(DomainError):
    """Someone else saved the record after this form was opened."""

    def __init__(self, message="该记录已被他人修改", current=None):
        super().__init__(message)
        self.current = current


MISSING_VERSION = "该页面缺少所编辑记录的版本号，未保存"


def check_version(obj, version):
    """Refuse a save made from a form that showed an older version of `obj`, or that does not say which
    version it edits (a stale page, a hand-made request): such a save is refused, never applied blindly."""
    if version is None or str(version).strip() == "":
        raise StaleEdit(MISSING_VERSION, current=obj)
    if not str(version).isascii() or not str(version).isdigit() or int(version) != obj.version:
        raise StaleEdit(current=obj)
