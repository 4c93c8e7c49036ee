"""Domain errors whose messages are the Chinese text a user sees."""


class DomainError(Exception):
    """A rule of the domain refused the change; str(error) is shown to the user."""


class StaleEdit(DomainError):
    """Someone else saved the record after this form was opened."""

    def __init__(self, message="该记录已被他人修改", current=None):
        super().__init__(message)
        self.current = current


def check_version(obj, version):
    """Refuse a save made from a form that showed an older version of `obj`."""
    if version is None or str(version) == "":
        return
    if not str(version).isascii() or not str(version).isdigit() or int(version) != obj.version:
        raise StaleEdit(current=obj)
