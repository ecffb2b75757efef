"""The evidence bundle's index in Markdown and HTML, zh_CN or en (pure: strings in, strings out).

The index is a chronological list of every entry (corrected ones marked), a per-lender summary
and the conduct flags with the rules they cite; attachments are linked by their path inside the
bundle. The HTML is one self-contained file (inline CSS, no scripts, nothing fetched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from xieshang.i18n import t
from xieshang.records.attachments import EXTENSIONS
from xieshang.records.conduct import ConductFlag
from xieshang.records.model import AttachmentRef, Entry, iso_local, iso_utc
from xieshang.records.summary import LenderSummary, lender_of


@dataclass(frozen=True, slots=True)
class IndexData:
    entries: Sequence[Entry]  # every entry, chronological
    flags: Sequence[ConductFlag]
    summaries: Sequence[LenderSummary]
    lenders: Mapping[int, str]
    created: datetime
    head_hash: str | None


def attachment_path(ref: AttachmentRef) -> str:
    """Where an attachment sits inside a bundle: ``attachments/<sha256>.<ext>``."""
    return f"attachments/{ref.sha256}.{EXTENSIONS.get(ref.media_type, 'bin')}"


def label(kind: str, value: str | None, lang: str) -> str:
    return "" if value is None else t(f"records.{kind}.{value}", lang=lang)


def when(entry: Entry) -> str:
    """``2025-11-20 23:40 (UTC+08:00)``."""
    local = iso_local(entry.content.occurred)
    return f"{local[:10]} {local[11:16]} (UTC{local[19:] or '+00:00'})"


def _who(entry: Entry, lang: str) -> str:
    c = entry.content
    party = f"{c.counterparty} ({label('counterparty', c.counterparty_kind, lang)}"
    party += f", {c.counterparty_phone})" if c.counterparty_phone else ")"
    return party


def _contacted(entry: Entry, lang: str) -> str:
    c = entry.content
    text = label("contacted", c.contacted, lang)
    if c.contacted_name:
        text += f" ({c.contacted_name})"
    if c.disclosed:
        text += " — " + t("records.word.disclosed", lang=lang)
    return text


def _how(entry: Entry, lang: str) -> str:
    c = entry.content
    text = f"{label('direction', c.direction, lang)} · {label('channel', c.channel, lang)}"
    if c.outcome:
        text += f" · {label('outcome', c.outcome, lang)}"
    if c.count > 1:
        text += f" × {c.count}"
    return text


def _flags_by_entry(flags: Sequence[ConductFlag]) -> dict[int, list[ConductFlag]]:
    out: dict[int, list[ConductFlag]] = {}
    for f in flags:
        out.setdefault(f.entry_id, []).append(f)
    return out


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


# -- Markdown ---------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(data: IndexData, lang: str) -> str:
    def L(key: str, **kw: Any) -> str:
        return t(f"records.bundle.{key}", lang=lang, **kw)

    by_entry = _flags_by_entry(data.flags)
    lines = [f"# {L('title')}", "", L("intro", created=iso_utc(data.created), count=len(data.entries),
                                        head=data.head_hash or "—"), "", f"> {L('disclaimer')}", ""]
    lines += [f"## {L('summary')}", ""]
    lines += [f"| {L('col_lender')} | {L('col_entries')} | {L('col_calls')} | {L('col_unanswered')} | "
              f"{L('col_third_party')} | {L('col_flags')} | {L('col_period')} |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for s in data.summaries:
        lines.append(f"| {_md_cell(s.lender)} | {s.entries} | {s.calls} | {s.unanswered} | {s.third_party} | "
                     f"{s.flags} | {s.first.isoformat()} – {s.last.isoformat()} |")
    lines += ["", f"## {L('flags')}", ""]
    if not data.flags:
        lines.append(L("no_flags"))
    for f in data.flags:
        lines.append(f"- **#{f.entry_id}** {f.title(lang)} — “{_md_cell(f.evidence)}”  \n"
                     f"  {L('cites')}: {f.rule_title(lang)} — {f.citation} ({L('confidence')} {f.confidence})")
    lines += ["", f"## {L('entries')}", ""]
    for e in data.entries:
        c = e.content
        head = f"### #{e.id} · {when(e)} · {_md_cell(lender_of(e, data.lenders))}"
        lines += [head, ""]
        if e.superseded:
            lines += [f"*{L('corrected_by', ids=', '.join(f'#{i}' for i in e.corrected_by))}*", ""]
        if c.corrects is not None:
            lines += [f"*{L('corrects', id=c.corrects)}*", ""]
        lines += [f"- {L('how')}: {_how(e, lang)}", f"- {L('counterparty')}: {_md_cell(_who(e, lang))}",
                  f"- {L('contacted')}: {_md_cell(_contacted(e, lang))}", f"- {L('summary_label')}: {_md_cell(c.summary)}"]
        if c.their_promises:
            lines.append(f"- {L('their_promises')}: {_md_cell(c.their_promises)}")
        if c.my_promises:
            lines.append(f"- {L('my_promises')}: {_md_cell(c.my_promises)}")
        for a in c.attachments:
            lines.append(f"- {L('attachment')}: [{_md_cell(a.name)}]({attachment_path(a)}) "
                         f"({a.media_type}, {_size(a.size)}, SHA-256 `{a.sha256}`)")
        for f in by_entry.get(e.id, []):
            lines.append(f"- ⚠ {f.title(lang)} — {f.rule_title(lang)} ({f.citation})")
        lines += [f"- {L('hash')}: `{e.entry_hash}`", ""]
    lines += [f"## {L('verify_title')}", "", L("verify_how"), ""]
    return "\n".join(lines)


# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:60em;margin:2em auto;padding:0 1em;line-height:1.5;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left}
td.n{text-align:right}.flag{color:#a40000}.note{background:#f6f6f6;padding:.6em 1em;border-left:4px solid #999}
.entry{page-break-inside:avoid;margin-bottom:1.2em}.old{color:#777}code{font-size:.85em;word-break:break-all}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.3em 0}dt{color:#555}dd{margin:0}
"""


