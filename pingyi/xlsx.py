"""Formula-safe spreadsheet output: every export writes its rows through append_row."""
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_cell(cell):
    """Keep a text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) as text.

    openpyxl turns a string starting with "=" into a formula; the string type undoes that, and the
    quote prefix (Excel's leading apostrophe, kept in the style rather than the value) keeps Excel and
    WPS from evaluating it when the cell is edited. The stored text is unchanged; numbers stay numbers.
    """
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def append_row(sheet, values):
    """sheet.append(values) with every cell passed through safe_cell."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        safe_cell(cell)


def sheet_title(name, fallback="Sheet"):
    """A worksheet title Excel accepts: no [ ] : * ? / \\, at most 31 characters, not blank."""
    title = _TITLE_FORBIDDEN.sub("", name or "").strip("' ")[:31]
    return title or fallback

