"""A python-docx factory for Chinese official documents in the GB/T 9704-2012 format.

The layout follows /work/shared/DOCUMENTS.md: A4, 版心 156 × 225 mm, 22 lines of 28 characters,
仿宋_GB2312 三号 body text on an exact 28.95 pt line, odd/even page numbers "— N —". Pure
python-docx and the standard library, so it runs without a Flask app or request.
"""
import copy
import datetime
import functools
import io
import re
import struct
import threading
import unicodedata
import zlib

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_HpsMeasure
from docx.shared import Pt, RGBColor, Twips
from docx.text.run import Run

from pingyi.timeutil import cn_date

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)

PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838                   # A4 in twips
MARGIN_TOP, MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_RIGHT = 2098, 1587, 1984, 1474
HEADER_DISTANCE, FOOTER_DISTANCE = 851, 1417
TEXT_WIDTH = 8845                                        # 版心 width, 156 mm
LINE = 579                                               # exact 28.95 pt: 22 lines in the 225 mm 版心
BODY_PT, TITLE_PT, SMALL_PT = 16, 22, 14                 # 三号, 二号, 四号
CHAR = BODY_PT * 20                                      # one body character in twips (640 = 2 chars)
ORG_MARK_MAX_PT = 36
ORG_MARK_SPACE_BEFORE = 1984                             # 35 mm
LETTER_TOP = 1701                                        # 信函: organisation name 30 mm from the page top
LETTER_BOTTOM = 1134                                     # 信函: lower red double line 20 mm above the page bottom
LETTER_OVERHANG = 397                                    # 信函 lines are 170 mm: 7 mm beyond the 版心 each side
CELL_MARGIN = 57                                         # 1 mm left and right in table cells
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

# Schema sequences (ECMA-376) for elements python-docx has no get_or_add_* for.
PPR_SEQ = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
           "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
           "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
           "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
           "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
           "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
RPR_SEQ = ("w:ins", "w:del", "w:moveFrom", "w:moveTo", "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs",
           "w:caps", "w:smallCaps", "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint",
           "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern",
           "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
           "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
TBLPR_SEQ = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
             "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
             "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
TRPR_SEQ = ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
            "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden")
SECTPR_SEQ = ("w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type", "w:pgSz",
              "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType", "w:cols", "w:formProt",
              "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid",
              "w:printerSettings", "w:sectPrChange")
DOCDEFAULTS_SEQ = ("w:rPrDefault", "w:pPrDefault")


@functools.cache
def _later(tag, seq):
    """The qualified tags after `tag` in the schema sequence `seq`."""
    return frozenset(qn(t) for t in seq[seq.index(tag) + 1:])


