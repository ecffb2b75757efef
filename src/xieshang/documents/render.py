"""Lay a :class:`~xieshang.documents.model.Document` out as Markdown, HTML, PDF or DOCX.

The renderers add no words of their own except the page numbers: everything printed comes
from the document. PDF is the HTML printed by WeasyPrint (A4, the Noto CJK fonts embedded as
subsets, page numbers); DOCX is written with python-docx so the user can edit it in Word, WPS
or LibreOffice. WeasyPrint and python-docx are imported only when those formats are asked for.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

from xieshang.documents.model import (
    Block,
    Bullets,
    Callout,
    Document,
    Heading,
    Para,
    Signature,
    Table,
)
from xieshang.errors import UserError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

#: Fonts per document language: the serif body face and the sans face for headings.
FONTS = {
    "zh_CN": ("Noto Serif CJK SC", "Noto Sans CJK SC"),
    "zh_TW": ("Noto Serif CJK TC", "Noto Sans CJK TC"),
    "zh_HK": ("Noto Serif CJK HK", "Noto Sans CJK HK"),
    "en": ("Noto Serif CJK SC", "Noto Sans CJK SC"),
}
#: What a Word user in that region most likely has for the East-Asian text of a DOCX.
DOCX_EAST_ASIAN = {"zh_CN": "SimSun", "zh_TW": "PMingLiU", "zh_HK": "PMingLiU", "en": "SimSun"}
HTML_LANG = {"zh_CN": "zh-CN", "zh_TW": "zh-TW", "zh_HK": "zh-HK", "en": "en"}
SIGN_LINE = "_" * 24
INDENT = "\u3000\u3000"  # two ideographic spaces: the first-line indent of Chinese prose


def _is_zh(doc: Document) -> bool:
    return doc.lang != "en"


# ---------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_block(block: Block, zh: bool) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Para):
        text = f"**{block.text}**" if block.strong else block.text
        return (INDENT + text) if block.indent and zh else text
    if isinstance(block, Table):
        head = "| " + " | ".join(_md_cell(h) for h in block.header) + " |"
        aligns = [("---:" if block.numeric and i < len(block.numeric) and block.numeric[i] else "---")
                  for i in range(len(block.header))]
        lines = [head, "| " + " | ".join(aligns) + " |"]
        for n, row in enumerate(block.rows):
            cells = [_md_cell(c) for c in row]
            if block.total_last and n == len(block.rows) - 1:
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    if isinstance(block, Bullets):
        out = []
        for i, item in enumerate(block.items, 1):
            mark = f"{i}." if block.ordered else ("- [ ]" if block.checkboxes else "-")
            out.append(f"{mark} {item}")
        return "\n".join(out)
    if isinstance(block, Callout):
        icon = "⚠ " if block.tone == "warning" else ""
        return "\n".join([f"> **{icon}{block.title}**", ">", *(f"> {line}  " for line in block.lines)])
    if isinstance(block, Signature):
        lines = [f"{p}  " for p in block.printed]
        lines += [f"{label}：{SIGN_LINE}  " if zh else f"{label}: {SIGN_LINE}  " for label in block.sign_labels]
        return "\n".join(lines)
    return "---"


def to_markdown(doc: Document) -> str:
    zh = _is_zh(doc)
    parts = [_md_block(b, zh) for b in doc.blocks]
    if doc.footer:
        parts += ["---", f"*{doc.footer}*"]
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------
# HTML (and PDF)
# ---------------------------------------------------------------------------------------


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _css(doc: Document) -> str:
    serif, sans = FONTS[doc.lang]
    zh = _is_zh(doc)
    justify = "justify" if zh else "left"
    return f"""
