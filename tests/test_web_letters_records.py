"""The documents page (/letters), the contact log page (/records) and their JSON API, through
FastAPI's TestClient on a real store with the demo case: pages in zh_CN and en, preview, every
download format (PDF, DOCX, Markdown with the case's real owed amount), inline errors that make
or save nothing, phone uploads refused when too big or of a wrong kind, corrections, the chain
check, and an evidence bundle that the records service verifies on its own."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web_support import field_error

from records_helpers import png_bytes
from xieshang import clock
from xieshang.i18n import t
from xieshang.money import fmt_display
from xieshang.services.case import get_loan, list_loans
from xieshang.services.letters import list_made, loan_facts
from xieshang.services.records import attachment_folder, list_entries, verify_bundle
from xieshang.store.db import Store, open_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LANGS = ("zh_CN", "en")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(str(tmp_path / "s.sqlite"))
    yield st
    st.close()


def _text(html: str) -> str:
    from html import unescape

    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _loan_id(store: Store, product: str) -> int:
    return next(ln.id for ln in list_loans(store) if ln.product == product)


def _payoff(store: Store, loan_id: int) -> str:
    return fmt_display(loan_facts(get_loan(store, loan_id), clock.today()).status.payoff)


def _files(store: Store) -> list[Path]:
    folder = attachment_folder(store)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# ---------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_documents_page_lists_every_kind_with_what_it_is_for(demo: TestClient, lang: str) -> None:
    r = demo.get(f"/letters?lang={lang}")
    assert r.status_code == 200
    text = _text(r.text)
    for kind in ("negotiation", "waiver", "hardship", "card-installment", "call-script", "confirmation",
                 "settlement-proof", "complaint", "credit-dispute"):
        assert t(f"letter.kind.{kind}", lang=lang) in text
        assert t(f"webdocs.kind_what.{kind}", lang=lang) in text
    assert t("webdocs.letters.card_only", lang=lang) in text
    assert t("webdocs.letters.checklist_title", lang=lang) in text
    assert 'name="doc_lang"' in r.text and 'value="zh_TW"' in r.text and 'value="zh_HK"' in r.text
    for fmt in ("pdf", "docx", "md"):
        assert f'formaction="/letters/download" name="format" value="{fmt}"' in r.text
    assert "http://" not in r.text.replace("http://www.w3.org/2000/svg", "")


def test_kind_switch_shows_only_its_fields(demo: TestClient, store: Store) -> None:
    card = _loan_id(store, "card")
    page = demo.get(f"/letters?kind=complaint&loan={card}").text
    assert 'name="issue"' in page and 'name="monthly"' not in page
    page = demo.get(f"/letters?kind=confirmation&loan={card}").text
    assert 'name="call_date"' in page and 'name="monthly"' in page and 'name="issue"' not in page
    page = demo.get("/letters?kind=credit-dispute").text
    assert 'name="wrong"' in page and 'name="evidence"' in page


def test_preview_shows_the_document_and_what_is_missing_and_records_nothing(demo: TestClient, store: Store) -> None:
    loan = _loan_id(store, "loan")
    r = demo.get(f"/letters/preview?kind=negotiation&loan={loan}&doc_lang=zh_CN")
    assert r.status_code == 200
    text = _text(r.text)
    assert t("webdocs.letters.preview_title", kind=t("letter.kind.negotiation")) in text
    assert _payoff(store, loan) in text  # the engine's figure, in the page
    assert t("webdocs.letters.missing_title") in text
    assert t("webdocs.missing.id_number") in text  # the demo person has no ID number
    assert '<div class="doc-preview"' in r.text and "<h1>" not in r.text.split('class="doc-preview"')[1]
    assert "None" not in text.split(t("webdocs.letters.preview_title", kind=t("letter.kind.negotiation")))[1]
    assert list_made(store) == []


def test_preview_in_english_and_traditional_chinese(demo: TestClient, store: Store) -> None:
    loan = _loan_id(store, "loan")
    en = _text(demo.get(f"/letters/preview?kind=waiver&loan={loan}&doc_lang=en").text)
    assert "Dear" in en or "waive" in en.lower()
    tw = demo.get(f"/letters/preview?kind=negotiation&loan={loan}&doc_lang=zh_TW").text
    assert "協商還款申請書" in tw and 'lang="zh-TW"' in tw


@pytest.mark.parametrize("fmt", ["pdf", "docx", "md"])
def test_each_download_format(demo: TestClient, store: Store, fmt: str) -> None:
    loan = _loan_id(store, "loan")
    r = demo.post("/letters/download", data={"kind": "negotiation", "loan": str(loan), "doc_lang": "zh_CN",
                                             "format": fmt, "monthly": "1500", "months": "12"})
    assert r.status_code == 200, r.text[:500]
    name = f"negotiation-{loan}-zh_CN-{clock.today().isoformat()}.{fmt}"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    if fmt == "pdf":
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
    elif fmt == "docx":
        assert r.headers["content-type"] == DOCX
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            assert "word/document.xml" in z.namelist()
            assert _payoff(store, loan) in z.read("word/document.xml").decode("utf-8")
    else:
        assert r.headers["content-type"] == "text/markdown; charset=utf-8"
        body = r.content.decode("utf-8")
        assert _payoff(store, loan) in body  # the real owed amount of the case
        assert "1,500.00" in body and "{" not in body
    made = list_made(store)
    assert [(m.kind, m.loan_id, m.fmt, m.path) for m in made] == [("negotiation", loan, fmt, None)]
    assert str(made[0].id) == r.headers["x-xieshang-document-id"]
    assert t("letter.kind.negotiation") in demo.get("/letters").text  # listed as made


def test_bad_letter_input_is_refused_next_to_its_field_and_nothing_is_made(demo: TestClient, store: Store) -> None:
    loan = _loan_id(store, "loan")
    base = {"kind": "negotiation", "loan": str(loan), "doc_lang": "zh_CN", "format": "pdf"}
    r = demo.post("/letters/download", data={**base, "monthly": "1500"})
    assert r.status_code == 422
    assert field_error(r.text, "monthly") == t("webdocs.error.proposal_incomplete")
    assert t("webdocs.letters.not_made") in r.text
    r = demo.post("/letters/download", data={**base, "monthly": "很多", "months": "x"})
    assert r.status_code == 422
    assert field_error(r.text, "monthly") and field_error(r.text, "months")
    assert 'value="很多"' in r.text  # what was typed stays
    r = demo.post("/letters/download", data={**base, "loan": "999"})
    assert r.status_code == 422 and field_error(r.text, "loan")
    r = demo.post("/letters/download", data={**base, "kind": "card-installment"})  # not a card
    assert r.status_code == 422 and field_error(r.text, "kind")
    r = demo.get(f"/letters/preview?kind=hardship&loan={loan}")
    assert r.status_code == 422 and field_error(r.text, "hardship") == t("webdocs.error.hardship_needed")
    r = demo.post("/letters/download", data={**base, "format": "exe"})
    assert r.status_code == 422
    assert list_made(store) == []


def test_card_instalment_letter_for_a_card(demo: TestClient, store: Store) -> None:
    card = _loan_id(store, "card")
    page = demo.get(f"/letters?loan={card}").text
    assert '<option value="card-installment"' in page
    r = demo.post("/letters/download", data={"kind": "card-installment", "loan": str(card), "doc_lang": "zh_CN",
                                             "format": "md", "monthly": "500", "months": "24"})
    assert r.status_code == 200
    assert "第七十条" in r.content.decode("utf-8")


def test_checklists_and_the_paid_agency_guide(demo: TestClient, store: Store) -> None:
    r = demo.get("/letters?checklist=job-loss&doc_lang=zh_CN")
    assert r.status_code == 200
    assert 'id="checklist-preview"' in r.text
    r = demo.post("/letters/checklist", data={"checklist": "illness", "doc_lang": "en", "format": "md"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith('attachment; filename="checklist-illness-en-')
    body = r.content.decode("utf-8")
    assert "- [ ]" in body
    r = demo.post("/letters/checklist", data={"checklist": "boredom", "format": "md"})
    assert r.status_code == 422 and field_error(r.text, "checklist")


def test_letters_without_a_loan(client: TestClient) -> None:
    client.post("/start/init", data={"name": "小李"})
    r = client.get("/letters")
    assert r.status_code == 200
    assert t("webdocs.letters.no_loans") in _text(r.text)
    assert 'id="checklist-form"' in r.text  # the checklists need no loan


# ---------------------------------------------------------------------------------------
# The contact log
# ---------------------------------------------------------------------------------------

ENTRY = {"when": "2026-01-05T23:30", "tz": "+08:00", "direction": "incoming", "channel": "call",
         "outcome": "connected", "count": "1", "counterparty": "某催收公司", "counterparty_kind": "agency",
         "phone": "0571-1234", "contacted": "relative", "contacted_name": "父亲", "disclosed": "1",
         "summary": "晚上打给我父亲，说我欠钱不还。", "their_promises": "", "my_promises": "", "loan": "1"}


@pytest.mark.parametrize("lang", LANGS)
def test_records_page_shows_the_timeline_with_flags_citing_rules(demo: TestClient, lang: str) -> None:
    r = demo.get(f"/records?lang={lang}")
    assert r.status_code == 200
    text = _text(r.text)
    assert t("webdocs.records.flag_badge", lang=lang) in text  # said in words, not colour alone
    assert t("webdocs.records.cites", lang=lang) in text
    assert "NIFA" in text or "CBA" in text or "中国银行业协会" in text  # the rule's source
    ids = [int(x) for x in re.findall(r'<li id="entry-(\d+)"', r.text)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5  # newest first (the demo's order)
    oldest = demo.get(f"/records?order=oldest&lang={lang}").text
    assert [int(x) for x in re.findall(r'<li id="entry-(\d+)"', oldest)] == sorted(ids)
    assert 'accept="image/*,audio/*,application/pdf"' in r.text and "capture=" in r.text
    assert 'enctype="multipart/form-data"' in r.text


def test_log_a_contact_with_a_screenshot(demo: TestClient, store: Store) -> None:
    before = len(list_entries(store))
    png = png_bytes(7)
    r = demo.post("/records/new", data=ENTRY, files=[("attach", ("截图.png", png, "image/png"))],
                  follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    entries = list_entries(store)
    assert len(entries) == before + 1
    new = max(entries, key=lambda e: e.id)
    assert new.content.contacted == "relative" and new.content.disclosed
    assert new.content.utc_offset_minutes == 480 and new.content.occurred.hour == 23
    assert [(a.name, a.media_type, a.size) for a in new.content.attachments] == [("截图.png", "image/png", len(png))]
    page = demo.get(r.headers["location"]).text
    block = page.split(f'id="entry-{new.id}"')[1].split("</article>")[0]
    assert "截图.png" in block and t("webdocs.records.flag_badge") in block
    got = demo.get(f"/records/attachments/{new.content.attachments[0].sha256}")
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    assert demo.get("/records/attachments/" + "0" * 64).status_code == 404


def test_oversize_or_wrong_type_upload_is_refused_and_nothing_is_saved(demo: TestClient, store: Store,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    before = list_entries(store)
    files_before = _files(store)
    monkeypatch.setattr("xieshang.services.records.MAX_ATTACHMENT_BYTES", 1024)
    big = png_bytes(1) + b"\x00" * 2048
    r = demo.post("/records/new", data=ENTRY, files=[("attach", ("ok.png", png_bytes(2), "image/png")),
                                                     ("attach", ("big.png", big, "image/png"))])
    assert r.status_code == 422
    assert "big.png" in (field_error(r.text, "attach") or "")
    assert t("webdocs.records.not_saved") in r.text
    assert 'value="某催收公司"' in r.text  # what was typed stays
    r = demo.post("/records/new", data=ENTRY, files=[("attach", ("virus.png", b"MZ\x90\x00" + b"\x00" * 64,
                                                                 "image/png"))])
    assert r.status_code == 422
    assert "virus.png" in (field_error(r.text, "attach") or "")
    r = demo.post("/records/new", data=ENTRY, files=[("attach", ("empty.png", b"", "image/png"))])
    assert r.status_code == 422 and field_error(r.text, "attach")
    assert list_entries(store) == before
    assert _files(store) == files_before


def test_bad_entry_input_is_refused_next_to_its_field(demo: TestClient, store: Store) -> None:
    before = len(list_entries(store))
    r = demo.post("/records/new", data={**ENTRY, "summary": " ", "counterparty": ""})
    assert r.status_code == 422
    assert field_error(r.text, "summary") and field_error(r.text, "counterparty")
    r = demo.post("/records/new", data={**ENTRY, "when": "昨天晚上"})
    assert r.status_code == 422 and field_error(r.text, "when")
    r = demo.post("/records/new", data={**ENTRY, "tz": "Mars/Base"})
    assert r.status_code == 422 and field_error(r.text, "tz")
    r = demo.post("/records/new", data={**ENTRY, "when": "2099-01-01T10:00"})
    assert r.status_code == 422 and field_error(r.text, "when")
    r = demo.post("/records/new", data={**ENTRY, "contacted": "borrower"})  # disclosed to the borrower?
    assert r.status_code == 422 and field_error(r.text, "disclosed")
    r = demo.post("/records/new", data={**ENTRY, "loan": "999"})
    assert r.status_code == 422 and field_error(r.text, "loan")
    assert len(list_entries(store)) == before


def test_correction_is_a_new_entry_referencing_the_old(demo: TestClient, store: Store) -> None:
    form = demo.get("/records/2/correct").text
    assert 'action="/records/2/correct"' in form and t("webdocs.records.correct_title", id=2) in form
    values = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="(?:text|date|datetime-local)" value="([^"]*)"',
                             form))
    old = next(e for e in list_entries(store) if e.id == 2)
    data = {**ENTRY, "when": values["when"], "tz": values["tz"], "direction": old.content.direction,
            "channel": old.content.channel, "outcome": old.content.outcome or "", "count": str(old.content.count),
            "counterparty": old.content.counterparty, "counterparty_kind": old.content.counterparty_kind,
            "phone": old.content.counterparty_phone or "", "contacted": old.content.contacted, "contacted_name": "",
            "disclosed": "", "summary": old.content.summary, "their_promises": old.content.their_promises or "",
            "my_promises": old.content.my_promises or "", "loan": str(old.content.loan_id or "")}
    r = demo.post("/records/2/correct", data=data)  # nothing changed
    assert r.status_code == 422 and t("webdocs.error.nothing_to_correct", id=2) in _text(r.text)
    r = demo.post("/records/2/correct", data={**data, "summary": "更正：对方要求一周内提交材料。"},
                  follow_redirects=False)
    assert r.status_code == 303
    entries = {e.id: e for e in list_entries(store)}
    new = entries[max(entries)]
    assert new.content.corrects == 2 and entries[2].corrected_by == (new.id,)
    assert entries[2].content.summary == old.content.summary  # the old one stays
    page = demo.get("/records").text
    assert t("webdocs.records.superseded_badge") in page and t("records.corrects", id=2) in _text(page)
    assert demo.get("/records/999/correct").status_code == 404


def test_verify_shows_the_chain_status_and_names_a_tampered_entry(demo: TestClient, store: Store) -> None:
    r = demo.get("/records/verify", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert t("webdocs.records.intact_badge") in r.text
    from xieshang.store.models_records import ContactEntryRow

    with store.transaction() as s:
        row = s.get(ContactEntryRow, 2)
        assert row is not None
        row.summary = "改过的内容"
    r = demo.get("/records/verify")
    assert r.status_code == 200
    text = _text(r.text)
    assert t("webdocs.records.tampered_badge") in text
    assert t("records.problem.edited", entries="2") in text
    r = demo.get("/records/export")  # a log that fails its check is not exported
    assert r.status_code == 422
    assert field_error(r.text, "export")


def test_export_bundle_verifies_on_its_own(demo: TestClient, store: Store, tmp_path: Path) -> None:
    demo.post("/records/new", data=ENTRY, files=[("attach", ("shot.png", png_bytes(3), "image/png"))])
    r = demo.get("/records/export")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    assert re.fullmatch(r'attachment; filename="xieshang-evidence-\d{8}-\d{6}\.zip"',
                        r.headers["content-disposition"])
    path = tmp_path / "bundle.zip"
    path.write_bytes(r.content)
    report = verify_bundle(path)
    assert report.intact, report.problems
    assert report.entries == len(list_entries(store)) == 6 and report.attachments == 1


def test_export_of_an_empty_log_is_refused(client: TestClient) -> None:
    client.post("/start/init", data={"name": "小李"})
    r = client.get("/records/export")
    assert r.status_code == 422 and field_error(r.text, "export") == t("records.error.export_empty")


# ---------------------------------------------------------------------------------------
# The guide
# ---------------------------------------------------------------------------------------


def test_guide_steps_link_to_the_pages_with_their_state(demo: TestClient) -> None:
    r = demo.get("/guide/negotiate", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/letters?guide=1"
    page = demo.get("/letters?guide=1").text
    assert 'aria-current="step"' in page and 'action="/guide/negotiate/done"' in page
    assert 'name="guide" value="1"' in page
    r = demo.get("/guide/after", follow_redirects=False)
    assert r.headers["location"] == "/records?guide=1"
    page = demo.get("/records?guide=1").text
    assert 'aria-current="step"' in page and 'action="/guide/after/done"' in page
    r = demo.post("/guide/negotiate/done", follow_redirects=False)
    assert r.headers["location"] == "/records?guide=1"
    steps = {s["key"]: s for s in demo.get("/api/guide").json()}
    assert steps["negotiate"]["done"] and steps["negotiate"]["built"] and steps["after"]["built"]


# ---------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------


def test_api_letters(demo: TestClient, store: Store) -> None:
    loan = _loan_id(store, "loan")
    listing = demo.get("/api/letters?lang=en").json()
    assert next(k["kind"] for k in listing["kinds"]) == "negotiation" and listing["made"] == []
    assert next(k for k in listing["kinds"] if k["kind"] == "card-installment")["card_only"]
    r = demo.post("/api/letters", json={"kind": "negotiation", "loan": loan, "format": "md", "lang": "zh_CN"})
    assert r.status_code == 200
    body = r.json()
    assert _payoff(store, loan) in body["content"] and "id_number" in body["document"]["missing"]
    assert body["missing"] and body["document"]["path"] is None
    r = demo.post("/api/letters", json={"kind": "waiver", "loan": loan, "format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"].startswith('attachment; filename="waiver-')
    r = demo.post("/api/letters?download=true", json={"kind": "call-script", "loan": loan, "format": "md"})
    assert r.headers["content-type"].startswith("text/markdown")
    r = demo.post("/api/letters", json={"kind": "negotiation", "loan": loan, "monthly": "100"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "monthly"
    r = demo.post("/api/letters", json={"kind": "nope", "loan": loan})
    assert r.status_code == 422
    r = demo.post("/api/letters", json={"kind": "negotiation", "loan": 999})
    assert r.status_code == 404
    assert len(list_made(store)) == 3
    r = demo.get("/api/letters/checklists/illness?format=md&lang=en")
    assert r.status_code == 200 and "- [ ]" in r.text


def test_api_records(demo: TestClient, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = demo.get("/api/records").json()["entries"]
    assert len(listing) == 5 and any(e["flags"] for e in listing)
    assert all("rule" in f and "citation" in f for e in listing for f in e["flags"])
    r = demo.post("/api/records", data=ENTRY, files=[("attach", ("s.png", png_bytes(9), "image/png"))])
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["attachments"][0]["media_type"] == "image/png" and {f["check"] for f in new["flags"]} >= {"night"}
    assert demo.get(f"/api/records/{new['id']}").json()["hash"] == new["hash"]
    assert demo.get("/api/records/999").status_code == 404
    r = demo.post(f"/api/records/{new['id']}/correct", data={**ENTRY, "summary": "更正后的摘要"})
    assert r.status_code == 201 and r.json()["corrects"] == new["id"]
    monkeypatch.setattr("xieshang.services.records.MAX_ATTACHMENT_BYTES", 1024)
    count = len(list_entries(store))
    r = demo.post("/api/records", data=ENTRY, files=[("attach", ("big.png", png_bytes(1) + b"\x00" * 4096,
                                                                 "image/png"))])
    assert r.status_code == 422 and r.json()["error"]["field"] == "attach"
    r = demo.post("/api/records", data={**ENTRY, "channel": "pigeon"})
    assert r.status_code == 422 and "channel" in r.json()["error"]["fields"]
    assert len(list_entries(store)) == count
    verify = demo.get("/api/records/verify").json()
    assert verify["intact"] and verify["entries"] == count
    r = demo.get("/api/records/export")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    path = tmp_path / "api.zip"
    path.write_bytes(r.content)
    assert verify_bundle(path).intact


def test_api_is_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/letters", "/api/letters/checklists/{hardship}", "/api/records", "/api/records/verify",
                 "/api/records/export", "/api/records/{entry_id}", "/api/records/{entry_id}/correct"):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/records"]["post"]["requestBody"]["content"]
