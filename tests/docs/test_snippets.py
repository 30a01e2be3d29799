"""Every code snippet in README.md and docs/*.md is a copy of a region of a file the tests run
(see ``snippets.py``); shell blocks name Makefile targets and modules that exist; links resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import snippets
from tests.docs.snippets import ROOT, check


def test_every_snippet_in_the_docs_is_taken_from_a_file_the_tests_run():
    problems, compared = check()
    assert not problems, "\n".join(problems)
    assert compared >= 10  # the README and the guide do show code


def test_every_example_dag_and_guide_page_is_reachable_from_the_index():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md")
    assert [p for p in pages if f"({p})" not in index] == []
    examples = sorted(p.name for p in (ROOT / "example_dags").glob("example_*.py"))
    assert [e for e in examples if e not in index] == []


def test_the_docs_speak_of_the_product_only():
    """The platform's documents and the project's specification are not shipped: no page cites them."""
    for page in snippets.markdown_files():
        text = page.read_text(encoding="utf-8")
        for word in ("SPEC §", "SPEC.md", "seeds/", "[doc]"):
            assert word not in text, f"{page.name} cites {word!r}"


# --- the checker itself ------------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Makefile").write_text("test: sync\n\tpytest\nsync:\n\tuv sync\nX := 1\n")
    (tmp_path / "example_dags").mkdir()
    (tmp_path / "example_dags" / "example_a.py").write_text(
        "import os\n"
        "def f():\n"
        "    # [START body]\n"
        "    x = 1\n"
        "    # [START inner]\n"
        "    y = 2\n"
        "    # [END inner]\n"
        "    # [END body]\n"
    )
    (tmp_path / "example_dags" / "helper.py").write_text("# [START h]\nz = 3\n# [END h]\n")
    (tmp_path / "tests" / "dags").mkdir(parents=True)
    for name in ("used.py", "unused.py"):
        (tmp_path / "tests" / "dags" / name).write_text("# [START d]\nd = 4\n# [END d]\n")
    (tmp_path / "tests" / "test_it.py").write_text('DAGS = "tests/dags/used.py"\n')
    (tmp_path / "docs").mkdir()
    return tmp_path


def run_check(project: Path, markdown: str) -> list[str]:
    doc = project / "docs" / "page.md"
    doc.write_text(markdown)
    problems, _ = check([doc], root=project)
    return problems


def test_a_block_equal_to_its_region_passes(project):
    md = "<!-- snippet: example_dags/example_a.py#body -->\n```python\nx = 1\ny = 2\n```\n"
    assert run_check(project, md) == []
    md = "<!-- snippet: example_dags/example_a.py#inner -->\n```python\ny = 2\n```\n"
    assert run_check(project, md) == []


def test_a_block_that_drifted_from_its_region_fails(project):
    md = "<!-- snippet: example_dags/example_a.py#body -->\n```python\nx = 1\ny = 3\n```\n"
    [problem] = run_check(project, md)
    assert "differs from example_dags/example_a.py#body" in problem and "+y = 3" in problem


def test_a_python_block_without_a_marker_fails(project):
    [problem] = run_check(project, "Text.\n\n```python\nprint('hi')\n```\n")
    assert "python block without a snippet marker" in problem


@pytest.mark.parametrize(("marker", "expected"), [
    ("example_dags/example_a.py#nope", "no region [START nope]"),
    ("example_dags/missing.py#body", "does not exist"),
    ("example_dags/helper.py#h", "not an example DAG or a test module"),
    ("tests/dags/unused.py#d", "not an example DAG or a test module"),
])
def test_a_marker_must_name_a_region_of_a_file_the_tests_run(project, marker, expected):
    [problem] = run_check(project, f"<!-- snippet: {marker} -->\n```python\nz = 3\n```\n")
    assert expected in problem


def test_a_dag_file_a_test_loads_may_be_a_source(project):
    assert run_check(project, "<!-- snippet: tests/dags/used.py#d -->\n```python\nd = 4\n```\n") == []


def test_update_refreshes_marked_blocks(project):
    doc = project / "docs" / "page.md"
    doc.write_text("# T\n\n<!-- snippet: example_dags/example_a.py#inner -->\n```python\nold\n```\nafter\n")
    assert snippets.update(doc, root=project) is True
    assert doc.read_text() == "# T\n\n<!-- snippet: example_dags/example_a.py#inner -->\n```python\ny = 2\n```\nafter\n"
    assert snippets.update(doc, root=project) is False
    assert check([doc], root=project) == ([], 1)


def test_a_marker_without_a_block_fails(project):
    [problem] = run_check(project, "<!-- snippet: example_dags/example_a.py#body -->\nSome text.\n")
    assert "not followed by a code block" in problem


def test_shell_blocks_name_existing_make_targets_and_modules(project):
    ok = "```bash\nmake test PYTEST_ARGS=-x   # comment: make nothing\npython -m json.tool x\n```\n"
    assert run_check(project, ok) == []
    bad = "```bash\nmake tests\npython -m no_such_module_anywhere\n```\n"
    problems = run_check(project, bad)
    assert any("`make tests`: no such Makefile target" in p for p in problems)
    assert any("`python -m no_such_module_anywhere`: no such module" in p for p in problems)


def test_broken_relative_links_fail(project):
    (project / "docs" / "other.md").write_text("x\n")
    assert run_check(project, "[ok](other.md#part) [web](https://example.com) [a](#here)\n") == []
    [problem] = run_check(project, "See [gone](gone.md).\n")
    assert "link to 'gone.md'" in problem


def test_regions_must_be_well_formed(tmp_path):
    bad = tmp_path / "test_x.py"
    bad.write_text("# [START a]\nx = 1\n")
    with pytest.raises(ValueError, match="never ended"):
        snippets.regions(bad)
    bad.write_text("x = 1\n# [END a]\n")
    with pytest.raises(ValueError, match="ends without a start"):
        snippets.regions(bad)