def render_html(data: IndexData, lang: str) -> str:
    def L(key: str, **kw: Any) -> str:
        return escape(t(f"records.bundle.{key}", lang=lang, **kw))

    by_entry = _flags_by_entry(data.flags)
    html_lang = "en" if lang == "en" else "zh-CN"
    out = [f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">',
           f"<title>{L('title')}</title><style>{_CSS}</style></head><body>",
           f"<h1>{L('title')}</h1>",
           f"<p>{L('intro', created=iso_utc(data.created), count=len(data.entries), head=data.head_hash or '—')}</p>",
           f'<p class="note">{L("disclaimer")}</p>',
           f"<h2>{L('summary')}</h2><table><tr><th>{L('col_lender')}</th><th>{L('col_entries')}</th>"
           f"<th>{L('col_calls')}</th><th>{L('col_unanswered')}</th><th>{L('col_third_party')}</th>"
           f"<th>{L('col_flags')}</th><th>{L('col_period')}</th></tr>"]
    for s in data.summaries:
        out.append(f"<tr><td>{escape(s.lender)}</td><td class=n>{s.entries}</td><td class=n>{s.calls}</td>"
                   f"<td class=n>{s.unanswered}</td><td class=n>{s.third_party}</td><td class=n>{s.flags}</td>"
                   f"<td>{s.first.isoformat()} – {s.last.isoformat()}</td></tr>")
    out.append(f"</table><h2>{L('flags')}</h2>")
    if not data.flags:
        out.append(f"<p>{L('no_flags')}</p>")
    else:
        out.append("<ul>")
        for f in data.flags:
            out.append(f'<li class="flag"><a href="#e{f.entry_id}">#{f.entry_id}</a> <b>{escape(f.title(lang))}</b>'
                       f" — “{escape(f.evidence)}”<br><small>{L('cites')}: {escape(f.rule_title(lang))} — "
                       f"{escape(f.citation)} ({L('confidence')} {escape(f.confidence)})</small></li>")
        out.append("</ul>")
    out.append(f"<h2>{L('entries')}</h2>")
    for e in data.entries:
        c = e.content
        cls = "entry old" if e.superseded else "entry"
        out.append(f'<div class="{cls}" id="e{e.id}"><h3>#{e.id} · {escape(when(e))} · '
                   f"{escape(lender_of(e, data.lenders))}</h3>")
        if e.superseded:
            out.append(f"<p><i>{L('corrected_by', ids=', '.join(f'#{i}' for i in e.corrected_by))}</i></p>")
        if c.corrects is not None:
            out.append(f"<p><i>{L('corrects', id=c.corrects)}</i></p>")
        rows = [(L("how"), escape(_how(e, lang))), (L("counterparty"), escape(_who(e, lang))),
                (L("contacted"), escape(_contacted(e, lang))), (L("summary_label"), escape(c.summary))]
        if c.their_promises:
            rows.append((L("their_promises"), escape(c.their_promises)))
        if c.my_promises:
            rows.append((L("my_promises"), escape(c.my_promises)))
        for a in c.attachments:
            rows.append((L("attachment"), f'<a href="{attachment_path(a)}">{escape(a.name)}</a> '
                                          f"({escape(a.media_type)}, {_size(a.size)})<br><code>{a.sha256}</code>"))
        for f in by_entry.get(e.id, []):
            rows.append(("⚠", f'<span class="flag">{escape(f.title(lang))}</span> — {escape(f.rule_title(lang))}'))
        rows.append((L("hash"), f"<code>{e.entry_hash}</code>"))
        out.append("<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl></div>")
    out.append(f"<h2>{L('verify_title')}</h2><p>{L('verify_how')}</p></body></html>")
    return "\n".join(out)


