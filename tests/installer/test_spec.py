"""The PyInstaller spec and its entry script, checked without running PyInstaller."""

from __future__ import annotations

import ast
import re
import sys

import pytest

from tests.installer.conftest import INSTALLER, ROOT, load

SPEC = (INSTALLER / "aipcprof.spec").read_text(encoding="utf-8")


def _calls(name: str) -> list[ast.Call]:
    tree = ast.parse(SPEC)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def _kw(call: ast.Call, name: str):
    return next(k.value for k in call.keywords if k.arg == name)


def test_spec_is_python_and_reads_the_package_version():
    ast.parse(SPEC)
    assert "from app import __version__" in SPEC
    assert "write_version_file(" in SPEC


def test_one_bundle_with_a_console_cli_and_a_windowed_gui():
    assert re.findall(r'CLI_EXE, GUI_EXE = "([^"]+)", "([^"]+)"', SPEC) == [("aipcprof", "aipcprof-gui")]
    exes = _calls("EXE")
    assert sorted(_kw(c, "name").id for c in exes) == ["CLI_EXE", "GUI_EXE"]
    assert {_kw(c, "name").id: ast.literal_eval(_kw(c, "console")) for c in exes} == {
        "CLI_EXE": True, "GUI_EXE": False}
    assert "exclude_binaries=True" in SPEC  # onedir: the binaries go to the shared COLLECT
    assert len(_calls("Analysis")) == 1  # one analysis, one set of libraries for both
    (collect,) = _calls("COLLECT")
    assert [a.id for a in collect.args[:2]] == ["exe_cli", "exe_gui"]


def test_spec_ships_plugin_eps_and_resources_and_excludes_what_the_app_never_uses():
    for pkg in ("onnxruntime_qnn", "onnxruntime_ep_openvino", "openvino"):
        assert f'("{pkg}"' in SPEC
    for dist in ("onnxruntime-qnn", "onnxruntime-ep-openvino", "shiboken6"):
        assert f'"{dist}"' in SPEC  # metadata: plugin discovery and the shiboken guard read it
    # resources/ is the package app.resources: its files at app/resources/, its __init__ in the PYZ
    assert 'RESOURCES = ROOT / "resources"' in SPEC and 'Path("app", "resources",' in SPEC
    assert 'a.pure.append(("app.resources", str(RESOURCES / "__init__.py"), "PYMODULE"))' in SPEC
    for excluded in ("QtWebEngineCore", "Qt3DCore", "QtQml", "QtQuick", "QtMultimedia", "QtCharts",
                     '"tkinter"', '"pytest"'):
        assert excluded in SPEC


def test_entry_script_and_icon_exist():
    assert (INSTALLER / "entry.py").is_file()
    assert str(SPEC).count('SPEC_DIR / "entry.py"') == 1
    assert (INSTALLER / "app.ico").read_bytes()[:4] == b"\0\0\1\0"


def test_skip_patterns_drop_only_unused_vendor_files():
    match = re.search(r'SKIP_FILES = re\.compile\((.*?)\n\)\n', SPEC, re.S)
    assert match
    skip = eval(f"re.compile({match.group(1)})", {"re": re})  # noqa: S307 - our own file
    for dropped in ("libGenie.so", "Genie.dll", "libonnxruntime_providers_openvino_plugin.so.1",
                    "libopenvino_pytorch_frontend.so.2641", "openvino_tensorflow_frontend.dll", "openvino_c.dll"):
        assert skip.search(dropped), dropped
    for kept in ("libonnxruntime_providers_qnn.so", "onnxruntime_providers_qnn.dll", "QnnHtp.dll",
                 "libQnnHtpV73Skel.so", "libonnxruntime_providers_openvino_plugin.so",
                 "onnxruntime_providers_openvino_plugin.dll", "libopenvino_onnx_frontend.so.2641",
                 "openvino_ir_frontend.dll", "libopenvino_intel_cpu_plugin.so", "cache.json"):
        assert not skip.search(kept), kept


@pytest.fixture
def entry(monkeypatch):
    calls = []
    module = load("entry")
    import app.cli
    import app.gui

    monkeypatch.setattr(app.cli, "main", lambda argv: calls.append(("cli", argv)) or 0)
    monkeypatch.setattr(app.gui, "main", lambda argv: calls.append(("gui", argv)) or 0)
    return module, calls


@pytest.mark.parametrize(("exe", "gui"), [
    ("/opt/aipcprof/aipcprof-gui", True), (r"C:\Apps\AI PC Profiler\aipcprof-gui.exe", True),
    ("/opt/aipcprof/aipcprof", False), (r"C:\Apps\aipcprof.exe", False), ("/usr/bin/python3", False),
])
def test_entry_tells_the_gui_executable_apart(monkeypatch, entry, exe, gui):
    module, _ = entry
    monkeypatch.setattr(sys, "executable", exe.replace("\\", "/"))
    assert module._is_gui_exe() is gui


@pytest.mark.parametrize(("argv", "expected"), [
    ([], ("gui", [])),
    (["model.onnx"], ("gui", ["model.onnx"])),
    (["model.onnx", "--target", "ort/cpu", "--run"], ("gui", ["model.onnx", "--target", "ort/cpu", "--run"])),
    (["--version"], ("cli", ["--version"])),
    (["devices", "--json"], ("cli", ["devices", "--json"])),
])
def test_gui_executable_routes_files_to_the_window_and_commands_to_the_cli(entry, argv, expected):
    module, calls = entry
    assert module._gui_main(argv) == 0
    assert calls == [expected]


def test_gui_executable_gets_devnull_streams_when_windowed(monkeypatch, entry):
    module, calls = entry
    monkeypatch.setattr(sys, "executable", "/x/aipcprof-gui")
    monkeypatch.setattr(sys, "argv", ["aipcprof-gui", "m.onnx"])
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert module._main() == 0
    assert sys.stdout is not None and sys.stderr is not None
    sys.stdout.close()
    sys.stderr.close()
    assert calls == [("gui", ["m.onnx"])]


def test_resources_exist_for_the_bundle():
    assert any((ROOT / "resources").glob("*.onnx"))
    assert (ROOT / "resources" / "__init__.py").is_file()  # what the spec adds as app.resources


def test_qt_drop_pattern_on_linux_and_windows_layouts():
    match = re.search(r'QT_DROP = re\.compile\((.*?)\n\)\n', SPEC, re.S)
    assert match
    drop = eval(f"re.compile({match.group(1)})", {"re": re})  # noqa: S307 - our own file
    for dropped in ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "PySide6/Qt/plugins/tls/libqopensslbackend.so",
                    "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
                    "PySide6/plugins/imageformats/qpdf.dll", "PySide6/opengl32sw.dll",
                    "PySide6/translations/qtwebengine_de.qm", "PySide6/Qt/plugins/platforms/libqeglfs.so",
                    "PySide6\\plugins\\qmltooling\\qmldbg_tcp.dll"):
        assert drop.search(dropped), dropped
    for kept in ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/plugins/platforms/qwindows.dll",
                 "PySide6/plugins/platforms/qoffscreen.dll", "PySide6/plugins/styles/qmodernwindowsstyle.dll",
                 "PySide6/Qt/plugins/imageformats/libqsvg.so", "PySide6/translations/qtbase_de.qm",
                 "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
                 "PySide6/Qt6Widgets.dll", "PySide6/Qt/lib/libQt6Gui.so.6"):
        assert not drop.search(kept), kept
