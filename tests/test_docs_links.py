"""Every relative link in README.md and docs/*.md points at a file that exists (and at a heading that exists).

Links to other sites are not fetched (no network in tests). Anchors are checked against the headings of the
target Markdown file, slugged the way GitHub does it, so a renamed heading breaks CI instead of a reader's click.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

FENCE = re.compile(r"^(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
#: [text](target "title") and ![alt](target); the text may hold one level of brackets (an image in a link).
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_LINK = re.compile(r"""<(?:a|img)\s[^>]*?(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"""<a\s[^>]*?(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, …


def _prose_lines(text: str, *, keep_inline_code: bool = False) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1, with inline code removed unless asked to keep it."""
    lines: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line.lstrip())
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            continue
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
            continue
        lines.append((number, line if keep_inline_code else INLINE_CODE.sub("", line)))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its rendered text, lower-cased, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a Markdown file offers: its headings' slugs (duplicates numbered) and explicit HTML ids."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, line in _prose_lines(path.read_text(encoding="utf-8"), keep_inline_code=True):  # `code` is in anchors
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        found.update(HTML_ANCHOR.findall(line))
    return found


def links(path: Path) -> list[tuple[int, str]]:
    """The link targets of a Markdown file outside code, with their line numbers."""
    found: list[tuple[int, str]] = []
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for pattern in (INLINE_LINK, REFERENCE_DEF, HTML_LINK):
            found.extend((number, target) for target in pattern.findall(line))
    return found


def broken_links(path: Path) -> list[str]:
    """What is wrong with the relative links of one file, as 'file:line: target (reason)'."""
    problems: list[str] = []
    for number, target in links(path):
        if EXTERNAL.match(target):
            continue
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        file_part, _, fragment = target.partition("#")
        dest = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{where} (no such file)")
            continue
        if fragment and dest.suffix == ".md" and unquote(fragment).lower() not in anchors(dest):
            problems.append(f"{where} (no heading with anchor #{fragment} in {dest.name})")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    assert broken_links(path) == []


def test_the_documents_link_to_each_other() -> None:
    """README reaches both user guides, and each guide reaches the other and the rules data."""
    readme = {target for _, target in links(ROOT / "README.md")}
    assert {"docs/guide.zh.md", "docs/guide.en.md"} <= readme
    for name, other in (("guide.zh.md", "guide.en.md"), ("guide.en.md", "guide.zh.md")):
        targets = {target for _, target in links(ROOT / "docs" / name)}
        assert other in targets
        assert "rules.md" in targets


def test_the_checker_catches_broken_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a missing file, a missing heading, and links in code that must be ignored."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# 第 1 步：了解逾期情况\n\n## `calc apr --json`\n\n## Same\n\n## Same\n",
                                       encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#第-1-步了解逾期情况) [ok](other.md#calc-apr---json) [ok](other.md#same-1)\n"
        "[ok](#here) ![img](missing.png) [bad](other.md#nope) [web](https://example.org/x.md)\n"
        "## Here\n"
        "`[in code](gone.md)`\n"
        "```\n[in a block](gone.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "page.md:2: missing.png (no such file)",
        "page.md:2: other.md#nope (no heading with anchor #nope in other.md)",
    ]
