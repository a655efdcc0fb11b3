"""Output paths (item 2, 15): devices stay devices, read-only files stay untouched, long names work,
impossible paths are one line, a failure after the run keeps the record elsewhere, modes are the user's."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from app.cli import main
from app.record import io as rec
from app.record.history import RunHistory

needs_posix = pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and modes are POSIX")


def _char_device(path: str) -> Path:
    p = Path(path)
    if not p.exists() or not stat.S_ISCHR(p.stat().st_mode):
        pytest.skip(f"{path} is not a character device on this OS")
    return p


# -- devices and FIFOs are written in place, never replaced ------------------------------------------


@needs_posix
def test_dev_null_stays_a_device(record):
    null = _char_device("/dev/null")
    before = null.stat()
    rec.save(record, null)
    rec.write_atomic(null, "a,b\n", "--csv")
    after = null.stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


@needs_posix
def test_run_out_dev_null_and_compare_csv_dev_null(aipcprof, add_model, record_file):
    null = _char_device("/dev/null")
    r = aipcprof("run", add_model, "-n", "3", "--warmup", "0", "--no-telemetry", "-q", "--out", null)
    assert r.rc == 0, r.err
    assert "Traceback" not in r.err
    r = aipcprof("compare", record_file, record_file, "--csv", null, "--svg", null)
    assert r.rc == 0, r.err
    assert stat.S_ISCHR(null.stat().st_mode)


@needs_posix
def test_a_full_device_is_one_line_naming_the_option(record):
    full = _char_device("/dev/full")  # every write fails with ENOSPC: a real full disk
    with pytest.raises(rec.OutputError, match=r"^--out /dev/full: cannot write \(the disk is full\)"):
        rec.save(record, full)
    assert stat.S_ISCHR(full.stat().st_mode)


@needs_posix
def test_fifo_output_is_written_to_its_reader_and_refused_without_one(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    # No reader: the open would block forever; it fails at once instead.
    with pytest.raises(rec.OutputError, match="no process is reading it"):
        rec.write_atomic(fifo, "x" * 10, "--csv")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    for _ in range(500):  # wait until the reader has opened its end
        try:
            rec.write_atomic(fifo, "x" * 200_000, "--csv")  # more than a pipe buffer: needs blocking writes
            break
        except rec.OutputError:
            threading.Event().wait(0.01)
    reader.join(timeout=30)
    assert got == [b"x" * 200_000]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# -- regular files ----------------------------------------------------------------------------------


def test_read_only_file_is_refused_and_untouched(tmp_path, record):
    # Root passes os.access for every file: the mode bits decide (no write bit for anyone = read-only).
    p = tmp_path / "keep.json"
    p.write_text("precious")
    p.chmod(0o444)
    with pytest.raises(rec.OutputError) as err:
        rec.save(record, p)
    assert err.value.message == f"--out {p}: the file is read-only." and "writable" in err.value.hint
    assert p.read_text() == "precious" and stat.S_IMODE(p.stat().st_mode) == 0o444


def test_read_only_file_via_cli_exits_2_before_the_run(aipcprof, add_model, tmp_path):
    p = tmp_path / "keep.json"
    p.write_text("precious")
    p.chmod(0o444)
    r = aipcprof("run", add_model, "--out", p)
    assert r.rc == 2
    assert "the file is read-only" in r.one_error_line() and "keep.json" in r.one_error_line()
    assert p.read_text() == "precious"


def test_a_250_character_name_works(tmp_path, record):
    p = tmp_path / ("r" * 245 + ".json")  # legal (250 bytes); the temp file name must stay short
    rec.save(record, p)
    assert rec.load(p).latency.p50 == record.latency.p50
    assert [x.name for x in tmp_path.iterdir()] == [p.name]


def test_a_name_over_the_limit_is_one_line_before_the_run(aipcprof, add_model, tmp_path):
    p = tmp_path / ("r" * 300 + ".json")
    with pytest.raises(rec.OutputError, match=r"the file name is 305 bytes, over this file system's limit of \d+"):
        rec.check_writable(p)
    r = aipcprof("run", add_model, "--out", p)
    assert r.rc == 2 and "the file name is 305 bytes" in r.one_error_line()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc on this OS")
def test_out_under_proc_is_one_line_before_the_run(aipcprof, add_model):
    # As root os.access says /proc is writable; creating a file there is what fails.
    r = aipcprof("run", add_model, "--out", "/proc/x")
    assert r.rc == 2
    line = r.one_error_line()
    assert line.startswith("aipcprof: error: --out /proc/x: cannot create files in /proc")


def test_empty_and_directory_outputs_are_refused(tmp_path, record_file, capsys):
    assert main(["compare", str(record_file), "--csv", ""]) == 2
    assert "--csv: the path is empty." in capsys.readouterr().err
    with pytest.raises(rec.OutputError, match="--out: the path is empty"):
        rec.check_writable("")
    with pytest.raises(rec.OutputError, match="is a directory"):
        rec.check_writable(tmp_path)
    with pytest.raises(rec.OutputError, match="a part of the folder is a file"):
        rec.check_writable(record_file / "x.json")


def test_run_out_empty_is_refused(aipcprof, add_model):
    r = aipcprof("run", add_model, "--out", "")
    assert r.rc == 2 and "--out: the path is empty." in r.one_error_line()


def test_symlink_is_written_through(tmp_path, record):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    rec.save(record, link)
    assert link.is_symlink() and rec.load(real).latency.count == record.latency.count


# -- disk full during the atomic write ------------------------------------------------------------------


def test_disk_full_during_fsync_leaves_the_old_file_and_no_temp(tmp_path, record, monkeypatch):
    p = tmp_path / "run.json"
    p.write_text("old")

    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(rec.OutputError) as err:
        rec.save(record, p)
    assert err.value.message == f"--out {p}: cannot write (the disk is full)."
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["run.json"]


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 4 KiB tmpfs (a real full disk), when this OS lets the test mount one."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(mnt)], capture_output=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here (needs CAP_SYS_ADMIN); the fsync test covers ENOSPC")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True, timeout=30)


def test_disk_full_on_a_real_tiny_file_system(tiny_tmpfs, record):
    p = tiny_tmpfs / "run.json"
    p.write_text("old")
    with pytest.raises(rec.OutputError, match="the disk is full"):
        rec.save(record, p)  # the record is far larger than 4 KiB
    assert p.read_text() == "old" and [x.name for x in tiny_tmpfs.iterdir()] == ["run.json"]


@needs_posix
def test_out_fails_after_the_run_the_record_is_kept_elsewhere(aipcprof, add_model, data_dir):
    _char_device("/dev/full")  # accepted up front (a writable device), the write fails after the run
    r = aipcprof("run", add_model, "-n", "5", "--warmup", "0", "--no-telemetry", "-q", "--out", "/dev/full")
    assert r.rc == 1, r.err
    assert "Traceback" not in r.err
    assert "aipcprof: error: --out /dev/full: cannot write (the disk is full)." in r.err
    saved = [line for line in r.err.splitlines() if "the run record was saved to" in line]
    assert len(saved) == 1
    path = Path(saved[0].split("saved to ", 1)[1].removesuffix(" instead."))
    assert path.parent == data_dir / "runs"
    kept = rec.load(path)
    assert kept.latency.count == 5
    # The history folder is where it went, so `aipcprof history` lists it.
    assert [e.id for e in RunHistory(data_dir / "runs").list()] == [path.stem]


# -- file modes -----------------------------------------------------------------------------------------


@needs_posix
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_get_the_users_mode(tmp_path, record, umask):
    old = os.umask(umask)
    try:
        rec.save(record, tmp_path / "run.json")
        rec.write_atomic(tmp_path / "t.csv", "a\n", "--csv")
    finally:
        os.umask(old)
    for name in ("run.json", "t.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


@needs_posix
def test_a_replaced_file_keeps_its_mode(tmp_path, record):
    p = tmp_path / "run.json"
    p.write_text("old")
    p.chmod(0o640)
    rec.save(record, p)
    assert stat.S_IMODE(p.stat().st_mode) == 0o640 and rec.load(p).latency.count == record.latency.count


# -- an output that is an input -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--html", "--csv", "--svg", "--bundle"])
def test_compare_never_overwrites_an_input(tmp_path, record_file, flag, capsys):
    other = tmp_path / "b.json"
    other.write_bytes(record_file.read_bytes())
    before = record_file.read_bytes()
    spelled = tmp_path / "sub" / ".." / record_file.name  # another spelling of the same file
    (tmp_path / "sub").mkdir()
    assert main(["compare", str(record_file), str(other), flag, str(spelled)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "is the input run file" in err and flag in err
    assert record_file.read_bytes() == before


@needs_posix
def test_compare_refuses_a_hard_link_to_an_input_and_two_outputs_on_one_file(tmp_path, record_file, capsys):
    link = tmp_path / "alias.html"
    os.link(record_file, link)
    assert main(["compare", str(record_file), "--html", str(link)]) == 2
    assert "is the input run file" in capsys.readouterr().err
    out = tmp_path / "r.html"
    assert main(["compare", str(record_file), "--html", str(out), "--svg", str(out)]) == 2
    assert "--html writes the same file" in capsys.readouterr().err
    assert not out.exists()