@page {{
  size: A4;
  margin: 24mm 22mm 24mm 22mm;
  @bottom-left {{ content: {_css_string(doc.footer)}; font-family: "{sans}", sans-serif; font-size: 8pt;
                  color: #777; }}
  @bottom-right {{ content: counter(page) " / " counter(pages); font-family: "{sans}", sans-serif;
                   font-size: 8.5pt; color: #555; }}
}}
html {{ font-family: "{serif}", "Noto Serif CJK SC", serif; font-size: 11pt; line-height: 1.8; color: #111; }}
body {{ max-width: 170mm; margin: 0 auto; padding: 0 4mm; }}
@media print {{ body {{ max-width: none; padding: 0; }} }}
h1, h2, h3 {{ font-family: "{sans}", "Noto Sans CJK SC", sans-serif; line-height: 1.4; color: #000; }}
h1 {{ font-size: 17pt; text-align: center; letter-spacing: {"0.15em" if zh else "0"}; margin: 0 0 1.2em; }}
h2 {{ font-size: 12.5pt; margin: 1.3em 0 0.4em; }}
h3 {{ font-size: 11pt; margin: 1.1em 0 0.3em; }}
p {{ margin: 0.35em 0; text-align: {justify}; orphans: 2; widows: 2; }}
p.indent {{ text-indent: 2em; }}
p.right {{ text-align: right; }}
p.center {{ text-align: center; }}
table.data {{ border-collapse: collapse; width: 100%; margin: 0.6em 0 0.8em; font-size: 10.5pt; line-height: 1.45; }}
table.data tr {{ break-inside: avoid; }}
table.data th, table.data td {{ border: 0.6pt solid #888; padding: 0.25em 0.6em; vertical-align: top; }}
table.data th {{ background: #f0f0f0; font-family: "{sans}", sans-serif; font-weight: 600; text-align: left; }}
table.data td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
table.data tr.total td {{ font-weight: bold; border-top: 1.2pt solid #333; }}
ul, ol {{ margin: 0.3em 0 0.6em; padding-left: 1.8em; }}
li {{ margin: 0.15em 0; }}
ul.check {{ list-style: none; padding-left: 0.4em; }}
ul.check li::before {{ content: "☐ "; }}
.callout {{ border: 0.8pt solid #9ab; border-left: 4pt solid #4a7fb0; background: #f3f7fb; padding: 0.5em 0.9em;
            margin: 0.8em 0; page-break-inside: avoid; }}
.callout.warning {{ border-color: #d9b36c; border-left-color: #c8891b; background: #fdf7ea; }}
.callout .title {{ font-family: "{sans}", sans-serif; font-weight: bold; margin-bottom: 0.2em; }}
.callout p {{ margin: 0.2em 0; text-align: left; }}
section.cover {{ break-after: page; page-break-after: always; font-size: 10.5pt; }}
section.cover h2 {{ margin-top: 0; }}
.signature {{ margin: 2em 0 0 auto; width: 62%; page-break-inside: avoid; }}
.signature p {{ text-align: left; margin: 0.5em 0; }}
.signature .line {{ display: flex; align-items: flex-end; margin: 1.1em 0 0; }}
.signature .line span.label {{ white-space: nowrap; margin-right: 0.5em; }}
.signature .line span.rule {{ flex: 1; border-bottom: 0.8pt solid #000; height: 1.2em; }}
hr.page {{ border: none; border-top: 1px dashed #bbb; margin: 2em 0; }}
@media print {{ hr.page {{ display: none; }} }}
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_block(block: Block, zh: bool) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_h(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        classes = []
        if block.indent and zh:
            classes.append("indent")
        if block.align != "left":
            classes.append(block.align)
        cls = f' class="{" ".join(classes)}"' if classes else ""
        inner = f"<strong>{_h(block.text)}</strong>" if block.strong else _h(block.text)
        return f"<p{cls}>{inner}</p>"
    if isinstance(block, Table):
        def num(i: int) -> bool:
            return bool(block.numeric) and i < len(block.numeric) and block.numeric[i]

        head = "".join(f"<th>{_h(h)}</th>" for h in block.header)
        rows = []
        for n, row in enumerate(block.rows):
            cls = ' class="total"' if block.total_last and n == len(block.rows) - 1 else ""
            cells = "".join(f'<td class="num">{_h(c)}</td>' if num(i) else f"<td>{_h(c)}</td>"
                            for i, c in enumerate(row))
            rows.append(f"<tr{cls}>{cells}</tr>")
        return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        cls = ' class="check"' if block.checkboxes and not block.ordered else ""
        items = "".join(f"<li>{_h(i)}</li>" for i in block.items)
        return f"<{tag}{cls}>{items}</{tag}>"
    if isinstance(block, Callout):
        lines = "".join(f"<p>{_h(x)}</p>" for x in block.lines)
        return f'<div class="callout {block.tone}"><div class="title">{_h(block.title)}</div>{lines}</div>'
    if isinstance(block, Signature):
        printed = "".join(f"<p>{_h(p)}</p>" for p in block.printed)
        sep = "：" if zh else ":"
        lines = "".join(f'<div class="line"><span class="label">{_h(lb)}{sep}</span><span class="rule"></span></div>'
                        for lb in block.sign_labels)
        return f'<div class="signature">{printed}{lines}</div>'
    return '<hr class="page">'


def to_html(doc: Document) -> str:
    zh = _is_zh(doc)
    cover = "\n".join(_html_block(b, zh) for b in doc.cover)
    body = "\n".join(_html_block(b, zh) for b in doc.body)
    cover_html = f'<section class="cover">\n{cover}\n</section>\n' if doc.cover else ""
    return (f'<!DOCTYPE html>\n<html lang="{HTML_LANG[doc.lang]}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_h(doc.title)}</title>\n<style>{_css(doc)}</style>\n</head>\n<body>\n"
            f'{cover_html}<main>\n{body}\n</main>\n</body>\n</html>\n')


def to_pdf(doc: Document) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the system libraries (pango) are missing
        raise UserError("letter.error.render_unavailable", format="PDF", what=f"WeasyPrint ({exc})") from None
    data = HTML(string=to_html(doc)).write_pdf()
    assert isinstance(data, bytes)
    return data


# ---------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------


def _set_fonts(style: Any, latin: str, east_asian: str, *, size: float | None = None, bold: bool | None = None
               ) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.name = latin
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asian)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)


def _page_field(paragraph: Any) -> None:
    """A PAGE field: Word and LibreOffice fill in the page number."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = paragraph.add_run()
        if kind is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _docx_block(out: DocxDocument, block: Block, zh: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if isinstance(block, Heading):
        p = out.add_heading(block.text, level=min(block.level, 3) if block.level > 1 else 0)
        if block.level == 1:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return
    if isinstance(block, Para):
        p = out.add_paragraph()
        run = p.add_run(block.text)
        run.bold = block.strong
        if block.indent and zh:
            p.paragraph_format.first_line_indent = Pt(24)
        if block.align == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif block.align == "center":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif zh:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        return
    if isinstance(block, Table):
        table = out.add_table(rows=1 + len(block.rows), cols=len(block.header))
        table.style = "Table Grid"
        for i, h in enumerate(block.header):
            cell = table.rows[0].cells[i]
            cell.text = ""
            cell.paragraphs[0].add_run(h).bold = True
            _shade(cell, "EEEEEE")
        for r, row in enumerate(block.rows, 1):
            total = block.total_last and r == len(block.rows)
            for i, text in enumerate(row):
                cell = table.rows[r].cells[i]
                cell.text = ""
                run = cell.paragraphs[0].add_run(text)
                run.bold = total
                if block.numeric and i < len(block.numeric) and block.numeric[i]:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        out.add_paragraph()
        return
    if isinstance(block, Bullets):
        for item in block.items:
            if block.checkboxes and not block.ordered:
                out.add_paragraph("☐ " + item)
            else:
                out.add_paragraph(item, style="List Number" if block.ordered else "List Bullet")
        return
    if isinstance(block, Callout):
        table = out.add_table(rows=1, cols=1)
        table.style = "Table Grid"
        cell = table.rows[0].cells[0]
        _shade(cell, "FDF7EA" if block.tone == "warning" else "F3F7FB")
        cell.text = ""
        title = cell.paragraphs[0].add_run(("⚠ " if block.tone == "warning" else "") + block.title)
        title.bold = True
        for line in block.lines:
            cell.add_paragraph(line)
        out.add_paragraph()
        return
    if isinstance(block, Signature):
        sep = "：" if zh else ": "
        for text in block.printed:
            p = out.add_paragraph(text)
            p.paragraph_format.left_indent = Pt(220)
            p.paragraph_format.space_before = Pt(12)
        for label in block.sign_labels:
            p = out.add_paragraph(f"{label}{sep}{SIGN_LINE}")
            p.paragraph_format.left_indent = Pt(220)
            p.paragraph_format.space_before = Pt(14)
        return
    from docx.enum.text import WD_BREAK

    out.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def to_docx(doc: Document) -> bytes:
    try:
        from docx import Document as new_docx
        from docx.shared import Mm, Pt
    except ImportError as exc:
        raise UserError("letter.error.render_unavailable", format="DOCX", what=f"python-docx ({exc})") from None
    out = new_docx()
    section = out.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(24)
    section.left_margin = section.right_margin = Mm(22)
    east = DOCX_EAST_ASIAN[doc.lang]
    zh = _is_zh(doc)
    _set_fonts(out.styles["Normal"], "Times New Roman", east, size=11.5)
    out.styles["Normal"].paragraph_format.line_spacing = 1.5
    for name, size in (("Title", 18.0), ("Heading 1", 14.0), ("Heading 2", 12.5), ("Heading 3", 11.5)):
        _set_fonts(out.styles[name], "Arial", "SimHei" if doc.lang == "zh_CN" else east, size=size, bold=True)
    for name in ("List Bullet", "List Number"):
        _set_fonts(out.styles[name], "Times New Roman", east)
    out.core_properties.title = doc.title
    out.core_properties.author = "xieshang"
    out.core_properties.language = HTML_LANG[doc.lang]
    for block in doc.blocks:
        _docx_block(out, block, zh)
    footer = section.footer.paragraphs[0]
    footer.text = doc.footer + "    "
    _page_field(footer)
    for run in footer.runs:
        run.font.size = Pt(8)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def render(doc: Document, fmt: str) -> bytes:
    """The document in ``fmt`` (md, html, pdf, docx) as bytes (text formats in UTF-8)."""
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt == "html":
        return to_html(doc).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(doc)
    if fmt == "docx":
        return to_docx(doc)
    raise UserError("letter.error.bad_format", value=fmt)
