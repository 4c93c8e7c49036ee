"""Exact numbers for scoring: points, weights and thresholds are kept as rational numbers (Fraction) from
what people type to what is stored, computed and compared; only what is shown is rounded (half up).

Stored as text in a canonical form: a plain decimal when the value has one ("83.333", "0.5", "90"),
otherwise a fraction ("250/3"), so that a value saved unchanged stays the same whichever database holds it.
"""
import re
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^[+-]?\d+/\d+$")
HUNDREDTH = Decimal("0.01")


def parse_exact(raw):
    """The Fraction a typed value means ("83.5", "250/3", " 90 "), or None when it is not a plain ASCII
    number (no exponents, no infinity, no full-width digits; those are refused, not guessed)."""
    if isinstance(raw, Fraction):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Fraction(raw)
    if isinstance(raw, Decimal):
        return Fraction(raw) if raw.is_finite() else None
    if isinstance(raw, float):  # only from old stored data: its shortest repr is what was typed
        return parse_exact(repr(raw))
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text or len(text) > 40 or not text.isascii():
        return None
    if _DECIMAL.match(text):
        return Fraction(Decimal(text))
    if _FRACTION.match(text):
        numerator, denominator = text.split("/")
        return Fraction(int(numerator), int(denominator)) if int(denominator) else None
    return None


def exact_text(value):
    """The canonical text of an exact value: the shortest plain decimal if it has one, else "p/q"."""
    if value is None:
        return ""
    value = parse_exact(value)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def half_up(value, places=2):
    """`value` (exact) rounded half up to `places` decimals as a Decimal: 63.695 → 63.70, 74.996 → 75.00."""
    if value is None:
        return None
    value = parse_exact(value)
    quantum = Decimal(1).scaleb(-places)
    sign = -1 if value < 0 else 1
    whole, rest = divmod(abs(value.numerator) * 10 ** places, value.denominator)  # integers only: /results calls
    if rest * 2 >= value.denominator:                                              # this thousands of times
        whole += 1
    return (Decimal(sign * whole) * quantum).quantize(quantum, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=32768)
def show2(value):
    """Text of a value rounded half up to 2 decimals ("—" for none). Kept per value (the text depends on the
    number only): a county table shows thousands of them, the same on every view while the data is unchanged."""
    return "—" if value is None else format(half_up(value), "f")


def show_exact(value, places=4):
    """A value shown as it is when it has at most `places` decimals (74.996), else rounded with "…"."""
    if value is None:
        return "—"
    text = exact_text(value)
    if "/" not in text and len(text.partition(".")[2]) <= places:
        return text
    return format(half_up(value, places), "f") + "…"


class Exact(TypeDecorator):
    """A column holding an exact number as canonical text; Python sees a Fraction."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        exact = parse_exact(value)
        if exact is None:
            raise ValueError(f"not an exact number: {value!r}")
        return exact_text(exact)

    def process_result_value(self, value, dialect):
        return None if value is None else parse_exact(value)


def read_number(raw, label, low=0, high=100):
    """(exact value or None, Chinese message or None) for a number typed into a form: a decimal such as
    83.333 or a fraction such as 250/3, between `low` and `high` inclusive."""
    text = (raw or "").strip()
    if not text:
        return None, f"请填写{label}"
    value = parse_exact(text)
    if value is None:
        return None, f"{label}应为数字（如 83.5，或分数 250/3），请用半角数字"
    if not low <= value <= high:
        return None, f"{label}应在 {low} 至 {high} 之间（含 {low} 和 {high}）"
    return value, None
