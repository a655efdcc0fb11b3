"""Every `aipcprof <command>` a hint, message or doc names is a command the CLI has."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from app import cli

ROOT = Path(__file__).resolve().parents[2]
# In code every "aipcprof <word>" is a command line (prose in app/ says "AI PC Profiler");
# in docs only one that starts a line, follows a backtick or a shell prompt ("the version
# of aipcprof that wrote it" is not a command).
CODE_RE = re.compile(r"\baipcprof ([a-z][a-z0-9_-]*)")
DOC_RE = re.compile(r"(?:^|`|\$ )aipcprof ([a-z][a-z0-9_-]*)", re.MULTILINE)


def _subcommands() -> set[str]:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def _named_commands() -> dict[str, set[str]]:
    """command word -> the files that name it."""
    found: dict[str, set[str]] = {}
    sources = [(p, CODE_RE) for p in (ROOT / "app").rglob("*.py")]
    sources += [(p, DOC_RE) for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]]
    for path, pattern in sources:
        for word in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(word, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_named_command_exists():
    commands = _subcommands()
    named = _named_commands()
    assert {"devices", "run", "history"} <= set(named)  # the scan does find the commands
    unknown = {word: sorted(files) for word, files in named.items() if word not in commands}
    assert not unknown, f"these name an `aipcprof` command that does not exist: {unknown}"
