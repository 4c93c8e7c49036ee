"""What awaits each user (to confirm, answer, verify, overdue): the list and the count in the navigation."""
from flask import url_for

from pingyi.todo.services import queues


def todo(user, campaign):
    """[(label, count, url, level)] of what the user should act on now; level 'alert' for overdue. Each
    count is the number of rows of its work queue on /todo, which the url opens."""
    return [(label, count, url_for("todo.index", q=key), level)
            for key, label, level, count in queues(campaign, user) if count]
