"""``xieshang records …``: the contact log — add, correct, list, show, flags, verify, export,
verify-bundle. Thin: parse, call :mod:`xieshang.services.records`, present.

``verify`` and ``verify-bundle`` exit 0 when intact, 1 when something was tampered with (the
report says what), 2 for a user error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from xieshang.cli.case import JsonOpt, ask, parse_id, store
from xieshang.i18n import current_language, t

if TYPE_CHECKING:
    from xieshang.records.chain import Problem
    from xieshang.records.conduct import ConductFlag
    from xieshang.records.model import Entry, EntryContent
    from xieshang.services.records import VerifyReport

app = typer.Typer(help="联系记录 contact log: add, correct, list, show, flags, verify, export, verify-bundle.",
                  no_args_is_help=True)

When = Annotated[str | None, typer.Option(
    "--when", help="时间 when it happened: 'YYYY-MM-DD HH:MM' (+08:00 optional); default now.")]
Tz = Annotated[str | None, typer.Option("--tz", help="时区 timezone for --when: +08:00 or Asia/Shanghai (default: XIESHANG_TZ, else Asia/Shanghai).")]
Direction = Annotated[str | None, typer.Option("--direction", help="方向 incoming (they contacted) or outgoing.")]
Channel = Annotated[str | None, typer.Option("--channel", help="方式 call, sms, app-chat, email, letter, visit.")]
Counterparty = Annotated[str | None, typer.Option("--counterparty", help="对方 who: lender, agency or person name.")]
CounterpartyKind = Annotated[str | None, typer.Option(
    "--counterparty-kind", help="对方类型 lender, agency, person, authority, unknown.")]
Phone = Annotated[str | None, typer.Option("--phone", help="对方号码 the number they used.")]
Contacted = Annotated[str | None, typer.Option(
    "--contacted", help="被联系人 borrower (default), relative, employer, colleague, contact-list, other.")]
ContactedName = Annotated[str | None, typer.Option("--contacted-name", help="被联系人称呼 e.g. 母亲, my manager.")]
Outcome = Annotated[str | None, typer.Option("--outcome", help="电话结果 connected (default) or unanswered.")]
Count = Annotated[int | None, typer.Option("--count", help="次数 how many calls/messages this entry stands for.")]
Disclosed = Annotated[bool | None, typer.Option(
    "--disclosed/--not-disclosed", help="向第三人透露了债务 the debt was disclosed to the third party.")]
Summary = Annotated[str | None, typer.Option("--summary", help="内容摘要 what was said or done.")]
Their = Annotated[str | None, typer.Option("--they-promised", help="对方承诺 what they promised.")]
Mine = Annotated[str | None, typer.Option("--i-promised", help="我方承诺 what you promised.")]
LoanOpt = Annotated[str | None, typer.Option("--loan", help="借款编号 the loan it is about.")]
Attach = Annotated[list[Path] | None, typer.Option(
    "--attach", help="附件 recording, screenshot, PDF, email (repeatable).")]


def _entries_text(ids: tuple[int, ...], lang: str) -> str:
    return "、".join(str(i) for i in ids) if lang != "en" else ", ".join(f"#{i}" for i in ids)


def problem_text(p: Problem, lang: str | None = None) -> str:
    language = lang or current_language()
    params: dict[str, Any] = {**p.params, "entries": _entries_text(p.entries, language)}
    return t(f"records.problem.{p.kind}", lang=language, **params)


def _when(e: Entry) -> str:
    from xieshang.records.render import when

    return when(e)


def _print_entry(e: Entry, flags: list[ConductFlag]) -> None:
    from xieshang.records.render import label

    lang = current_language()
    c = e.content
    typer.echo(f"#{e.id}  {_when(e)}  {label('direction', c.direction, lang)} · {label('channel', c.channel, lang)}"
               + (f" · {label('outcome', c.outcome, lang)}" if c.outcome else "")
               + (f" × {c.count}" if c.count > 1 else ""))
    party = f"{c.counterparty} ({label('counterparty', c.counterparty_kind, lang)})"
    typer.echo(f"  {t('records.col.counterparty')}: {party}" + (f" {c.counterparty_phone}" if c.counterparty_phone else ""))
    who = label("contacted", c.contacted, lang) + (f" ({c.contacted_name})" if c.contacted_name else "")
    if c.disclosed:
        who += " — " + t("records.word.disclosed")
    typer.echo(f"  {t('records.col.contacted')}: {who}")
    typer.echo(f"  {t('records.col.summary')}: {c.summary}")
    if c.their_promises:
        typer.echo(f"  {t('records.bundle.their_promises')}: {c.their_promises}")
    if c.my_promises:
        typer.echo(f"  {t('records.bundle.my_promises')}: {c.my_promises}")
    for a in c.attachments:
        typer.echo("  " + t("records.attached", name=a.name, type=a.media_type, size=a.size, sha=a.sha256))
    if c.corrects is not None:
        typer.echo("  " + t("records.corrects", id=c.corrects))
    if e.corrected_by:
        typer.echo("  " + t("records.corrected_by", ids=", ".join(str(i) for i in e.corrected_by)))
    for f in flags:
        typer.echo("  " + t("records.flag_line", title=f.title(lang), evidence=f.evidence, rule=f.rule_title(lang),
                             citation=f.citation))


def _content(*, when: str | None, tz: str | None, direction: str | None, channel: str | None,
             counterparty: str | None, counterparty_kind: str | None, phone: str | None, contacted: str | None,
             contacted_name: str | None, outcome: str | None, count: int | None, disclosed: bool | None,
             summary: str | None, their: str | None, mine: str | None, loan: str | None) -> EntryContent:
    from xieshang.records.model import EntryContent
    from xieshang.services.records import parse_choice, parse_when

    occurred = parse_when(when, tz)
    return EntryContent(
        occurred=occurred,
        direction=ask(direction, lambda v: parse_choice("direction", v), field="direction", flag="--direction",
                      prompt=t("records.col.how") + " (incoming/outgoing)"),
        channel=ask(channel, lambda v: parse_choice("channel", v), field="channel", flag="--channel",
                    prompt=t("records.col.how") + " (call/sms/app-chat/email/letter/visit)"),
        counterparty=ask(counterparty, str.strip, field="counterparty", flag="--counterparty",
                         prompt=t("records.col.counterparty")),
        summary=ask(summary, str.strip, field="summary", flag="--summary", prompt=t("records.col.summary")),
        counterparty_kind=parse_choice("counterparty_kind", counterparty_kind or "unknown"),
        counterparty_phone=phone,
        contacted=parse_choice("contacted", contacted or "borrower"),
        contacted_name=contacted_name,
        outcome=None if outcome is None else parse_choice("outcome", outcome),
        count=1 if count is None else count,
        disclosed=bool(disclosed),
        their_promises=their,
        my_promises=mine,
        loan_id=None if loan is None else parse_id(loan),
    )


def _show_added(e: Entry, json_out: bool, *, old: int | None = None) -> None:
    from xieshang.cli.output import print_json
    from xieshang.services.records import conduct_flags, list_entries

    flags = [f for f in conduct_flags(list_entries(store())) if f.entry_id == e.id]
    if json_out:
        print_json({**e.to_json(), "flags": [f.to_json() for f in flags]})
        return
    if old is None:
        typer.echo(t("records.added", id=e.id, when=_when(e)))
    else:
        typer.echo(t("records.corrected", id=e.id, old=old))
    lang = current_language()
    for f in flags:
        typer.echo("  " + t("records.flag_line", title=f.title(lang), evidence=f.evidence, rule=f.rule_title(lang),
                             citation=f.citation))


@app.command("add")
def add_command(
    when: When = None, tz: Tz = None, direction: Direction = None, channel: Channel = None,
    counterparty: Counterparty = None, counterparty_kind: CounterpartyKind = None, phone: Phone = None,
    contacted: Contacted = None, contacted_name: ContactedName = None, outcome: Outcome = None,
    count: Count = None, disclosed: Disclosed = None, summary: Summary = None, they_promised: Their = None,
    i_promised: Mine = None, loan: LoanOpt = None, attach: Attach = None, json_out: JsonOpt = False,
) -> None:
    """记录一次联系 Log a call, message, letter or visit (with attachments)."""
    from xieshang.services.records import add_entry

    content = _content(when=when, tz=tz, direction=direction, channel=channel, counterparty=counterparty,
                       counterparty_kind=counterparty_kind, phone=phone, contacted=contacted,
                       contacted_name=contacted_name, outcome=outcome, count=count, disclosed=disclosed,
                       summary=summary, their=they_promised, mine=i_promised, loan=loan)
    entry = add_entry(store(create=True), content, attach or [])
    _show_added(entry, json_out)


@app.command("correct")
def correct_command(
    entry: Annotated[str, typer.Argument(help="要更正的记录编号 the entry to correct.")],
    when: When = None, tz: Tz = None, direction: Direction = None, channel: Channel = None,
    counterparty: Counterparty = None, counterparty_kind: CounterpartyKind = None, phone: Phone = None,
    contacted: Contacted = None, contacted_name: ContactedName = None, outcome: Outcome = None,
    count: Count = None, disclosed: Disclosed = None, summary: Summary = None, they_promised: Their = None,
    i_promised: Mine = None, loan: LoanOpt = None, attach: Attach = None, json_out: JsonOpt = False,
) -> None:
    """更正一条记录（新增一条引用原记录，原记录不变）Correct an entry by appending a new one."""
    from xieshang.services.records import correct_entry, parse_choice, parse_when

    entry_id = parse_id(entry)
    changes: dict[str, Any] = {}
    if when is not None:
        changes["occurred"] = parse_when(when, tz)
    for field, value in (("direction", direction), ("channel", channel), ("counterparty_kind", counterparty_kind),
                         ("contacted", contacted), ("outcome", outcome)):
        if value is not None:
            changes[field] = parse_choice(field, value)
    for field, text in (("counterparty", counterparty), ("counterparty_phone", phone),
                        ("contacted_name", contacted_name), ("summary", summary), ("their_promises", they_promised),
                        ("my_promises", i_promised)):
        if text is not None:
            changes[field] = text
    if count is not None:
        changes["count"] = count
    if disclosed is not None:
        changes["disclosed"] = disclosed
    if loan is not None:
        changes["loan_id"] = parse_id(loan)
    new = correct_entry(store(), entry_id, changes, attach or [])
    _show_added(new, json_out, old=entry_id)


@app.command("list")
def list_command(
    loan: LoanOpt = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="只看有提示的 only entries with flags.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """列出联系记录 List the contact log in time order, with conduct flags."""
    from xieshang.cli.output import print_json
    from xieshang.services.records import conduct_flags, list_entries

    st = store()
    everything = list_entries(st)
    flags = conduct_flags(everything)
    by_entry: dict[int, list[ConductFlag]] = {}
    for f in flags:
        by_entry.setdefault(f.entry_id, []).append(f)
    loan_id = None if loan is None else parse_id(loan)
    shown = [e for e in everything if (loan_id is None or e.content.loan_id == loan_id)
             and (not flagged or e.id in by_entry)]
    if json_out:
        print_json({"entries": [{**e.to_json(), "flags": [f.to_json() for f in by_entry.get(e.id, [])]}
                                for e in shown]})
        return
    if not shown:
        typer.echo(t("records.none"))
        return
    typer.echo(t("records.list_title"))
    for e in shown:
        _print_entry(e, by_entry.get(e.id, []))


@app.command("show")
def show_command(
    entry: Annotated[str, typer.Argument(help="记录编号 entry id.")],
    json_out: JsonOpt = False,
) -> None:
    """查看一条记录 Show one entry with its attachments, hashes and flags."""
    from xieshang.cli.output import print_json
    from xieshang.services.records import conduct_flags, get_entry, list_entries

    st = store()
    e = get_entry(st, parse_id(entry))
    flags = [f for f in conduct_flags(list_entries(st)) if f.entry_id == e.id]
    if json_out:
        print_json({**e.to_json(), "flags": [f.to_json() for f in flags]})
        return
    _print_entry(e, flags)
    typer.echo(f"  prev {e.prev_hash}\n  hash {e.entry_hash}")


@app.command("flags")
def flags_command(loan: LoanOpt = None, json_out: JsonOpt = False) -> None:
    """可能违规的催收行为 Entries flagged against the collection rules, with the rules cited."""
    from xieshang.cli.output import print_json
    from xieshang.services.records import flagged_entries

    found = flagged_entries(store(), None if loan is None else parse_id(loan))
    if json_out:
        print_json({"flagged": [f.to_json() for f in found]})
        return
    if not found:
        typer.echo(t("records.no_flags"))
        return
    typer.echo(t("records.flags_title"))
    for item in found:
        _print_entry(item.entry, list(item.flags))
    typer.echo(t("records.flags_disclaimer"))


def _report(report: VerifyReport, json_out: bool, ok_key: str, bad_key: str) -> None:
    from xieshang.cli.output import print_json

    if json_out:
        data = report.to_json()
        data["problems"] = [{**p.to_json(), "message": problem_text(p)} for p in report.problems]
        print_json(data)
    elif report.intact:
        typer.echo(t(ok_key, entries=report.entries, attachments=report.attachments, head=report.head_hash or "—"))
    else:
        typer.echo(t(bad_key, count=len(report.problems)))
        for p in report.problems:
            typer.echo("  ✗ " + problem_text(p))
    if not report.intact:
        raise typer.Exit(1)


@app.command("verify")
def verify_command(json_out: JsonOpt = False) -> None:
    """校验记录未被改动 Check that no entry or attachment was edited, deleted or reordered (exit 1 if so)."""
    from xieshang.services.records import verify_log

    report = verify_log(store())
    _report(report, json_out, "records.verify_ok", "records.verify_bad")
    if not json_out and report.entries:
        typer.echo(t("records.verify_head_hint"))


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="证据包文件 FILE.zip")],
    json_out: JsonOpt = False,
) -> None:
    """导出证据包 Write the evidence bundle: index (HTML, Markdown), flags, attachments, SHA-256 manifest."""
    from xieshang.errors import UserError
    from xieshang.services.records import export_bundle, pdf_available

    if file.suffix.lower() != ".zip":
        raise UserError("records.error.not_zip", path=str(file))
    report = export_bundle(store(), file)
    if json_out:
        from xieshang.cli.output import print_json

        print_json({"file": str(file), "pdf": pdf_available(), **report.to_json()})
        return
    typer.echo(t("records.export_done", path=str(file), entries=report.entries, attachments=report.attachments))
    if not pdf_available():
        typer.echo(t("records.export_pdf_pending"), err=True)


@app.command("verify-bundle")
def verify_bundle_command(
    file: Annotated[Path, typer.Argument(help="证据包文件 FILE.zip")],
    json_out: JsonOpt = False,
) -> None:
    """核验证据包（无需数据库）Check an evidence bundle on its own (exit 1 if anything was changed)."""
    from xieshang.services.records import verify_bundle

    _report(verify_bundle(file), json_out, "records.bundle_ok", "records.bundle_bad")
