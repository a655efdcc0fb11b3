"""TeamController: the History tab's "Team server" source, as a plain object (docs/team.md).

Listing and pulling talk to the network: each runs in `jobs`, off the GUI
thread, and every MLflow request is bounded (app.team.server: 10 s unless
MLFLOW_HTTP_REQUEST_TIMEOUT says otherwise), so a hung server leaves the
window responsive and ends in an inline error line. An answer that comes back
after a newer request (another server, another model) is dropped.

Pulled runs land in the local history (validated, no duplicates); "Pull and
Compare" then compares them through HistoryController like local runs: the
comparison's Host column tells the machines apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.common.errors import UserError
from app.state import AppState
from app.team.server import ServerError, resolve, save_uri, saved_uri
from app.views.jobs import JobRunner
from app.views.team_panel import TeamPanel

if TYPE_CHECKING:
    from app.record.history import RunHistory
    from app.team.publish import PublishReport
    from app.team.pull import PullReport
    from app.views.history_controller import HistoryController


def _initial_uri() -> str:
    try:
        return resolve(None).uri
    except UserError:
        return ""


def _failure_line(e: BaseException) -> str:
    if isinstance(e, ServerError):
        return e.line
    if isinstance(e, UserError):
        return f"{e.message} {e.hint}".strip()
    return f"{e.__class__.__name__}: {e}"


class TeamController:
    def __init__(self, state: AppState, store: RunHistory, jobs: JobRunner, panel: TeamPanel,
                 history: HistoryController) -> None:
        self.state, self.store, self.jobs, self.panel, self.history = state, store, jobs, panel, history
        self._generation = 0  # the latest request: older answers are dropped
        panel.uri.setText(_initial_uri())
        panel.list_requested.connect(self.list_runs)
        panel.pull_requested.connect(self.pull)
        history.panel.publish_requested.connect(self.publish)
        state.model.loaded.connect(self._on_model_loaded)
        self._listed_uri = ""  # the server listed last: another model opened lists its runs there again

    def _model(self) -> tuple[str | None, str]:
        """(sha256 of the current model or None, the scope line)."""
        card = self.state.model.card or {}
        sha, name = card.get("sha256"), str(card.get("path") or "").replace("\\", "/").rsplit("/", 1)[-1]
        if sha:
            return sha, f"Runs of {name or 'the current model'} (sha256 {sha[:12]}…)"
        return None, "Runs of every model (open a model to see only its runs)"

    def _remember(self, uri: str) -> None:
        """The server typed here becomes the saved one (shared with `aipcprof history server`)."""
        try:
            if uri and uri != saved_uri():
                save_uri(uri)
        except (OSError, UserError):
            pass  # listing still works; the next start asks again

    def _on_model_loaded(self, _path: str) -> None:
        if self._listed_uri and self.panel.isVisible():
            self.list_runs(self._listed_uri)

    def list_runs(self, uri: str = "") -> None:
        from app.team.pull import list_runs
        from app.team.server import client

        uri = uri or self.panel.uri.text().strip()
        if not uri:
            self.panel.set_message("Give the team's tracking server (http://host:5000), or set "
                                   "MLFLOW_TRACKING_URI before starting the app.", error=True)
            return
        self._remember(uri)
        self._listed_uri = uri
        sha, scope = self._model()
        self._generation += 1
        gen = self._generation
        self.panel.set_busy(f"Listing the runs on {uri}…")

        def work():
            try:
                return list_runs(client(uri), model=sha)
            except (ServerError, UserError):
                raise
            except Exception as e:  # MLflow / requests: a normal failure, told in one line
                from app.team.server import classify

                raise classify(e, uri) from None

        self.jobs.submit(work, lambda runs: gen == self._generation and self.panel.set_runs(runs, scope, uri),
                         lambda e: self._failed(gen, f"Could not list the runs: {_failure_line(e)}"))

    def pull(self, uri: str, server_run_ids: list[str], compare: bool) -> None:
        from app.team.pull import pull_runs
        from app.team.server import client

        self._generation += 1
        gen = self._generation
        self.panel.set_busy(f"Pulling {len(server_run_ids)} run{'s' if len(server_run_ids) != 1 else ''}…")
        store = self.store
        self.jobs.submit(lambda: pull_runs(store, client(uri), uri, server_run_ids=server_run_ids),
                         lambda report: self._pulled(gen, report, compare),
                         lambda e: self._failed(gen, f"Could not pull: {_failure_line(e)}"))

    def _pulled(self, gen: int, report: PullReport, compare: bool) -> None:
        ids = list(dict.fromkeys(e.id for e in report.added + report.existing))
        new = len(report.added)
        text = f"Pulled {new} new run{'s' if new != 1 else ''}" + (
            f"; {len(report.existing)} already in the history" if report.existing else "") + "."
        if report.rejected:
            text += f" Rejected {len(report.rejected)}: " + "; ".join(line for _, line in report.rejected[:3])
        if gen == self._generation:
            self.panel.set_message(text, error=bool(report.rejected))
            self.panel.set_idle()
        self.history.refresh(select=ids)
        if compare and len(ids) >= 2:
            self.history.compare_runs(ids)

    def publish(self, run_ids: list[str]) -> None:
        """Publish local runs off the GUI thread (record, HTML report and PNG, drawn in a spawned process); a
        failure queues them, as on the command line, and says so in the window's error line."""
        from app.team.publish import publish_runs
        from app.views.png_child import render_png_in_child

        uri = self.panel.uri.text().strip() or _initial_uri()
        if not uri:
            self.state.report_error("No team server to publish to.", "Give its URL in History > Team server, or "
                                    "set MLFLOW_TRACKING_URI.")
            return
        self._remember(uri)
        store, n = self.store, len(run_ids)
        self.state.show_status(f"Publishing {n} run{'s' if n != 1 else ''} to {uri}…")
        self.jobs.submit(lambda: publish_runs(store, run_ids, uri, png=render_png_in_child), self._published,
                         lambda e: self.state.report_error(f"Could not publish: {_failure_line(e)}"))

    def _published(self, report: PublishReport) -> None:
        done = len(report.published)
        if report.queued:
            self.state.report_error(f"Published {done} of {done + len(report.queued)} runs; the others are queued: "
                                    f"{report.queued[0][1]}", "`aipcprof history publish --pending` retries them.")
        else:
            self.state.show_status(f"Published {done} run{'s' if done != 1 else ''} to {report.uri}", 8000)

    def _failed(self, gen: int, line: str) -> None:
        if gen != self._generation:
            return
        self.panel.set_message(line, error=True)
        self.panel.set_idle()
