"""One page of a long list whose rows are plain values (not ORM objects): what templates/_macros.html's
row_pager needs to name the rows shown ("第 51–100 条，共 312 条") and link the other pages."""
import math

from sqlalchemy import func, select

from pingyi.extensions import db


class Page:
    """Page `page` (from 1) of `per_page` rows out of `total`, holding `items`."""

    def __init__(self, items, page, per_page, total):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self):
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def first(self):
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self):
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self):
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=1, left_current=2, right_current=3, right_edge=1):
        """Page numbers to link, None where a run is left out (shown as …), like Flask-SQLAlchemy's."""
        shown = [n for n in range(1, self.pages + 1)
                 if n <= left_edge or self.page - left_current <= n < self.page + right_current
                 or n > self.pages - right_edge]
        previous = 0
        for n in shown:
            if n != previous + 1:
                yield None
            yield n
            previous = n

    def __iter__(self):
        return iter(self.items)


def page_of(stmt, page, per_page, row=lambda r: r, total=None):
    """Page `page` of the rows of `stmt` (a select of columns, ordered), each made into row(r); the total is
    counted unless given. A page beyond the last holds no rows (the pager offers the last one)."""
    page = max(1, page or 1)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = [row(r) for r in db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))] if total else []
    return Page(rows, page, per_page, total)


def page_of_list(rows, page, per_page):
    """Page `page` of a list already in memory, as page_of gives one of a statement's rows."""
    page = max(1, page or 1)
    return Page(rows[(page - 1) * per_page:page * per_page], page, per_page, len(rows))
