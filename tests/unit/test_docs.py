"""The documentation stays true to the repository: the manual builds with no warning (no broken link
or anchor, every page in the navigation) and loads nothing from another host; every requirement id
the code cites is stated in docs/requirements.md; every product document cited is in docs/seeds/;
no comment cites an outside tracker's numbers; the README stays short."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "dist", "var", "__pycache__", ".pytest_cache"}
CODE_SUFFIXES = {".py", ".js", ".jsx", ".toml", ".yml", ".yaml", ".sh"}
CODE_NAMES = {"Makefile", "Dockerfile", "run"}
# ids shaped like requirement ids that are not: standards, hashes, encodings, demo order ids
NOT_REQUIREMENTS = {"ISO", "SHA", "UTF", "PDF", "ORD", "RFC"}
REQUIREMENT = re.compile(r"\b([A-Z]{2,4})-([0-9]+)\b")
TEST_NAME = re.compile(r"\bdef (test_\w+)")
ID_IN_NAME = re.compile(r"(?<=_)([A-Z]{2,4})([0-9]+)(?=_|$)")
TRACKER = re.compile("[Ii]ssue" + r"[- ]?#?[0-9]+")
SEED = re.compile(r"\b[Ss]eeds? (00[0-9])\b")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def files(suffixes: set[str], names: frozenset[str] | set[str] = frozenset()):
    stack = [ROOT]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name not in SKIP_DIRS:
                    stack.append(entry)
            elif entry.suffix in suffixes or entry.name in names:
                yield entry


def where(path: Path, text: str, match: re.Match) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "WARNING" in line]
    assert warnings == []
    return out


def test_the_manual_builds_strict_with_every_page_and_a_search_index(site):
    assert (site / "index.html").is_file() and (site / "search" / "search_index.json").is_file()
    for page in ("requirements", "decisions", "api-examples", "seeds", "guides/operator", "guides/integrator"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "seeds" / "000-delivery-manual.txt").is_file()


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href", "srcset", "data") and value]


def test_the_manual_loads_and_links_nothing_from_another_host(site):
    outside = []
    for page in site.rglob("*.html"):
        parser = _References()
        parser.feed(page.read_text(encoding="utf-8"))
        for reference in parser.found:
            host = urlparse(reference).hostname
            if reference.startswith("//") or (host and host not in LOCAL_HOSTS):
                outside.append(f"{page.relative_to(site)}: {reference}")
    for sheet in site.rglob("*.css"):
        outside += [f"{sheet.relative_to(site)}: {m.group(0)}"
                    for m in re.finditer(r"(@import|url\()\s*['\"]?(https?:)?//", sheet.read_text(errors="replace"))]
    assert outside == []


def _stated() -> set[str]:
    text = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    stated = re.findall(r"^- \*\*([A-Z]{2,4}-[0-9]+)\*\* ", text, flags=re.MULTILINE)
    assert len(stated) == len(set(stated)), "an id is stated twice"
    return set(stated)


def test_every_requirement_id_the_code_and_tests_cite_is_stated_in_requirements_md():
    stated, missing = _stated(), []
    for path in files({".py", ".js", ".jsx", ".md"}):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in REQUIREMENT.finditer(text):
            if match.group(1) not in NOT_REQUIREMENTS and match.group(0) not in stated:
                missing.append(where(path, text, match))
        for match in TEST_NAME.finditer(text):
            cited = {f"{area}-{number}" for area, number in ID_IN_NAME.findall(match.group(1))
                     if area not in NOT_REQUIREMENTS}
            missing += [where(path, text, match)] if cited - stated else []
    assert missing == []


def test_every_cited_product_document_is_in_docs_seeds():
    present = {p.name[:3] for p in (ROOT / "docs" / "seeds").glob("00[0-9]-*.txt")}
    assert present == {"000", "001", "002", "003", "004"}
    missing = []
    for path in files({".py", ".js", ".jsx", ".md"}):
        text = path.read_text(encoding="utf-8", errors="replace")
        missing += [where(path, text, m) for m in SEED.finditer(text) if m.group(1) not in present]
    assert missing == []


def test_no_code_cites_an_outside_trackers_numbers():
    found = []
    for path in files(CODE_SUFFIXES, CODE_NAMES):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [where(path, text, m) for m in TRACKER.finditer(text)]
    assert found == []


def test_the_readme_is_read_in_ten_minutes():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
