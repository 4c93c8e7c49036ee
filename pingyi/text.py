"""Clean text where it enters: forms, imports, raw posted fields and upload file names all pass through here."""
import re
import unicodedata

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates (PostgreSQL cannot store them).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidi embeddings, overrides and isolates: they make a line read differently from what it stores.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_PATH = re.compile(r'[/\\:*?"<>|]')


def clean_text(value, multiline=True):
    """`value` as it may be stored: NFC, CR LF as LF, no control characters but tab and newline, trimmed.

    A single-line value also loses bidi controls, and its tabs and newlines become spaces.
    None stays None; anything else is turned into its text first.
    """
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = _BIDI.sub("", text).replace("\n", " ").replace("\t", " ")
    return unicodedata.normalize("NFC", text).strip()


def clean_line(value):
    """clean_text for a single-line field."""
    return clean_text(value, multiline=False)


def clean_filename(filename, limit=200, fallback="未命名文件"):
    """An upload's own name: no directory, control, bidi or path characters, no leading dots; Chinese kept."""
    name = clean_line((filename or "").replace("\\", "/").split("/")[-1])
    name = _PATH.sub("", name).strip(". ")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:limit]
    return name or fallback