def _child(parent, tag, seq, **attrs):
    """The `tag` child of `parent`, added before any later sibling of the schema sequence; sets w:attrs."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        later = _later(tag, seq)
        for sibling in parent:
            if sibling.tag in later:
                sibling.addprevious(element)
                break
        else:
            parent.append(element)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


# Characters XML 1.0 cannot hold (C0 controls but tab and newline, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\t\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text) -> str:
    """`text` as a run can hold it: CR LF and CR become newlines, characters XML forbids are dropped."""
    return _NOT_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def _no_theme(rfonts):
    for attr in THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)


def text_width(text):
    """Width in body characters: CJK and full-width characters 1, digits and Latin letters ½."""
    return sum(1 if unicodedata.east_asian_width(c) in ("W", "F") else 0.5 for c in text)


def set_width(text):
    """Width in characters as LibreOffice and Word set it: text_width plus the quarter-character space
    they put between Chinese and Latin or digits (autoSpaceDE/DN), with some room to spare."""
    wide = [unicodedata.east_asian_width(c) in ("W", "F") for c in text]
    changes = sum(1 for a, b in zip(wide, wide[1:]) if a != b)
    return text_width(text) + 0.3 * changes


def _chars(n):
    """An indent of n characters: (hundredths of a character, twips fallback)."""
    return round(n * 100), round(n * CHAR)


# The zip entries' fixed date, 1980-01-01 00:00 in MS-DOS form: the same content gives the same bytes.
DOS_DATE, DOS_TIME = (0 << 9) | (1 << 5) | 1, 0
_threads = threading.local()


class _Skeleton:
    """The empty document every builder starts from: python-docx's default template with the page, the
    styles and the page-number footers set up. Made once per thread (python-docx's trees are not shared
    between threads) and copied for each document, all but its styles part: the builders never change the
    styles, so every copy reads the skeleton's, whose XML is serialized once. The entries every document
    shares (styles, theme, fonts …) are kept compressed and reused when a document's entry is unchanged."""

    def __init__(self):
        blank = OfficialDocument.__new__(OfficialDocument)
        blank.doc = Document()
        blank._page()
        blank._defaults()
        blank._footers()
        self.doc = blank.doc
        self.styles = self.doc.part._styles_part
        self.styles_blob = self.styles.blob
        self.style_ids = {}
        self.entries = {}  # member name -> (data, crc, compressed data)
        for name, data in _members(self.doc, self):
            self.entries[name] = (data, zlib.crc32(data), _deflate(data))

    @staticmethod
    def get():
        skeleton = getattr(_threads, "skeleton", None)
        if skeleton is None:
            skeleton = _threads.skeleton = _Skeleton()
        return skeleton

    def copy(self):
        """A new python-docx Document: the skeleton's, the styles part shared."""
        return copy.deepcopy(self.doc, {id(self.styles): self.styles})

    def style_id(self, name):
        """The id `table.style = name` writes (None for the default table style), looked up once."""
        if name not in self.style_ids:
            self.style_ids[name] = self.doc.styles.get_style_id(name, WD_STYLE_TYPE.TABLE)
        return self.style_ids[name]


def warm():
    """Make this thread's skeleton now (a builder process does when it starts, not at its first document)."""
    _Skeleton.get()


def _deflate(data):
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # raw deflate, as zip holds it
    return compressor.compress(data) + compressor.flush()


def _members(doc, skeleton):
    """(zip member name, bytes) of the package in python-docx's own order (PackageWriter.write): the
    content types, the package's relationships, then each part and its relationships."""
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem
    package = doc.part.package
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    yield CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob
    yield PACKAGE_URI.rels_uri.membername, package.rels.xml
    for part in parts:
        yield part.partname.membername, skeleton.styles_blob if part is skeleton.styles else part.blob
        if len(part.rels):
            yield part.partname.rels_uri.membername, part.rels.xml


def _zip(members, cache):
    """A zip archive of (name, bytes) with every entry deflated and dated DOS_DATE; an entry equal to the
    one `cache` holds for its name is written from its compressed bytes without compressing again."""
    out, directory = io.BytesIO(), []
    for name, data in members:
        cached = cache.get(name)
        if cached is not None and (cached[0] is data or cached[0] == data):
            _, crc, packed = cached
        else:
            crc, packed = zlib.crc32(data), _deflate(data)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = out.tell()
        fields = (20, flags, 8, DOS_TIME, DOS_DATE, crc, len(packed), len(data), len(encoded))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0))
        out.write(encoded)
        out.write(packed)
        directory.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory), len(directory), out.tell() - start,
                          start, 0))
    return out.getvalue()


