"""The team commands: `aipcprof history publish|pull|server` and `aipcprof run --publish` (docs/team.md).

Failure is normal here: a publish that fails keeps the run in the local
history, queues it (app.team.pending) and says so in one line on stderr; the
exit status is then 1 for `history publish` (and unchanged for `run`: the run
itself succeeded). Without MLflow every option says, in one line, how to get it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe

if TYPE_CHECKING:
    from app.record.history import RunHistory
    from app.record.schema import RunRecord
    from app.team.publish import PublishReport

RETRY_HINT = "`aipcprof history publish --pending` retries"


def _err(line: str) -> None:
    print(f"aipcprof: {terminal_safe(line)}", file=sys.stderr)


def png_renderer():
    """A PNG of the run for the report artifact, from the desktop components (offscreen); None without them."""
    try:
        from app.views.export import render_comparison_png
    except ImportError:
        return None

    def render(record: RunRecord, name: str, path: Path) -> None:
        render_comparison_png([record], [name], 0, str(path), "light")

    return render


def check_publish(option: str | None, what: str) -> str:
    """Before a run: MLflow installed and a server known, or exit 2 now (not after the run)."""
    from app.team.server import require_mlflow, resolve

    require_mlflow()
    return resolve(option, what).uri


def print_report(report: PublishReport, out=None) -> bool:
    """One line per run (on `out`, default stdout); True when every run was published."""
    for p in report.published:
        how = "updated" if p.updated else "published"
        print(terminal_safe(f"{how} {p.run_id} -> {report.uri} (MLflow run {p.server_run_id})"), file=out)
    for run_id, line in report.queued:
        _err(f"publish of {run_id} failed: {line}; queued ({RETRY_HINT}).")
    return not report.queued


def publish_after_run(record: RunRecord, uri: str) -> None:
    """`run --publish`: keep the run in the history, then publish it (queued if that fails).

    Its lines go to stderr: stdout holds the run's summary or, with --json, its record alone.
    """
    from app.record.history import RunHistory
    from app.team.publish import publish_runs

    history = RunHistory()
    entry = history.add(record)
    _err(f"run kept in the history as {entry.id}")
    print_report(publish_runs(history, [entry.id], uri, png=png_renderer()), out=sys.stderr)


def publish(history: RunHistory, ids: list[str], to: str | None, pending: bool) -> ExitStatus:
    from app.team.publish import publish_pending, publish_runs
    from app.team.server import require_mlflow, resolve

    require_mlflow()
    if pending:
        if ids:
            raise UserError("history publish --pending takes no run ids.",
                            hint="Use `history publish ID...` or `history publish --pending`.")
        reports = publish_pending(history, png=png_renderer(), uri=resolve(to, "--to").uri if to else None)
        if not reports:
            print("nothing queued: every publish went through.")
        ok = all([print_report(r) for r in reports])
        return ExitStatus.OK if ok else ExitStatus.RUN_FAILED
    if not ids:
        raise UserError("history publish: no run ids.", hint="Usage: aipcprof history publish ID... [--to URI] "
                                                            "| aipcprof history publish --pending")
    report = publish_runs(history, ids, resolve(to, "--to").uri, png=png_renderer())
    return ExitStatus.OK if print_report(report) else ExitStatus.RUN_FAILED


def pull(history: RunHistory, source: str | None, model: str | None) -> ExitStatus:
    from app.team.pull import pull_runs
    from app.team.server import ServerError, client, require_mlflow, resolve

    require_mlflow()
    uri = resolve(source, "--from").uri
    try:
        report = pull_runs(history, client(uri), uri, model=model)
    except ServerError as e:
        _err(f"pull failed: {e.line}")
        return ExitStatus.RUN_FAILED
    for e in report.added:
        print(terminal_safe(f"pulled {e.id}  {e.display_name}  ({e.host})"))
    for e in report.existing:
        print(terminal_safe(f"already here {e.id}  {e.display_name}  ({e.host})"))
    for server_run_id, line in report.rejected:
        _err(f"rejected MLflow run {server_run_id}: {line}")
    if not (report.added or report.existing or report.rejected):
        print(terminal_safe(f"no runs on {uri}" + (f" for model {model}" if model else "") + "."))
    return ExitStatus.RUN_FAILED if report.rejected else ExitStatus.OK


def server(operands: list[str]) -> ExitStatus:
    """`history server [URI]`: show or save the team's tracking server ('' clears it)."""
    import os

    from app.team.server import ENV_URI, save_uri, saved_uri, settings_path

    if operands:
        path = save_uri(operands[0])
        print(terminal_safe(f"saved the tracking server {operands[0]!r} in {path}" if operands[0].strip()
                            else f"cleared the tracking server in {path}"))
        return ExitStatus.OK
    env = os.environ.get(ENV_URI, "").strip()
    saved = saved_uri()
    print(terminal_safe(f"saved: {saved or '(none)'}  ({settings_path()})"))
    print(terminal_safe(f"{ENV_URI}: {env or '(not set)'}" + ("  <- used (it overrides the saved one)"
                                                               if env and saved else "")))
    return ExitStatus.OK
