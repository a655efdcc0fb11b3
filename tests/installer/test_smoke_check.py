"""installer/smoke_check.py: what build_bundle.sh and the workflow conclude from the frozen app's output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zlib

import pytest

from tests.installer.conftest import ROOT, load

smoke = load("smoke_check")


def _target(tid, status="ready", reason=""):
    return {"id": tid, "status": status, "reason": reason}


def test_version(app_version):
    assert smoke.main(["version", f"aipcprof {app_version}\n"]) == 0
    assert smoke.main(["version", "aipcprof 0.0.0-other"]) == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_devices_ok_in_any_shell_encoding(tmp_path, encoding):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"targets": [_target("ort/cpu"), _target("ov/npu", "unavailable", "no NPU")]}),
                    encoding=encoding)
    assert smoke.main(["devices", str(path)]) == 0


def test_devices_fails_when_a_plugin_ep_did_not_load(tmp_path):
    path = tmp_path / "d.json"
    bad = _target("ort/qnn/htp-emulator", "unavailable",
                  "cannot import onnxruntime_qnn: module 'onnxruntime_qnn' has no attribute 'get_ep_names'")
    path.write_text(json.dumps({"targets": [_target("ort/cpu"), bad]}))
    assert smoke.main(["devices", str(path)]) == 1
    path.write_text(json.dumps({"targets": [_target("ort/cpu")]}))
    assert smoke.main(["devices", str(path), "--require-ready", "ov/cpu"]) == 1


def test_run_record(tmp_path):
    path = tmp_path / "r.json"
    record = {"status": "completed", "target": {"id": "ort/cpu"}, "latency": {"unit": "s", "count": 20, "p50": 0.003}}
    path.write_text(json.dumps(record))
    assert smoke.main(["run", str(path), "--iterations", "20"]) == 0
    assert smoke.main(["run", str(path), "--iterations", "21"]) == 1
    record["status"] = "failed"
    path.write_text(json.dumps(record))
    assert smoke.main(["run", str(path), "--iterations", "20"]) == 1


def _png(path, w, h, payload=b""):
    import struct

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                     + chunk(b"tEXt", payload) + chunk(b"IEND", b""))


def test_png(tmp_path):
    _png(tmp_path / "ok.png", 1280, 800, b"x" * 30000)
    assert smoke.main(["png", str(tmp_path / "ok.png")]) == 0
    _png(tmp_path / "tiny.png", 16, 16)
    assert smoke.main(["png", str(tmp_path / "tiny.png")]) == 1
    assert smoke.main(["png", str(tmp_path / "missing.png")]) == 1


@pytest.mark.skipif(shutil.which("bash") is None or sys.platform == "win32", reason="needs a POSIX bash")
def test_build_script_is_valid_bash():
    done = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "build_bundle.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_winml_targets_must_be_listed_and_say_why(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"targets": [_target("ort/cpu")]}), encoding="utf-8")
    assert smoke.main(["winml", str(path)]) == 1
    silent = dict(_target("winml/qnn/npu", "unavailable", "not on this PC yet"), fix="")
    path.write_text(json.dumps({"targets": [silent]}), encoding="utf-8")
    assert smoke.main(["winml", str(path)]) == 1
    said = dict(silent, fix="aipcprof devices --acquire")
    path.write_text(json.dumps({"targets": [said, _target("winml/openvino/npu")]}), encoding="utf-8")
    assert smoke.main(["winml", str(path)]) == 0
    assert "winml/qnn/npu unavailable (not on this PC yet); winml/openvino/npu ready" in capsys.readouterr().out
