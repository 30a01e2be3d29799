"""The package's shape: ``client`` works with Airflow unimportable, the import graph has no cycle,
and no module imports another module's private name."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from tests.helpers.airflow import ROOT

PACKAGE = ROOT / "airflow_provider_messaging"

#: Airflow made unimportable: any ``import airflow...`` raises, then the client (and what it
#: stands on) is imported and used against nothing but its own code.
NO_AIRFLOW = textwrap.dedent("""
    import importlib.abc, sys

    class NoAirflow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "airflow" or name.startswith("airflow."):
                raise ImportError(f"Airflow is unimportable in this test: {name}")
            return None

    sys.meta_path.insert(0, NoAirflow())
    import airflow_provider_messaging.client as client
    from airflow_provider_messaging.client import AsyncMessagingClient, ClientSettings, MessagingClient, RetryPolicy
    import airflow_provider_messaging.client.aio, airflow_provider_messaging.client.sync
    import airflow_provider_messaging.exceptions, airflow_provider_messaging.ledger
    import airflow_provider_messaging.models.send, airflow_provider_messaging.models.status
    import airflow_provider_messaging.models.templates

    settings = ClientSettings(base_url="http://127.0.0.1:9", login="partner", password="pw")
    with MessagingClient(settings) as sync_client:
        sync_client.prepare_send({"destAddr": "79001234567", "message": {"type": "VIBER", "data": {
            "serviceNumber": "S", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}})
    try:
        import airflow
    except ImportError:
        pass
    else:
        raise SystemExit("airflow was importable")
    assert not [m for m in sys.modules if m == "airflow" or m.startswith("airflow.")], "Airflow got imported"
    print("client ok without Airflow")
""")


def test_client_imports_and_works_with_airflow_unimportable():
    result = subprocess.run([sys.executable, "-c", NO_AIRFLOW], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "client ok without Airflow" in result.stdout


def module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def top_level_imports(path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` imported when the module is executed: module level only (not in a
    function, not under ``if TYPE_CHECKING``), relative imports resolved."""
    tree = ast.parse(path.read_text())
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))
            elif isinstance(node, ast.Import):
                found.extend((alias.name, []) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                found.append((base, [alias.name for alias in node.names]))

    visit(tree.body)
    return found


def edges() -> dict[str, set[str]]:
    """Within the package: module -> modules executed by its imports (parent packages included)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, names in top_level_imports(path):
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] or [target]
            for t in targets:
                while t:
                    if t in MODULES and t != name and not name.startswith(t + "."):
                        graph[name].add(t)
                    t = t.rpartition(".")[0]
    return graph


def test_the_package_import_graph_has_no_cycle():
    graph = edges()
    assert graph["airflow_provider_messaging.client.aio"] >= {"airflow_provider_messaging.client.core"}  # it reads
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_imports_a_private_name_of_another_module():
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("airflow_provider_messaging"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                hidden = [part for part in (node.module or "").split(".") if part.startswith("_")]
                if private or hidden:
                    offenders.append(f"{name}: from {node.module} import {', '.join(a.name for a in node.names)}")
    assert offenders == []


#: Airflow names whose import path differs on the oldest supported Airflow (3.1): the package
#: imports them through ``airflow_provider_messaging.compat`` only (docs/compatibility.md)
MOVED = {
    "airflow.sdk.exceptions": None,  # every name: airflow.exceptions on 3.1
    "airflow.sdk.configuration": None,  # conf: airflow.configuration on 3.1
    "airflow.sdk.log": {"redact", "amask_secret", "mask_secret"},
    "airflow.sdk": {"conf"},
}


def test_moved_airflow_names_are_imported_through_compat():
    offenders = []
    for name, path in MODULES.items():
        if name == "airflow_provider_messaging.compat":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in MOVED:
                names = MOVED[node.module]
                moved = [a.name for a in node.names if names is None or a.name in names]
                if moved:
                    offenders.append(f"{name}: from {node.module} import {', '.join(moved)}")
    assert offenders == [], "import these from airflow_provider_messaging.compat"