class OfficialDocument:
    """One 公文 (or a unit's 承诺书): call the element methods top to bottom, then save()."""

    def __init__(self):
        self._skeleton = _Skeleton.get()
        self.doc = self._skeleton.copy()

    # ----- setup -----------------------------------------------------------------------------

    def _page(self):
        section = self.doc.sections[0]
        section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
        section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
        section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
        section.header_distance, section.footer_distance = Twips(HEADER_DISTANCE), Twips(FOOTER_DISTANCE)
        section.gutter = Twips(0)
        grid = _child(section._sectPr, "w:docGrid", SECTPR_SEQ, type="lines", linePitch=LINE)
        grid.attrib.pop(qn("w:charSpace"), None)

    def _defaults(self):
        styles = self.doc.styles.element
        # The template's styles name theme fonts (theme language ja-JP); a theme attribute beats w:eastAsia.
        for rfonts in styles.iter(qn("w:rFonts")):
            _no_theme(rfonts)
        defaults = styles.find(qn("w:docDefaults"))
        rpr = _child(_child(defaults, "w:rPrDefault", DOCDEFAULTS_SEQ), "w:rPr", ("w:rPr",))
        _child(rpr, "w:rFonts", RPR_SEQ, ascii=LATIN, hAnsi=LATIN, eastAsia=FANGSONG, cs=LATIN)
        _child(rpr, "w:sz", RPR_SEQ, val=BODY_PT * 2)
        _child(rpr, "w:szCs", RPR_SEQ, val=BODY_PT * 2)
        _child(rpr, "w:lang", RPR_SEQ, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
        ppr = _child(_child(defaults, "w:pPrDefault", DOCDEFAULTS_SEQ), "w:pPr", ("w:pPr",))
        _child(ppr, "w:widowControl", PPR_SEQ, val=0)
        spacing = _child(ppr, "w:spacing", PPR_SEQ, before=0, after=0, line=LINE, lineRule="exact")
        for attr in ("w:beforeLines", "w:afterLines", "w:beforeAutospacing", "w:afterAutospacing"):
            spacing.attrib.pop(qn(attr), None)

        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        nrpr = normal.element.get_or_add_rPr()
        _child(nrpr, "w:rFonts", RPR_SEQ, ascii=LATIN, hAnsi=LATIN, eastAsia=FANGSONG, cs=LATIN)
        _child(nrpr, "w:spacing", RPR_SEQ, val=-5)         # condensed 0.25 pt: 28 characters a line
        _child(nrpr, "w:szCs", RPR_SEQ, val=BODY_PT * 2)
        nppr = normal.element.get_or_add_pPr()
        _child(nppr, "w:widowControl", PPR_SEQ, val=0)    # LibreOffice otherwise keeps 2 lines together
        _child(nppr, "w:spacing", PPR_SEQ, before=0, after=0, line=LINE, lineRule="exact")

        self.doc.settings.odd_and_even_pages_header_footer = True
        settings = self.doc.settings.element
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:val"), "en-US")
            lang.set(qn("w:eastAsia"), "zh-CN")

    def _footers(self):
        section = self.doc.sections[0]
        for header in (section.header, section.even_page_header):
            header.is_linked_to_previous = False           # explicit and empty
            self._tiny(header.paragraphs[0])
        self._page_number(section.footer, odd=True)
        self._page_number(section.even_page_footer, odd=False)

    @staticmethod
    def _tiny(p):
        """An empty 1 pt paragraph (an empty header must not reach into the 版心)."""
        ppr = p._p.get_or_add_pPr()
        _child(ppr, "w:snapToGrid", PPR_SEQ, val=0)
        _child(ppr, "w:spacing", PPR_SEQ, before=0, after=0, line=20, lineRule="exact")
        rpr = _child(ppr, "w:rPr", PPR_SEQ)
        _child(rpr, "w:sz", RPR_SEQ, val=2)
        _child(rpr, "w:szCs", RPR_SEQ, val=2)
        return p

    def _page_number(self, footer, odd):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        ppr = p._p.get_or_add_pPr()
        _child(ppr, "w:snapToGrid", PPR_SEQ, val=0)
        _child(ppr, "w:spacing", PPR_SEQ, before=0, after=0, line=240, lineRule="auto")
        if odd:
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _child(ppr, "w:ind", PPR_SEQ, right=SMALL_PT * 20)
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _child(ppr, "w:ind", PPR_SEQ, left=SMALL_PT * 20)

        def run(text=None, fld=None, instr=None):
            r = p.add_run()
            rpr = r._r.get_or_add_rPr()
            _child(rpr, "w:rFonts", RPR_SEQ, ascii=SONGTI, hAnsi=SONGTI, eastAsia=SONGTI, cs=SONGTI)
            _child(rpr, "w:sz", RPR_SEQ, val=SMALL_PT * 2)
            _child(rpr, "w:szCs", RPR_SEQ, val=SMALL_PT * 2)
            if fld:
                r._r.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): fld}))
            elif instr:
                el = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
                el.text = instr
                r._r.append(el)
            else:
                r.text = text

        run("\u2014 ")
        run(fld="begin")
        run(instr=" PAGE ")
        run(fld="separate")
        run("1")
        run(fld="end")
        run(" \u2014")

    # ----- building blocks -------------------------------------------------------------------

    def _para(self, align=None, first_line=None, left=None, right=None, hanging=None, snap=True, keep_next=False):
        """A body paragraph; indents in characters (written as *Chars plus the twips fallback)."""
        p = self.doc.add_paragraph()
        ppr = p._p.get_or_add_pPr()
        if keep_next:
            _child(ppr, "w:keepNext", PPR_SEQ)
        if not snap:
            _child(ppr, "w:snapToGrid", PPR_SEQ, val=0)
        ind = {}
        for name, value in (("firstLine", first_line), ("left", left), ("right", right), ("hanging", hanging)):
            if value is not None:
                ind[f"{name}Chars"], ind[name] = _chars(value)
        if ind:
            _child(ppr, "w:ind", PPR_SEQ, **ind)
        if align is not None:
            p.alignment = align
        return p

    @staticmethod
    def _run(p, text, font=FANGSONG, size=BODY_PT, bold=False, color=None):
        """A run with its East Asian font written explicitly (and no theme font that would override it)."""
        # Written as python-docx's add_run, font.size, bold and font.color would write it, element by element
        # in the schema's order (rFonts, b, color, sz), without its lookups for each property.
        r = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:rFonts", {qn("w:eastAsia"): font}))
        if bold:
            rpr.append(OxmlElement("w:b"))
        if color is not None:
            rpr.append(OxmlElement("w:color", {qn("w:val"): str(color)}))
        rpr.append(OxmlElement("w:sz", {qn("w:val"): ST_HpsMeasure.convert_to_xml(Pt(size))}))
        r.append(rpr)
        for i, line in enumerate(xml_text(text).split("\n")):
            if i:
                r.append(OxmlElement("w:br"))
            if line:
                t = OxmlElement("w:t")
                t.text = line
                if len(line.strip()) < len(line):
                    t.set(qn("xml:space"), "preserve")
                r.append(t)
        p._p.append(r)
        return Run(r, p)

    def blank_line(self, keep_next=False) -> None:
        p = self.doc.add_paragraph()
        if keep_next:
            _child(p._p.get_or_add_pPr(), "w:keepNext", PPR_SEQ)

    def _blank(self, n, keep_next=False):
        for _ in range(n):
            self.blank_line(keep_next)

    def _keep_last(self):
        """Keep the paragraph written last with the next one (a signature block never stands alone)."""
        body = self.doc.element.body
        last = body.findall(qn("w:p"))
        if last:
            _child(last[-1].get_or_add_pPr(), "w:keepNext", PPR_SEQ)

    # ----- 版头 -------------------------------------------------------------------------------

    def red_header(self, org_mark: str, number: str) -> None:
        """发文机关标志 in red 小标宋 sized to the 版心, then the 发文字号 over the red rule."""
        # min(36 pt, 442 pt ÷ characters), rounded down to whole half-points so it never exceeds the 版心.
        half_points = min(ORG_MARK_MAX_PT * 2, int(TEXT_WIDTH / 10 // max(1, len(org_mark))))
        p = self._para(WD_ALIGN_PARAGRAPH.CENTER, snap=False)
        _child(p._p.get_or_add_pPr(), "w:spacing", PPR_SEQ, before=ORG_MARK_SPACE_BEFORE, after=0,
               line=240, lineRule="auto")
        self._run(p, org_mark, XIAOBIAOSONG, half_points / 2, color=RED)
        self._blank(2)
        p = self._para(WD_ALIGN_PARAGRAPH.CENTER)
        pbdr = _child(p._p.get_or_add_pPr(), "w:pBdr", PPR_SEQ)
        bottom = OxmlElement("w:bottom", {qn("w:val"): "single", qn("w:sz"): "12", qn("w:space"): "4",
                                          qn("w:color"): "FF0000"})
        pbdr.append(bottom)
        self._run(p, number)
        self._blank(2)

    def letter_header(self, org: str, number: str) -> None:
        """信函格式: the organisation's name (no 文件) in red 30 mm from the page top over a red double line
        170 mm long, another double line 20 mm above the page bottom, both on the first page only, which
        carries no page number; the 发文字号 flush right under the first line."""
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        section.header_distance, section.footer_distance = Twips(LETTER_TOP), Twips(LETTER_BOTTOM)
        for footer in (section.footer, section.even_page_footer):  # page numbers stay 25 mm from the bottom
            _child(footer.paragraphs[0]._p.get_or_add_pPr(), "w:spacing", PPR_SEQ,
                   after=FOOTER_DISTANCE - LETTER_BOTTOM)
        header = section.first_page_header
        header.is_linked_to_previous = False
        p = header.paragraphs[0]
        ppr = p._p.get_or_add_pPr()
        _child(ppr, "w:snapToGrid", PPR_SEQ, val=0)
        _child(ppr, "w:spacing", PPR_SEQ, before=0, after=0, line=240, lineRule="auto")
        _child(ppr, "w:ind", PPR_SEQ, left=-LETTER_OVERHANG, right=-LETTER_OVERHANG)
        pbdr = _child(ppr, "w:pBdr", PPR_SEQ)
        pbdr.append(OxmlElement("w:bottom", {qn("w:val"): "thickThinSmallGap", qn("w:sz"): "18",
                                             qn("w:space"): "11", qn("w:color"): "FF0000"}))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        half_points = min(ORG_MARK_MAX_PT * 2, int(TEXT_WIDTH / 10 // max(1, len(org))))
        self._run(p, org, XIAOBIAOSONG, half_points / 2, color=RED)
        footer = section.first_page_footer
        footer.is_linked_to_previous = False
        p = self._tiny(footer.paragraphs[0])
        ppr = p._p.get_or_add_pPr()
        _child(ppr, "w:ind", PPR_SEQ, left=-LETTER_OVERHANG, right=-LETTER_OVERHANG)
        pbdr = _child(ppr, "w:pBdr", PPR_SEQ)
        pbdr.append(OxmlElement("w:top", {qn("w:val"): "thinThickSmallGap", qn("w:sz"): "18",
                                          qn("w:space"): "0", qn("w:color"): "FF0000"}))
        p = self._para(WD_ALIGN_PARAGRAPH.RIGHT)
        self._run(p, number)
        self._blank(2)

    # ----- 主体 -------------------------------------------------------------------------------

    def title(self, text: str) -> None:
        """标题 in 小标宋 二号, centred; "\\n" breaks it into centred lines."""
        p = self._para(WD_ALIGN_PARAGRAPH.CENTER, snap=False, keep_next=True)
        self._run(p, text, XIAOBIAOSONG, TITLE_PT)

    def addressee(self, text: str) -> None:
        self.blank_line()
        p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY)
        self._run(p, text)

    def paragraph(self, text: str) -> None:
        p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2)
        self._run(p, text)

    def _heading(self, heading, text, font, bold=False):
        """A numbered heading; with `text` run in: the heading in its level's font, the rest 仿宋.
        A heading alone keeps with the next paragraph; a run-in one never leaves its first line
        alone at the foot of a page."""
        p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2, keep_next=not text)
        if text:
            _child(p._p.get_or_add_pPr(), "w:widowControl", PPR_SEQ, val=1)
        self._run(p, heading, font, bold=bold)
        if text:
            self._run(p, text)
        return p

    @staticmethod
    def split_heading(text):
        """"一、按期整改。严格按照…" -> ("一、按期整改。", "严格按照…"): the heading ends at its first "。"."""
        at = text.find("。")
        return (text[:at + 1], text[at + 1:]) if 0 <= at < len(text) - 1 else (text, "")

    def heading1(self, heading: str, text: str = "") -> None:
        """Level 1 "一、" in 黑体; "一、按期整改。严格…" in one string is split at its first "。"."""
        if not text:
            heading, text = self.split_heading(heading)
        self._heading(heading, text, HEITI)

    def heading2(self, heading: str, text: str = "") -> None:
        """Level 2 "（一）" in 楷体, with its text run in."""
        self._heading(heading, text, KAITI)

    def heading3(self, heading: str, text: str = "") -> None:
        """Level 3 "1." in bold 仿宋, with its text run in."""
        self._heading(heading, text, FANGSONG, bold=True)

    def attachment_note(self, names: list[str]) -> None:
        """附件：1.名称 with further names aligned under the first; a single attachment has no number."""
        self._keep_last()
        self.blank_line(keep_next=True)
        if len(names) == 1:
            p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, left=5, hanging=3, keep_next=True)
            self._run(p, f"附件：{names[0]}")
            return
        for n, name in enumerate(names, 1):
            if n == 1:
                p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, left=5, hanging=3, keep_next=True)
                self._run(p, f"附件：{n}.{name}")
            else:
                p = self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, left=5, keep_next=True)
                self._run(p, f"{n}.{name}")

    def signature(self, org: str, day: datetime.date, sealed: bool = True) -> None:
        """署名 and 成文日期. Sealed: date 右空四字, 署名 centred over it. Unsealed: 署名 右空二字,
        the date starting two characters right of the 署名's first character."""
        date = cn_date(day)
        name_w, date_w = text_width(org), text_width(date)
        self._keep_last()
        if sealed:
            self._blank(2, keep_next=True)
            org_right, date_right = max(0, 4 + (date_w - name_w) / 2), 4
        else:
            self._blank(1, keep_next=True)
            org_right, date_right = max(2, date_w + 4 - name_w), max(2, name_w - date_w)
        self._run(self._para(WD_ALIGN_PARAGRAPH.RIGHT, right=org_right, keep_next=True), org)
        self._run(self._para(WD_ALIGN_PARAGRAPH.RIGHT, right=date_right), date)

    def signature_lines(self, lines: list[str]) -> None:
        """A unit's signature block: each line flush right, 右空四字, kept with the last paragraph."""
        self._keep_last()
        self._blank(2, keep_next=True)
        for n, line in enumerate(lines, 1):
            self._run(self._para(WD_ALIGN_PARAGRAPH.RIGHT, right=4, keep_next=n < len(lines)), line)

    def note(self, text: str) -> None:
        """附注, e.g. （联系人：张三，电话：1234567）, kept with the date above it."""
        self._keep_last()
        self._run(self._para(WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2), text)

    # ----- tables -----------------------------------------------------------------------------

    @staticmethod
    def fit_widths(headers, rows, atoms=(), size=SMALL_PT, minimum=None):
        """Column widths in twips summing to the 版心 width, following the content: every line of an
        `atoms` column (序号, names, dates) and every header fits unbroken; the other columns share
        the rest by how much text they hold. `minimum` gives a column index its least width in characters."""
        char, pad = size * 20, 2 * CELL_MARGIN + 40
        lines = lambda value: xml_text(value).split()                        # noqa: E731  (words of a cell)
        need, weight = [], []
        for col, header in enumerate(headers):
            cells = [str(row[col]) for row in rows if col < len(row)]
            least = max([set_width(line) for line in lines(header)] + [(minimum or {}).get(col, 0)])
            if col in atoms:
                least = max([least] + [set_width(line) for cell in cells for line in lines(cell)])
            need.append(round(least * char) + pad)
            weight.append(0 if col in atoms else max(1.0, sum(text_width(cell) for cell in cells)))
        spare = TEXT_WIDTH - sum(need)
        if spare < 0:                                        # too much to keep whole: shrink every column
            widths = [n * TEXT_WIDTH // sum(need) for n in need]
        elif sum(weight):
            widths = [n + int(spare * w / sum(weight)) for n, w in zip(need, weight)]
        else:
            widths = [n + spare // len(need) for n in need]
        widths[max(range(len(widths)), key=lambda i: (weight[i], widths[i]))] += TEXT_WIDTH - sum(widths)
        return widths

    def _fixed_table(self, rows, widths, style=None):
        table = self.doc.add_table(rows=rows, cols=len(widths))
        if style:  # its id, as table.style = name would set it without looking the styles up each time
            table._tbl.tblStyle_val = self._skeleton.style_id(style)
        tblpr = table._tbl.tblPr
        _child(tblpr, "w:tblW", TBLPR_SEQ, w=sum(widths), type="dxa")
        margins = _child(tblpr, "w:tblCellMar", TBLPR_SEQ)
        for side in ("left", "right"):
            margins.append(OxmlElement(f"w:{side}", {qn("w:w"): str(CELL_MARGIN), qn("w:type"): "dxa"}))
        table.autofit = False                              # tblLayout fixed
        for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
            col.set(qn("w:w"), str(width))
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Twips(width)
        return table

    @staticmethod
    def _cell_text(cell, text, font, size, align, line=240, rule="auto"):
        p = cell.paragraphs[0]
        ppr = p._p.get_or_add_pPr()
        _child(ppr, "w:snapToGrid", PPR_SEQ, val=0)
        _child(ppr, "w:spacing", PPR_SEQ, before=0, after=0, line=line, lineRule=rule)
        p.alignment = align
        if text:
            OfficialDocument._run(p, text, font, size)
        return p

    def table(self, headers: list[str], rows: list[list[str]], widths: list[int] | None = None,
              atoms=(), minimum=None) -> None:
        """A 版心-wide table; the header row repeats on every page and no row splits across pages.
        Widths in twips summing to 8845, or fitted to the content (see fit_widths)."""
        if widths is None:
            widths = self.fit_widths(headers, rows, atoms, minimum=minimum)
        if sum(widths) != TEXT_WIDTH or len(widths) != len(headers):
            raise ValueError(f"table widths must be {len(headers)} columns summing to {TEXT_WIDTH} twips")
        self._keep_last()
        table = self._fixed_table(1 + len(rows), widths, "Table Grid")
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, (row, values) in enumerate(zip(table.rows, [headers, *rows])):
            trpr = row._tr.get_or_add_trPr()
            _child(trpr, "w:cantSplit", TRPR_SEQ)
            if i == 0:
                _child(trpr, "w:tblHeader", TRPR_SEQ)
            for cell, value in zip(row.cells, values):
                cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
                if i == 0:
                    self._cell_text(cell, value, HEITI, SMALL_PT, WD_ALIGN_PARAGRAPH.CENTER)
                else:
                    self._cell_text(cell, str(value), FANGSONG, SMALL_PT, WD_ALIGN_PARAGRAPH.LEFT)

    # ----- 附件 and 版记 -----------------------------------------------------------------------

    def attachment_page(self, label: str, title: str) -> None:
        """A new page: "附件" / "附件2" in 黑体 on line 1, the attachment's title on line 3."""
        p = self._para(WD_ALIGN_PARAGRAPH.LEFT, keep_next=True)
        p.paragraph_format.page_break_before = True
        self._run(p, label, HEITI)
        self.blank_line(keep_next=True)
        self.title(title)

    def _own_page(self, blank=False):
        """End the text here: what follows starts a new section on a new page (after a blank one with
        `blank`), with no page number, header or 信函 lines. A new page rather than Word's "even page"
        break, which LibreOffice does not honour: the caller knows the parity from the laid-out pages."""
        new = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._tiny(self.doc.paragraphs[-1])                 # the paragraph that ends the text's section
        new.different_first_page_header_footer = False
        for part in (new.header, new.even_page_header, new.footer, new.even_page_footer):
            part.is_linked_to_previous = True
            part.is_linked_to_previous = False
            self._tiny(part.paragraphs[0])
        self._tiny(self.doc.add_paragraph())    # LibreOffice starts no new page for a floating table alone
        if blank:
            self._tiny(self.doc.add_paragraph()).paragraph_format.page_break_before = True

    def colophon(self, cc: list[str], issuer: str | None = None, day: datetime.date | None = None,
                 own_page: int = 0) -> None:
        """版记 at the foot of the last page, a floating table anchored to the 版心 bottom: 抄送 and, in
        the 文件格式, 印发机关 and 印发日期 between rules. 信函格式 (no issuer) has the 抄送 line alone
        and no rules. The 版记 stands on an even page (封四): `own_page` 1 puts it at the foot of the next
        page (the text ended on an odd page), 2 after a blank page as well (the text ended on an even page
        too full for it); those pages carry no page number."""
        if own_page:
            self._own_page(blank=own_page == 2)
        letter = issuer is None
        if letter and not cc:
            return
        table = self._fixed_table((1 if cc else 0) + (0 if letter else 1), [TEXT_WIDTH])
        tblpr = table._tbl.tblPr
        _child(tblpr, "w:tblpPr", TBLPR_SEQ, leftFromText=0, rightFromText=0, topFromText=0, bottomFromText=0,
               vertAnchor="margin", horzAnchor="page", tblpX=MARGIN_LEFT, tblpYSpec="bottom")
        _child(tblpr, "w:tblOverlap", TBLPR_SEQ, val="never")
        borders = _child(tblpr, "w:tblBorders", TBLPR_SEQ)
        rules = (("top", None if letter else 8), ("left", None), ("bottom", None if letter else 8), ("right", None),
                 ("insideH", None if letter else 6), ("insideV", None))
        for side, size in rules:
            attrs = {"val": "nil"} if size is None else {"val": "single", "sz": size, "space": 0, "color": "000000"}
            borders.append(OxmlElement(f"w:{side}", {qn(f"w:{k}"): str(v) for k, v in attrs.items()}))
        margins = _child(tblpr, "w:tblCellMar", TBLPR_SEQ)
        for side in list(margins):
            margins.remove(side)
        for side in ("top", "left", "bottom", "right"):
            margins.append(OxmlElement(f"w:{side}", {qn("w:w"): "0", qn("w:type"): "dxa"}))

        one, colon = SMALL_PT * 20, 3 * SMALL_PT * 20       # 1 character and "抄送：" at 14 pt, in twips
        cells = [row.cells[0] for row in table.rows]
        if cc:
            p = self._cell_text(cells.pop(0), "", FANGSONG, SMALL_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, LINE, "exact")
            _child(p._p.get_or_add_pPr(), "w:ind", PPR_SEQ, left=one + colon, hanging=colon, right=one)
            self._run(p, f"抄送：{'，'.join(cc)}。", FANGSONG, SMALL_PT)
        if not letter:
            p = self._cell_text(cells.pop(0), "", FANGSONG, SMALL_PT, WD_ALIGN_PARAGRAPH.LEFT, LINE, "exact")
            _child(p._p.get_or_add_pPr(), "w:ind", PPR_SEQ, left=one, right=one)
            p.paragraph_format.tab_stops.add_tab_stop(Twips(TEXT_WIDTH - one), WD_TAB_ALIGNMENT.RIGHT)
            self._run(p, issuer, FANGSONG, SMALL_PT)
            tab = p.add_run()
            tab.add_tab()
            tab.font.size = Pt(SMALL_PT)
            self._run(p, f"{cn_date(day)}印发", FANGSONG, SMALL_PT)
        self._tiny(self.doc.add_paragraph())                # ends the body; 1 pt so it adds no line

    def save(self) -> bytes:
        """The .docx bytes, the same for the same content (zip entries carry a fixed date), so a preview's
        page images are found again by the file's sha256."""
        return _zip(_members(self.doc, self._skeleton), self._skeleton.entries)
