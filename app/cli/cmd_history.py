"""`aipcprof history [list|show ID|rename ID NAME|delete ID|import FILE...|path|publish|pull|server]`.

publish ID... [--to URI], publish --pending, pull [--from URI] [--model SHA|NAME]
and server [URI] share runs through an MLflow tracking server (app.cli.team_cli,
docs/team.md).

The history lives in the user data folder (see app.record.history); the desktop
app shows the same runs. IDs may be shortened to any unique prefix.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe  # record text is untrusted: every printed line goes through it

if TYPE_CHECKING:
    from app.record.history import HistoryEntry, RunHistory

ACTIONS = ("list", "show", "rename", "delete", "import", "path", "publish", "pull", "server")
# action -> (min operands, max operands or None, usage)
_ARITY = {"list": (0, 0, "list"), "show": (1, 1, "show ID"), "rename": (2, 2, "rename ID NAME"),
          "delete": (1, None, "delete ID..."), "import": (1, None, "import FILE..."), "path": (0, 1, "path [ID]"),
          "publish": (0, None, "publish ID... [--to URI] | publish --pending"),
          "pull": (0, 0, "pull [--from URI] [--model SHA|NAME]"), "server": (0, 1, "server [URI]")}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", default="list", choices=ACTIONS,
                   help="list (default), show ID, rename ID NAME, delete ID..., import FILE..., path [ID]; "
                        "team server (docs/team.md): publish ID..., publish --pending, pull, server [URI]")
    p.add_argument("operands", nargs="*", metavar="ARG", help="run id(s), a new name, or run files to import")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--to", metavar="URI", help="publish: the MLflow tracking server (default: $MLFLOW_TRACKING_URI, "
                                               "else the one saved with `history server URI`)")
    p.add_argument("--pending", action="store_true", help="publish: retry every publish that failed before")
    p.add_argument("--from", dest="source", metavar="URI", help="pull: the tracking server (default as --to)")
    p.add_argument("--model", metavar="SHA|NAME", help="pull: only this model's runs (sha256 prefix or file name)")


def _fmt_entry(e: HistoryEntry) -> str:
    from app.common.fmt import fmt_ms, fmt_rate

    date = (e.created_utc or "?")[:19].replace("T", " ")
    return "  ".join([e.id, date, e.status.value, fmt_ms(e.p50_s).rjust(10), fmt_rate(e.throughput_per_s).rjust(10),
                      e.display_name])


def _list(history: RunHistory, as_json: bool) -> None:
    entries, bad = history.list(), history.unreadable()
    if as_json:
        print(json.dumps({"root": str(history.root), "runs": [e.to_json() for e in entries],
                          "unreadable": [b.to_json() for b in bad]}, indent=1))
        return
    if not entries:
        print(f"no runs in the history ({history.root}).")
    for e in entries:
        print(terminal_safe(_fmt_entry(e)))
    for b in bad:
        print(terminal_safe(f"UNREADABLE {b.id}: {b.reason}"))


def _show(history: RunHistory, run_id: str, as_json: bool) -> None:
    from app.record import io as rec
    from app.report.text import format_run

    record = history.get(run_id)
    if as_json:
        print(rec.dumps(record))
        return
    print(format_run(record))
    print(terminal_safe(f"  file: {history.path_of(run_id)}"))


def _import(history: RunHistory, files: list[str], as_json: bool) -> None:
    entries = [history.import_file(f) for f in files]  # the first bad file stops with its UserError
    if as_json:
        print(json.dumps([e.to_json() for e in entries], indent=1))
        return
    for e in entries:
        print(terminal_safe(f"imported {e.id}  {e.display_name}"))


def _check_arity(action: str, operands: list[str]) -> None:
    lo, hi, usage = _ARITY[action]
    if len(operands) < lo or (hi is not None and len(operands) > hi):
        raise UserError(f"history {action}: wrong number of arguments.", hint=f"Usage: aipcprof history {usage}")


_TEAM_OPTIONS = {"to": ("--to", "publish"), "pending": ("--pending", "publish"), "source": ("--from", "pull"),
                 "model": ("--model", "pull")}


def _check_team_options(args: argparse.Namespace) -> None:
    for dest, (option, action) in _TEAM_OPTIONS.items():
        if getattr(args, dest) and args.action != action:
            raise UserError(f"history {args.action}: {option} belongs to `history {action}`.",
                            hint=f"Usage: aipcprof history {_ARITY[action][2]}")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.record.history import RunHistory

    history, ops, as_json = RunHistory(), list(args.operands), args.json
    _check_arity(args.action, ops)
    _check_team_options(args)
    if args.action in ("publish", "pull", "server"):
        from app.cli import team_cli

        if args.action == "publish":
            return team_cli.publish(history, ops, args.to, args.pending)
        return team_cli.pull(history, args.source, args.model) if args.action == "pull" else team_cli.server(ops)
    if args.action == "list":
        _list(history, as_json)
    elif args.action == "show":
        _show(history, ops[0], as_json)
    elif args.action == "rename":
        e = history.rename(ops[0], ops[1])
        print(json.dumps(e.to_json(), indent=1) if as_json else terminal_safe(f"renamed {e.id} to {e.display_name}"))
    elif args.action == "delete":
        ids = [history.resolve(i) for i in ops]  # every id checked before anything is deleted
        for run_id in ids:
            history.delete(run_id)
        print(json.dumps({"deleted": ids}) if as_json else "\n".join(f"deleted {i}" for i in ids))
    elif args.action == "import":
        _import(history, ops, as_json)
    else:
        target = history.path_of(ops[0]) if ops else history.root
        print(json.dumps({"path": str(target)}) if as_json else terminal_safe(target))
    return ExitStatus.OK
