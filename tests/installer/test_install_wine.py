"""Install and uninstall a stand-in bundle for real, under Wine (Linux, about a minute, opt-in).

    AIPCPROF_WINE_TESTS=1 .venv/bin/python -m pytest tests/installer/test_install_wine.py   # needs wine64, nsis

The installer is built for amd64 here (`-XTarget amd64-unicode`) because Debian's wine64
runs 64-bit programs only; the shipped installer is the default x86 stub, same script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.installer.conftest import load

WINE = shutil.which("wine64") or next((p for p in ("/usr/lib/wine/wine64",) if os.access(p, os.X_OK)), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("AIPCPROF_WINE_TESTS") != "1", reason="opt-in: set AIPCPROF_WINE_TESTS=1"),
    pytest.mark.skipif(not (WINE and shutil.which("makensis")), reason="needs wine64 and makensis (apt-get install wine64 nsis)"),
]
KEYS = {
    "association": r"HKCU\Software\Classes\AIPCProfiler.onnx",
    "uninstall entry": r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\AIPCProfiler",
    "app path": r"HKCU\Software\Microsoft\Windows\CurrentVersion\App Paths\aipcprof.exe",
}


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    env = dict(os.environ, WINEPREFIX=str(tmp_path_factory.mktemp("wineprefix")), WINEDEBUG="-all",
               WINEDLLOVERRIDES="mscoree,mshtml=", DISPLAY="")
    subprocess.run([WINE, "wineboot", "-i"], env=env, capture_output=True, timeout=300, check=False)
    home = Path(env["WINEPREFIX"], "drive_c", "users", os.environ.get("USER") or "root")
    if not home.is_dir():
        home = next(p for p in Path(env["WINEPREFIX"], "drive_c", "users").iterdir() if p.name != "Public")

    def run(*args, timeout=300):
        return subprocess.run([WINE, *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)

    run.home = home
    return run


@pytest.fixture(scope="module")
def setup_exe(tmp_path_factory):
    root = tmp_path_factory.mktemp("wine-installer")
    dist = root / "dist" / "aipcprof"
    (dist / "_internal" / "onnxruntime_qnn").mkdir(parents=True)
    for name in ("aipcprof.exe", "aipcprof-gui.exe", "_internal/onnxruntime_qnn/QnnHtp.dll"):
        (dist / name).write_bytes(b"MZ stand-in")
    out = root / "out"
    out.mkdir()
    load("fill_nsis").main(["--dist", str(dist), "--out-dir", str(out), "--output", str(root / "a.nsi")])
    for arch in ("x64", "arm64"):
        subprocess.run(["makensis", "-V1", "-XTarget amd64-unicode", f"-DARCH={arch}", "-DFAST", str(root / "a.nsi")],
                       check=True, capture_output=True, timeout=120)
    return {arch: next(out.glob(f"*-windows-{arch}-setup.exe")) for arch in ("x64", "arm64")}


def _has_key(wine, key: str) -> bool:
    return wine("reg", "query", key).returncode == 0


def test_install_then_uninstall_leaves_nothing_but_other_apps_entries(wine, setup_exe):
    # another program's .onnx handler, which must survive our uninstall
    wine("reg", "add", r"HKCU\Software\Classes\.onnx\OpenWithProgids", "/v", "Other.onnx", "/t", "REG_SZ", "/d", "", "/f")
    assert wine(setup_exe["x64"], "/S").returncode == 0
    app = wine.home / "AppData" / "Local" / "Programs" / "AI PC Profiler"
    shortcut = wine.home / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "AI PC Profiler.lnk"
    assert (app / "aipcprof.exe").is_file() and (app / "_internal" / "onnxruntime_qnn" / "QnnHtp.dll").is_file()
    assert shortcut.is_file()
    progids = wine("reg", "query", r"HKCU\Software\Classes\.onnx\OpenWithProgids").stdout
    assert "AIPCProfiler.onnx" in progids and "Other.onnx" in progids
    command = wine("reg", "query", KEYS["association"] + r"\shell\open\command").stdout
    assert 'aipcprof-gui.exe" "%1"' in command
    assert all(_has_key(wine, k) for k in KEYS.values())

    assert wine(setup_exe["x64"], "/S").returncode == 0  # upgrade in place

    assert wine(app / "uninstall.exe", "/S").returncode == 0
    deadline = time.monotonic() + 60  # the uninstaller re-runs itself from %TEMP% and returns at once
    while app.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not app.exists() and not shortcut.exists()
    assert not any(_has_key(wine, k) for k in KEYS.values())
    progids = wine("reg", "query", r"HKCU\Software\Classes\.onnx\OpenWithProgids").stdout
    assert "AIPCProfiler.onnx" not in progids and "Other.onnx" in progids


def test_arm64_installer_refuses_an_x64_pc(wine, setup_exe):
    done = wine(setup_exe["arm64"], "/S")
    assert done.returncode == 2  # NSIS: aborted in .onInit
    assert not (wine.home / "AppData" / "Local" / "Programs" / "AI PC Profiler" / "aipcprof.exe").exists()
