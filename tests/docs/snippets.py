"""The check behind ``test_snippets.py``: every code snippet in the README and ``docs/`` is either a
copy of a tagged region of a file the tests run, or a shell command that exists.

A snippet is marked in Markdown by a comment on the line just before its fenced block::

    <!-- snippet: example_dags/example_messaging_quickstart.py#quickstart -->
    ```python
    ...
    ```

and the block must equal, line for line, the region of that file between ``# [START quickstart]``
and ``# [END quickstart]`` (dedented; marker lines of regions nested inside are left out). The file
must be one the test suite runs: an example DAG (``tests/integration/test_example_dags.py`` runs
every one), a test module (``tests/**/test_*.py``), or a DAG file in a ``tests/**/dags/`` folder
whose path a test module names (to load and run it).

Rules checked by :func:`check`:

- every ``python`` block has a marker, and its text is the region's text;
- a marker names an existing file the tests run, and a region that exists, and is followed by a block;
- in ``bash``/``sh``/``console`` blocks, ``make TARGET`` names a Makefile target and
  ``python -m MODULE`` a module that imports;
- relative links (``[text](path)``) point at files that exist.

``python -m tests.docs.snippets`` rewrites every marked block from its source (after editing a region).
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(?P<path>[^#\s]+)#(?P<tag>[\w.-]+)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
REGION = re.compile(r"^\s*# \[(?P<kind>START|END) (?P<tag>[\w.-]+)\]\s*$")
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
PYTHON = {"python", "py", "python3"}
SHELL = {"bash", "sh", "shell", "console"}


@dataclass
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: tuple[str, str] | None  # (path, tag)


def markdown_files(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))] + (
        [root / "CHANGELOG.md"] if (root / "CHANGELOG.md").exists() else []
    )


def blocks(doc: Path) -> tuple[list[Block], list[str]]:
    """The fenced blocks of a Markdown file, and the problems found while reading it."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    problems: list[str] = []
    i = 0
    pending: tuple[str, str, int] | None = None  # a marker waiting for its block
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            if pending:
                problems.append(f"{doc.name}:{pending[2]}: snippet marker not followed by a code block")
            pending = (m["path"], m["tag"], i + 1)
            i += 1
            continue
        f = FENCE.match(line)
        if f:
            indent, fence, lang = f["indent"], f["fence"], f["lang"].lower()
            body: list[str] = []
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
                j += 1
            if j == len(lines):
                problems.append(f"{doc.name}:{i + 1}: code block never closed")
            marker = (pending[0], pending[1]) if pending else None
            out.append(Block(doc, i + 1, lang, "\n".join(body), marker))
            pending = None
            i = j + 1
            continue
        if line.strip() and pending:
            problems.append(f"{doc.name}:{pending[2]}: snippet marker not followed by a code block")
            pending = None
        i += 1
    if pending:
        problems.append(f"{doc.name}:{pending[2]}: snippet marker not followed by a code block")
    return out, problems


def regions(source: Path) -> dict[str, str]:
    """``{tag: dedented text}`` of every ``# [START tag]`` / ``# [END tag]`` region of a file."""
    lines = source.read_text(encoding="utf-8").splitlines()
    open_at: dict[str, int] = {}
    found: dict[str, str] = {}
    for n, line in enumerate(lines):
        m = REGION.match(line)
        if not m:
            continue
        tag = m["tag"]
        if m["kind"] == "START":
            if tag in open_at or tag in found:
                raise ValueError(f"{source.name}:{n + 1}: region {tag!r} started twice")
            open_at[tag] = n
        else:
            if tag not in open_at:
                raise ValueError(f"{source.name}:{n + 1}: region {tag!r} ends without a start")
            start = open_at.pop(tag)
            inner = [x for x in lines[start + 1 : n] if not REGION.match(x)]
            found[tag] = textwrap.dedent("\n".join(inner)).strip("\n")
    if open_at:
        raise ValueError(f"{source.name}: region(s) never ended: {sorted(open_at)}")
    return found


def run_by_tests(path: Path, root: Path = ROOT) -> bool:
    """An example DAG (every one is run by ``tests/integration/test_example_dags.py``), a test module,
    or a DAG file under ``tests/**/dags/`` that a test module names."""
    rel = path.relative_to(root)
    name = rel.name
    if not name.endswith(".py"):
        return False
    if rel.parts[0] == "example_dags":
        return len(rel.parts) == 2 and name.startswith("example_")
    if rel.parts[0] != "tests":
        return False
    if name.startswith("test_"):
        return True
    return rel.parts[-2] == "dags" and any(
        rel.as_posix() in test.read_text(encoding="utf-8") for test in (root / "tests").rglob("test_*.py")
    )


