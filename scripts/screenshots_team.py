"""Render the History tab's "Team server" source and a two-host comparison offscreen (docs/team.md).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_team.py [--out docs/screenshots]

Starts a real `mlflow server` on 127.0.0.1 (SQLite, a temporary folder), makes two
real runs of the sample model (ort/cpu and ov/cpu, 3 s each) and publishes them
from two history folders whose records carry two host names (standing for two
machines of a team), then opens the app as a third machine: 32-team-server.png
(the server's runs listed) and 33-team-compare.png (pulled and compared; the
Host column tells the machines apart). The server is stopped at the end.
Needs MLflow (the `test` extra).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_model, open_window, parse_shot_args, shoot, shot_parser, wait_for  # noqa: E402 - the sibling script

MACHINES = (("snapdragon-x-laptop", "ort/cpu"), ("core-ultra-desktop", "ov/cpu"))


def _run(model: Path, target: str):
    from app.run.runner import ProfileRun
    from app.run.runspec import RunSpec

    run = ProfileRun(RunSpec(model_path=str(model), target_id=target, warmup=5, iterations=None, duration_s=3.0))
    run.start()
    try:
        return run.wait()
    finally:
        run.close()


def publish_two_machines(uri: str, model: Path, tmp: Path) -> None:
    from app.record.history import RunHistory
    from app.team.publish import publish_runs

    for host, target in MACHINES:
        record = _run(model, target)
        record.host = dataclasses.replace(record.host, hostname=host)
        history = RunHistory(tmp / host)
        report = publish_runs(history, [history.add(record).id], uri)
        if report.queued:
            raise RuntimeError(report.queued[0][1])
        print(f"published {target} as {host}")


def main() -> int:
    p = shot_parser(__doc__)
    p.add_argument("--model", default=str(ROOT / "resources" / "sample_model.onnx"))
    args, out, width, height = parse_shot_args(p)
    from tests.team.mlflow_server import MlflowServer

    server = MlflowServer(Path(tempfile.mkdtemp(prefix="aipcprof-mlflow-")))
    server.start()
    try:
        publish_two_machines(server.uri, Path(args.model), server.folder)
        app, window, _tmp = open_window(width, height, None)
        open_model(app, window, args.model)
        window.views.setCurrentWidget(window.history_sources)
        panel = window.team_panel
        window.history_sources.setCurrentWidget(panel)
        panel.uri.setText(server.uri)
        panel.list_button.click()
        wait_for(app, lambda: panel.table.rowCount() == len(MACHINES), 60, "the server's runs")
        panel.select_all()
        shoot(app, window, out / "32-team-server.png")
        shown: list = []
        window.comparison_shown.connect(shown.append)
        panel.compare_button.click()
        wait_for(app, lambda: shown, 60, "the comparison")
        shoot(app, window, out / "33-team-compare.png")
        window.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
