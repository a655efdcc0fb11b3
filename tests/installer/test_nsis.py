"""The NSIS template filled from app.__version__: per-user install, association, clean uninstall."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.installer.conftest import INSTALLER, load

fill_nsis = load("fill_nsis")
TEMPLATE = (INSTALLER / "aipcprof.nsi.in").read_text(encoding="utf-8")


@pytest.fixture
def bundle(tmp_path):
    """A tiny stand-in for dist/aipcprof: both executables and a library folder."""
    dist = tmp_path / "dist" / "aipcprof"
    (dist / "_internal" / "onnxruntime_qnn").mkdir(parents=True)
    for name in ("aipcprof.exe", "aipcprof-gui.exe"):
        (dist / name).write_bytes(b"MZ stand-in")
    (dist / "_internal" / "onnxruntime_qnn" / "QnnHtp.dll").write_bytes(b"MZ stand-in")
    return dist


@pytest.fixture
def script(tmp_path, bundle):
    out = tmp_path / "aipcprof.nsi"
    assert fill_nsis.main(["--dist", str(bundle), "--out-dir", str(tmp_path / "out"), "--output", str(out)]) == 0
    return out


def _sections(text: str) -> tuple[str, str]:
    uninstall = text.index('Section "Uninstall"')
    return text[:uninstall], text[uninstall:]


def test_fill_uses_the_package_version(script, app_version):
    text = script.read_text(encoding="utf-8-sig")
    assert f'!define APP_VERSION "{app_version}"' in text
    quad = ".".join(str(n) for n in load("version_info").version_quad(app_version))
    assert f'!define APP_VERSION_QUAD "{quad}"' in text
    assert not re.search(r"@[A-Z_]+@", text), "a token was left unfilled"


def test_template_tokens_all_have_values():
    values = fill_nsis.tokens("1.2.3", INSTALLER, INSTALLER, INSTALLER / "app.ico")
    assert set(re.findall(r"@([A-Z_]+)@", TEMPLATE)) <= set(values)
    with pytest.raises(KeyError):
        fill_nsis.fill("@NOPE@", values)


def test_nsis_strings_are_escaped():
    assert fill_nsis.nsis_string(r"C:\a$b") == r"C:\a$$b"
    with pytest.raises(ValueError):
        fill_nsis.nsis_string('say "hi"')


def test_per_user_install_without_admin(script):
    text = script.read_text(encoding="utf-8-sig")
    assert "RequestExecutionLevel user" in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in text
    assert "HKLM" not in text and "SetShellVarContext all" not in text
    assert "SetShellVarContext current" in text
    assert '!error "Pass the architecture' in text  # ARCH is a makensis define


def test_onnx_association_is_open_with_only(script):
    install, _ = _sections(script.read_text(encoding="utf-8-sig"))
    assert 'WriteRegStr HKCU "${CLASSES}\\.onnx\\OpenWithProgids" "${PROG_ID}" ""' in install
    assert '"Open with ${APP_NAME}"' in install
    assert '\'"$INSTDIR\\${GUI_EXE}" "%1"\'' in install
    # never the default handler: nothing writes the (default) value of .onnx itself
    assert not re.search(r'WriteRegStr HKCU "\$\{CLASSES\}\\\.onnx" ""', install)
    assert "SHChangeNotify" in install


def test_uninstall_removes_everything_install_adds(script):
    install, uninstall = _sections(script.read_text(encoding="utf-8-sig"))
    deleted_keys = re.findall(r'DeleteRegKey (?:/ifempty )?HKCU "([^"]+)"', uninstall)
    deleted_values = re.findall(r'DeleteRegValue HKCU "([^"]+)" "([^"]+)"', uninstall)
    writes = re.findall(r'WriteReg(?:Str|DWORD) HKCU "([^"]+)" "([^"]*)"', install)
    assert len(writes) >= 20
    for key, value in writes:
        covered = any(key == k or key.startswith(k + "\\") for k in deleted_keys) or (key, value) in deleted_values
        assert covered, f"uninstall leaves HKCU\\{key} {value!r}"
    # our association value is removed by name, the user's other .onnx handlers are left alone
    assert ("${CLASSES}\\.onnx\\OpenWithProgids", "${PROG_ID}") in deleted_values
    assert 'DeleteRegKey HKCU "${CLASSES}\\.onnx"' not in uninstall
    for shortcut in re.findall(r'CreateShortcut "([^"]+)"', install):
        assert f'Delete "{shortcut}"' in uninstall
    assert 'WriteUninstaller "$INSTDIR\\uninstall.exe"' in install
    for path in ('Delete "$INSTDIR\\${GUI_EXE}"', 'Delete "$INSTDIR\\${CLI_EXE}"', 'RMDir /r "$INSTDIR\\_internal"',
                 'Delete "$INSTDIR\\uninstall.exe"', 'RMDir "$INSTDIR"'):
        assert path in uninstall
    assert 'RMDir /r "$INSTDIR"' not in uninstall  # never wipe a folder the user picked
    assert '"${UNINST_KEY}" "UninstallString"' in install
    assert 'Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\' in script.read_text(encoding="utf-8-sig")


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not on PATH (apt-get install nsis)")
@pytest.mark.parametrize("arch", ["x64", "arm64"])
def test_makensis_compiles_the_filled_script(tmp_path, script, arch, app_version):
    (tmp_path / "out").mkdir()
    done = subprocess.run(["makensis", "-V2", f"-DARCH={arch}", "-DFAST", str(script)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    setup = tmp_path / "out" / f"AI-PC-Profiler-{app_version}-windows-{arch}-setup.exe"
    assert setup.read_bytes()[:2] == b"MZ"


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not on PATH (apt-get install nsis)")
@pytest.mark.parametrize(("defines", "message"), [
    ([], "Pass the architecture"),
    (["-DARCH=x86"], "ARCH must be x64 or arm64"),
])
def test_makensis_refuses_a_missing_or_wrong_arch(tmp_path, script, defines, message):
    done = subprocess.run(["makensis", "-V2", "-DFAST", *defines, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not on PATH (apt-get install nsis)")
def test_makensis_refuses_an_unbuilt_bundle(tmp_path, script, bundle):
    (bundle / "aipcprof-gui.exe").unlink()
    done = subprocess.run(["makensis", "-V2", "-DARCH=x64", "-DFAST", str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "build the bundle first" in done.stdout + done.stderr
