"""`gui --screenshot PATH` (item 14): a path that cannot take the picture is one line and exit 2 before the
window opens, not a silent exit 1 after a whole run."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import gui
from app.cli import main


def _one_line(capsys) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1 and "Traceback" not in err, (out, err)
    return lines[0]


def test_a_text_file_name_is_refused(tmp_path, capsys):
    shot = tmp_path / "shot.txt"
    assert main(["gui", "--screenshot", str(shot), "--quit"]) == 2
    assert _one_line(capsys) == f"aipcprof: error: --screenshot {shot}: must end in .png (or .jpg, .bmp). " \
                                "E.g. --screenshot window.png"
    assert not shot.exists()


def test_a_directory_is_refused(tmp_path, capsys):
    folder = tmp_path / "shots.png"
    folder.mkdir()
    assert main(["gui", "--screenshot", str(folder), "--quit"]) == 2
    assert _one_line(capsys) == f"aipcprof: error: --screenshot {folder}: is a directory. " \
                                "Give a file name, e.g. run.json."


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc on this OS")
def test_an_unwritable_place_is_refused(capsys):
    assert main(["gui", "--screenshot", "/proc/shot.png", "--quit"]) == 2
    assert _one_line(capsys).startswith("aipcprof: error: --screenshot /proc/shot.png: cannot create files in /proc")


def test_a_folder_that_cannot_be_made_is_refused(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["gui", "--screenshot", str(a_file / "sub" / "shot.png"), "--quit"]) == 2
    assert f"cannot create the folder {a_file / 'sub'}" in _one_line(capsys)


def test_the_gui_entry_point_says_it_in_one_line_too(tmp_path, capsys):
    assert gui.main(["--screenshot", str(tmp_path / "shot.txt"), "--quit"]) == 2
    assert _one_line(capsys).startswith("aipcprof-gui: error: --screenshot ")


def test_a_good_path_passes_and_a_missing_folder_is_made(tmp_path):
    shot = tmp_path / "new" / "shot.PNG"
    assert gui.check_screenshot(str(shot)) == shot
    assert shot.parent.is_dir() and not shot.exists()
