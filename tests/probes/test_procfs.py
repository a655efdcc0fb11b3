"""Linux /proc parsers and the keep-open reader the 10 Hz probes use."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.probes.linux_procfs import (
    CLK_TCK,
    PAGE_SIZE,
    mean_freq_hz,
    parse_meminfo,
    parse_pid_stat,
    parse_proc_stat,
)
from app.probes.linux_sysfs import CachedReader, read_attr

PROC_STAT = """cpu  1000 0 500 8000 100 0 0 0 200 0
cpu0 600 0 300 3900 50 0 0 0 200 0
cpu1 400 0 200 4100 50 0 0 0 0 0
intr 123456 0 9 0 0
ctxt 987654
cpu9 garbage here
"""


def test_parse_proc_stat_per_core_busy_and_total():
    cores = parse_proc_stat(PROC_STAT)
    assert len(cores) == 2  # the aggregate line and the malformed line are skipped
    # cpu0: total 600+300+3900+50+200 = 5050, minus guest 200 = 4850; idle 3950 -> busy 900
    assert cores[0] == (900.0, 4850.0)
    assert cores[1] == (600.0, 4750.0)


def test_parse_pid_stat_with_a_hostile_command_name():
    text = "4242 (my (weird) prog) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 777 1000000 512 18446744073709551615"
    cpu_s, rss, start = parse_pid_stat(text)
    assert cpu_s == pytest.approx(300 / CLK_TCK)
    assert rss == 512 * PAGE_SIZE and start == 777
    assert parse_pid_stat("4242 (x) R 1 2") is None
    assert parse_pid_stat("no paren at all") is None


def test_parse_meminfo():
    text = "MemTotal:       16314660 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n"
    assert parse_meminfo(text) == (16314660 * 1024, 12000000 * 1024)
    assert parse_meminfo("MemTotal: 5 kB\n") is None


def test_mean_freq_over_policies(tmp_path):
    files = []
    for i, khz in enumerate(["2400000", "3600000", "garbage"]):
        f = tmp_path / f"policy{i}"
        f.write_text(khz + "\n")
        files.append(f)
    assert mean_freq_hz(files) == pytest.approx(3.0e9)
    assert mean_freq_hz([tmp_path / "missing"]) is None


def test_cached_reader_sees_in_place_updates_and_classifies_errors(tmp_path):
    f = tmp_path / "energy_uj"
    f.write_text("100\n")
    reader = CachedReader()
    assert reader(f) == "100\n"
    f.write_text("250\n")  # same inode, new content: what sysfs does between reads
    assert reader(f) == "250\n"
    assert read_attr(tmp_path / "nope", reader).status == "unsupported"
    reader.close()
    assert reader(f) == "250\n"  # reopens after close


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="procfs")
def test_cached_reader_on_real_procfs_and_a_vanished_process():
    reader = CachedReader()
    assert len(parse_proc_stat(reader(Path("/proc/stat")))) == os.cpu_count()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    path = Path(f"/proc/{child.pid}/stat")
    assert parse_pid_stat(reader(path)) is not None
    child.wait()  # exited and reaped: the kept-open file must now fail, not return stale data
    with pytest.raises(OSError) as err:
        reader(path)
    assert err.value.errno in (errno.ESRCH, errno.ENOENT)
