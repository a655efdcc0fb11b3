"""The layer contract (docs/architecture.md): which package under app/ may import which.

Every import statement counts, including the lazy ones inside functions (the
worker and the CLI import heavy runtimes late on purpose). A package may import
itself and anything listed for it; `app` itself (the version) is open to all.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

# package -> the app packages it may import (besides itself). Lower layers never import higher ones.
ALLOWED: dict[str, set[str]] = {
    "common": set(),
    "model": {"common"},
    "record": {"common"},
    "probes": {"common"},
    "engines": {"common", "model"},
    "run": {"common", "model", "record", "engines", "probes"},
    "report": {"common", "model", "record", "run"},
    "team": {"common", "model", "record", "run", "report"},
    "state": {"common", "model", "record", "run", "report", "team", "engines", "probes"},
    "views": {"common", "model", "record", "run", "report", "team", "engines", "probes", "state"},
    "cli": {"common", "model", "record", "run", "report", "team", "engines", "probes", "state", "views", "gui"},
    "gui": {"common", "model", "record", "run", "report", "team", "engines", "probes", "state", "views", "cli"},
    "__main__": {"cli"},
}
# Qt may be imported only by the desktop layers.
QT_ALLOWED = {"views", "gui"}
QT_MODULES = {"PySide6", "pyqtgraph", "shiboken6"}


def _package_of(path: Path) -> str:
    rel = path.relative_to(APP)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "app":  # `from app import record` names a package
                found += [(node.lineno, f"app.{alias.name}") for alias in node.names]
    return found


def _violations() -> list[str]:
    bad = []
    for path in sorted(APP.rglob("*.py")):
        pkg = _package_of(path)
        if pkg == "__init__":
            continue
        allowed = ALLOWED.get(pkg)
        assert allowed is not None, f"app/{pkg} is not in the layer table of {__file__}"
        for line, module in _imports(path):
            parts = module.split(".")
            where = f"{path.relative_to(APP.parent)}:{line} imports {module}"
            if parts[0] in QT_MODULES and pkg not in QT_ALLOWED:
                bad.append(f"{where} (Qt outside the desktop layers)")
            if parts[0] != "app" or len(parts) < 2 or parts[1] == "__version__":
                continue
            target = parts[1]
            if target != pkg and target not in allowed and target in ALLOWED:
                bad.append(f"{where} (app/{pkg} may import only {sorted(allowed) or 'nothing'})")
    return bad


def test_every_import_respects_the_layers():
    assert _violations() == []


def test_the_contract_catches_a_forbidden_import(tmp_path, monkeypatch):
    """The check itself can fail: a model module importing the run layer is reported."""
    fake = tmp_path / "app"
    (fake / "model").mkdir(parents=True)
    (fake / "model" / "bad.py").write_text("def f():\n    from app.run.runner import ProfileRun\n    import PySide6\n")
    monkeypatch.setattr(sys.modules[__name__], "APP", fake)
    found = _violations()
    assert any("app/model/bad.py:2 imports app.run.runner" in v for v in found)
    assert any("Qt outside the desktop layers" in v for v in found)
