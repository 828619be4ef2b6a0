"""The README is what a new user reads; the behaviour lives in docs/, one page per area, linked from it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_LIMIT = 10_000  # characters, as `wc -c` counts them

# [text](target) and [text]: target, outside code spans and fenced blocks.
INLINE_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def markdown_files():
    return [README, *sorted(DOCS.glob("*.md"))]


def relative_links(text):
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes, over {README_LIMIT}: move detail to docs/"


def test_docs_pages_exist_and_the_index_lists_them():
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert pages, "docs/ has no pages"
    index = relative_links((DOCS / "README.md").read_text())
    assert pages <= {Path(t.split("#")[0]).name for t in index}, "docs/README.md must list every page"


def test_readme_links_to_the_docs_index():
    assert "docs/README.md" in relative_links(README.read_text())


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file(path):
    broken = []
    for target in relative_links(path.read_text()):
        file_part = target.split("#")[0]
        if file_part and not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


def test_the_link_finder_sees_links_and_skips_code():
    text = (
        "See [a](docs/a.md#x), [site](https://example.com), [top](#top) and `[b](nope.md)`.\n"
        "```\n[c](no.md)\n```\n[d]: e.md\n"
    )
    assert relative_links(text) == ["docs/a.md#x", "e.md"]
