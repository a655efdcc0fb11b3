"""The tracking server: which one (URI), the MLflow client with bounded waits, and why a call failed.

MLflow is an optional extra (`pip install aipc-profiler[team]`, mlflow-skinny):
`client()` imports it late and turns its absence into one UserError line.

Which server: the option given (`--publish URI`, `--to`, `--from`), else
$MLFLOW_TRACKING_URI, else the URI saved with `aipcprof history server URI`
(`team.json` in the data folder, shared with the desktop app).

No wait is unbounded: unless the user set them, MLFLOW_HTTP_REQUEST_TIMEOUT is
REQUEST_TIMEOUT_S per request and MLFLOW_HTTP_REQUEST_MAX_RETRIES is 0 (MLflow's
own default retries with back-off for minutes; an unreachable server here is
normal, and the publish is queued instead). Failures come back as
`ServerError` with a `Failure` kind, matched by value, never by message text.
"""

from __future__ import annotations

import enum
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record import io as rec
from app.record.history import data_dir

ENV_URI = "MLFLOW_TRACKING_URI"
ENV_TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"  # the names in mlflow/environment_variables.py (3.x)
ENV_RETRIES = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
REQUEST_TIMEOUT_S = 10
INSTALL_HINT = "pip install aipc-profiler[team]"
SETTINGS_FILE = "team.json"
_QUIET = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # no tqdm bar on stderr per download
          "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}  # no "View run at ..." line per run
_STATUS_RE = re.compile(r"\b(?:error code|status code|HTTP)\s*(\d{3})\b", re.IGNORECASE)


class Failure(str, enum.Enum):
    UNREACHABLE = "unreachable"
    AUTH = "auth refused"
    TIMEOUT = "timed out"
    SERVER = "server error"


class ServerError(Exception):
    """A tracking-server call failed; `line` says what happened in one line."""

    def __init__(self, kind: Failure, uri: str, detail: str = "") -> None:
        self.kind, self.uri, self.detail = kind, uri, detail
        super().__init__(self.line)

    @property
    def line(self) -> str:
        return f"{self.uri}: {self.kind.value}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class ServerUri:
    uri: str
    source: str  # "option", "MLFLOW_TRACKING_URI", "setting"


def settings_path() -> Path:
    return data_dir() / SETTINGS_FILE


def saved_uri() -> str | None:
    """The URI saved with `aipcprof history server URI`, or None; a broken file is a UserError naming it."""
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: not a readable team setting ({e}).",
                        hint="Fix or delete the file, or set it again with `aipcprof history server URI`.") from None
    uri = data.get("tracking_uri") if isinstance(data, dict) else None
    return uri if isinstance(uri, str) and uri.strip() else None


def save_uri(uri: str) -> Path:
    """Save (an empty `uri` clears) the team's tracking server URI for the CLI and the desktop app."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return rec.atomic_write(path, json.dumps({"tracking_uri": uri.strip()}, indent=1) + "\n")


def resolve(option: str | None, what: str = "--publish") -> ServerUri:
    """The server to use: the option, else $MLFLOW_TRACKING_URI, else the saved setting."""
    if option:
        return ServerUri(option.strip(), "option")
    if os.environ.get(ENV_URI, "").strip():
        return ServerUri(os.environ[ENV_URI].strip(), ENV_URI)
    saved = saved_uri()
    if saved:
        return ServerUri(saved.strip(), "setting")
    raise UserError(f"{what}: no tracking server given.",
                    hint=f"Pass the URI (http://host:5000), set {ENV_URI}, or save one with "
                         "`aipcprof history server URI`.")


def require_mlflow() -> None:
    """UserError (exit 2) in one line when the MLflow client is not installed."""
    try:
        import mlflow.tracking  # noqa: F401
    except ImportError:
        raise UserError("publishing to a tracking server needs MLflow, which is not installed.",
                        hint=INSTALL_HINT) from None


def client(uri: str) -> Any:
    """An MlflowClient for `uri` with bounded waits (see the module doc)."""
    require_mlflow()
    os.environ.setdefault(ENV_TIMEOUT, str(REQUEST_TIMEOUT_S))
    os.environ.setdefault(ENV_RETRIES, "0")
    for key, value in _QUIET.items():
        os.environ.setdefault(key, value)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def classify(e: BaseException, uri: str) -> ServerError:
    """What an MLflow / requests exception means for the user."""
    text = f"{e} {e.__cause__ or ''}"
    first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
    code = _http_status(e, text)
    if code in (401, 403):
        return ServerError(Failure.AUTH, uri, f"HTTP {code}; set MLFLOW_TRACKING_USERNAME / _PASSWORD or _TOKEN")
    lowered = text.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return ServerError(Failure.TIMEOUT, uri, f"no answer within {os.environ.get(ENV_TIMEOUT, '?')} s")
    if any(s in lowered for s in ("connection refused", "failed to establish", "max retries exceeded",
                                  "name or service not known", "connectionerror", "remotedisconnected",
                                  "connection aborted", "connection reset")):
        return ServerError(Failure.UNREACHABLE, uri, "no connection")
    return ServerError(Failure.SERVER, uri, first[:200])


def _http_status(e: BaseException, text: str) -> int | None:
    error_code = getattr(e, "error_code", "")
    if error_code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return 401 if error_code == "UNAUTHENTICATED" else 403
    m = _STATUS_RE.search(text)
    return int(m.group(1)) if m else None