# -- the documents model (for PDF) ------------------------------------------------------------


def index_document(data: IndexData, lang: str) -> Any:
    """The index as a :class:`xieshang.documents.model.Document`, so the documents renderer lays
    it out as PDF with the same fonts and page furniture as the letters."""
    from xieshang.documents.model import Bullets, Callout, Document, Heading, Para, Table

    def L(key: str, **kw: Any) -> str:
        return t(f"records.bundle.{key}", lang=lang, **kw)

    by_entry = _flags_by_entry(data.flags)
    body: list[Any] = [
        Heading(L("title"), level=1),
        Para(L("intro", created=iso_utc(data.created), count=len(data.entries), head=data.head_hash or "—")),
        Callout(title="⚠", lines=(L("disclaimer"),), tone="warning"),
        Heading(L("summary")),
        Table(header=(L("col_lender"), L("col_entries"), L("col_calls"), L("col_unanswered"), L("col_third_party"),
                      L("col_flags"), L("col_period")),
              rows=tuple((s.lender, str(s.entries), str(s.calls), str(s.unanswered), str(s.third_party),
                          str(s.flags), f"{s.first.isoformat()} – {s.last.isoformat()}") for s in data.summaries),
              numeric=(False, True, True, True, True, True, False)),
        Heading(L("flags")),
    ]
    if data.flags:
        body.append(Bullets(items=tuple(
            f"#{f.entry_id} {f.title(lang)} — “{f.evidence}” ({L('cites')}: {f.rule_title(lang)} — {f.citation}; "
            f"{L('confidence')} {f.confidence})" for f in data.flags)))
    else:
        body.append(Para(L("no_flags")))
    body.append(Heading(L("entries")))
    for e in data.entries:
        c = e.content
        body.append(Heading(f"#{e.id} · {when(e)} · {lender_of(e, data.lenders)}", level=3))
        items = []
        if e.superseded:
            items.append(L("corrected_by", ids=", ".join(f"#{i}" for i in e.corrected_by)))
        if c.corrects is not None:
            items.append(L("corrects", id=c.corrects))
        items += [f"{L('how')}: {_how(e, lang)}", f"{L('counterparty')}: {_who(e, lang)}",
                  f"{L('contacted')}: {_contacted(e, lang)}", f"{L('summary_label')}: {c.summary}"]
        if c.their_promises:
            items.append(f"{L('their_promises')}: {c.their_promises}")
        if c.my_promises:
            items.append(f"{L('my_promises')}: {c.my_promises}")
        items += [f"{L('attachment')}: {a.name} ({a.media_type}, {_size(a.size)}) — {attachment_path(a)}"
                  for a in c.attachments]
        items += [f"⚠ {f.title(lang)} — {f.rule_title(lang)}" for f in by_entry.get(e.id, [])]
        items.append(f"{L('hash')}: {e.entry_hash}")
        body.append(Bullets(items=tuple(items)))
    body += [Heading(L("verify_title")), Para(L("verify_how"))]
    head = (data.head_hash or "—")[:16]
    return Document(kind="evidence-index", lang="en" if lang == "en" else "zh_CN", title=L("title"), cover=(),
                    body=tuple(body), footer=f"xieshang · {head}")