def make_targets(root: Path = ROOT) -> set[str]:
    text = (root / "Makefile").read_text(encoding="utf-8")
    return {m[1] for m in re.finditer(r"^([A-Za-z][\w.-]*):(?!=)", text, re.MULTILINE)}


def check_shell(block: Block, targets: set[str]) -> list[str]:
    problems = []
    for n, line in enumerate(block.text.splitlines(), start=block.line + 1):
        command = line.split("#", 1)[0].strip()
        for m in re.finditer(r"(?:^|[;&|]\s*)make\s+([A-Za-z][\w.-]*)", command):
            if m[1] not in targets:
                problems.append(f"{block.doc.name}:{n}: `make {m[1]}`: no such Makefile target")
        for m in re.finditer(r"python3?\s+-m\s+([\w.]+)", command):
            if importlib.util.find_spec(m[1].split(".")[0]) is None or importlib.util.find_spec(m[1]) is None:
                problems.append(f"{block.doc.name}:{n}: `python -m {m[1]}`: no such module")
    return problems


def check_links(doc: Path, root: Path = ROOT) -> list[str]:
    problems = []
    text = doc.read_text(encoding="utf-8")
    for m in LINK.finditer(text):
        target = m["target"].split("#", 1)[0]
        if not target or re.match(r"^[a-z][\w+.-]*:", target):  # anchors, http:, mailto:
            continue
        if not (doc.parent / target).exists():
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{doc.name}:{line}: link to {m['target']!r}: no such file")
    return problems


def check(docs: list[Path] | None = None, root: Path = ROOT) -> tuple[list[str], int]:
    """Every problem found in ``docs`` (default: README.md, docs/*.md, CHANGELOG.md), and how many
    snippets were compared with their source."""
    problems: list[str] = []
    compared = 0
    targets = make_targets(root)
    cache: dict[Path, dict[str, str]] = {}
    for doc in docs if docs is not None else markdown_files(root):
        found, read_problems = blocks(doc)
        problems += read_problems + check_links(doc, root)
        for block in found:
            where = f"{doc.name}:{block.line}"
            if block.marker is None:
                if block.lang in PYTHON:
                    problems.append(f"{where}: python block without a snippet marker (copy a region of a tested file)")
                elif block.lang in SHELL:
                    problems += check_shell(block, targets)
                continue
            rel, tag = block.marker
            source = (root / rel).resolve()
            if not source.is_file():
                problems.append(f"{where}: snippet source {rel} does not exist")
                continue
            if not run_by_tests(source, root):
                problems.append(f"{where}: snippet source {rel} is not an example DAG or a test module")
                continue
            try:
                tagged = cache.setdefault(source, regions(source))
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if tag not in tagged:
                problems.append(f"{where}: no region [START {tag}] in {rel}")
                continue
            compared += 1
            if block.text.strip("\n") != tagged[tag]:
                problems.append(f"{where}: block differs from {rel}#{tag} (python -m tests.docs.snippets "
                                "refreshes it):\n" + _diff(tagged[tag], block.text))
    return problems, compared


def _diff(expected: str, actual: str) -> str:
    import difflib

    return "\n".join(
        difflib.unified_diff(expected.splitlines(), actual.strip("\n").splitlines(), "source", "doc", lineterm="", n=1)
    )


def update(doc: Path, root: Path = ROOT) -> bool:
    """Rewrite every marked block of ``doc`` with its region's current text; True if it changed."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    i = 0
    changed = False
    while i < len(lines):
        m = MARKER.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].strip():
            out.append(lines[i])
            i += 1
        f = FENCE.match(lines[i]) if i < len(lines) else None
        if not f:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(f["fence"]):
            j += 1
        text = regions((root / m["path"]).resolve())[m["tag"]]
        new = [f["indent"] + x if x else x for x in text.splitlines()]
        changed |= new != lines[i + 1 : j]
        out += [lines[i], *new, lines[j] if j < len(lines) else f["indent"] + f["fence"]]
        i = j + 1
    if changed:
        doc.write_text("\n".join(out) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":  # python -m tests.docs.snippets: refresh every marked block from its source
    for page in markdown_files():
        if update(page):
            print(f"updated {page.relative_to(ROOT)}")
