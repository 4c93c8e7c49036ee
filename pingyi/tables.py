"""A table of an area above, by name, for the few reads a lower area must make of it.

Areas depend downwards only (tests/test_structure.py). Where a lower area must still look at rows of an
area above it — whether anything refers to a row before it is deleted, how many units a category has,
the highest number in the year's letter register — it reads that table through here instead of importing
the area's models. Every model is registered by then (create_app imports pingyi.models).
"""
from sqlalchemy import func, select

from pingyi.extensions import db


def table(name):
    return db.metadata.tables[name]


def count_rows(name, **equal):
    """How many rows of table `name` have these column values."""
    t = table(name)
    return db.session.scalar(select(func.count()).select_from(t).where(*(t.c[k] == v for k, v in equal.items())))
