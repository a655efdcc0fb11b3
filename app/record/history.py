"""Run history: every run kept as a run-record JSON file in the user's data folder.

Layout: `<data>/runs/<id>.json` plus `<data>/runs/index.json`, a cache of the
fields a history list shows. The record files are the truth: the index is
rebuilt from them whenever it is missing, corrupt or out of step with the
folder (a file copied in by hand, one deleted by another process).

The display name a user gives a run is stored in the record itself, under the
top-level key `history` (`name`, `added_utc`, `imported_from`), so it survives
an index rebuild and travels with the file into a share bundle.

No Qt here: the desktop app and `aipcprof history` share this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record import io as rec
from app.record.schema import HistoryInfo, RunRecord
from app.record.typed import to_json

INDEX_FILE = "index.json"
INDEX_SCHEMA = "aipcprof.history"
INDEX_VERSION = 1
ENV_DATA_DIR = "AIPCPROF_DATA_DIR"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SLUG_RE = re.compile(r"[^A-Za-z0-9]+")


def data_dir() -> Path:
    """The per-user data folder: $AIPCPROF_DATA_DIR, else the platform's convention."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "aipcprof"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "aipcprof"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "aipcprof"


def default_root() -> Path:
    return data_dir() / "runs"


def fingerprint(record: RunRecord) -> str:
    """Content hash of a record without its history metadata: the same run imported twice is one run."""
    body = {k: v for k, v in record.to_json().items() if k != "history"}
    return hashlib.sha256(json.dumps(body, indent=1).encode("utf-8")).hexdigest()


def default_name(record: RunRecord) -> str:
    return f"{record.model.name or 'model'} on {record.target_id or '?'}"


def _entry(run_id: str, record: RunRecord, fp: str) -> dict[str, Any]:
    meta = record.history or HistoryInfo()
    return {
        "id": run_id,
        "file": f"{run_id}.json",
        "name": meta.name or None,
        "display_name": meta.name or default_name(record),
        "model": record.model.name,
        "target": record.target_id,
        "host": record.host.hostname,
        "created_utc": record.created_utc,
        "status": record.status.value,
        "p50_s": record.latency.p50,
        "throughput_per_s": record.latency.throughput_per_s,
        "imported_from": meta.imported_from,
        "fingerprint": fp,
    }


def _now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class RunHistory:
    """The history folder. Every method re-reads the folder, so several processes can share it."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    # -- reading ------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        """Index entries, newest first."""
        return sorted(self._index(), key=lambda e: (e.get("created_utc") or "", e["id"]), reverse=True)

    def get(self, run_id: str) -> RunRecord:
        return rec.load(self.path_of(run_id))

    def path_of(self, run_id: str) -> Path:
        """The record file of a run (for "reveal in folder"); accepts a unique id prefix."""
        return self.root / f"{self.resolve(run_id)}.json"

    def resolve(self, run_id: str) -> str:
        """An exact id, or a prefix that matches exactly one run (unreadable files included)."""
        entries, bad = self._state()
        ids = [e["id"] for e in entries + bad]
        if run_id in ids:
            return run_id
        matches = [i for i in ids if run_id and i.startswith(run_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UserError(f"run id '{run_id}' is ambiguous ({len(matches)} runs match).",
                            hint="Give more of the id (`aipcprof history list`).")
        raise UserError(f"no run '{run_id}' in the history at {self.root}.",
                        hint="List the ids with `aipcprof history list`.")

    # -- writing ------------------------------------------------------------
    def add(self, record: RunRecord, name: str | None = None, *, imported_from: str | None = None) -> dict:
        """Store a copy of `record` and return its index entry.

        A record already stored (same content, history metadata aside) is not
        duplicated: its existing entry comes back (renamed when `name` is given).
        """
        _check_record(record)
        fp = fingerprint(record)
        entries, bad = self._state()
        for e in entries:
            if e.get("fingerprint") == fp:
                return self.rename(e["id"], name) if name is not None else e
        record = record.copy()  # the caller's record stays untouched
        old_name = record.history.name if record.history else ""
        record.history = HistoryInfo(name=(name.strip() if name is not None else old_name),
                                     added_utc=_now_utc(), imported_from=imported_from)
        run_id = self._new_id(record, fp, {e["id"] for e in entries + bad})
        self._ensure_root()
        rec.atomic_write(self.root / f"{run_id}.json", rec.dumps(record) + "\n")
        entry = _entry(run_id, record, fp)
        self._write_index(entries + [entry], bad)
        return entry

    def import_file(self, path: str | os.PathLike) -> dict:
        """Validate a run file (possibly from another machine) and add a copy of it."""
        record = rec.load(path)  # UserError for corrupt / foreign / future-version files
        return self.add(record, imported_from=str(Path(path).resolve()))

    def rename(self, run_id: str, name: str) -> dict:
        """Set the display name; an empty name goes back to the default "<model> on <target>"."""
        run_id = self.resolve(run_id)
        record = self.get(run_id)
        record.history = record.history or HistoryInfo()
        record.history.name = name.strip()
        rec.atomic_write(self.root / f"{run_id}.json", rec.dumps(record) + "\n")
        entries, bad = self._state()
        entry = _entry(run_id, record, fingerprint(record))
        self._write_index([entry if e["id"] == run_id else e for e in entries], bad)
        return entry

    def delete(self, run_id: str) -> None:
        """Remove a run's file (an unreadable one too) from the history."""
        run_id = self.resolve(run_id)
        entries, bad = self._state()  # read before the unlink, or the mismatch forces a rebuild
        try:
            (self.root / f"{run_id}.json").unlink()
        except FileNotFoundError:
            pass
        self._write_index([e for e in entries if e["id"] != run_id], [b for b in bad if b["id"] != run_id])

    # -- the index ------------------------------------------------------------
    def unreadable(self) -> list[dict[str, str]]:
        """Files in the folder that are not readable run records: {"id", "file", "reason"}."""
        return self._state()[1]

    def _index(self) -> list[dict[str, Any]]:
        return self._state()[0]

    def _state(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """(entries, unreadable) from the index if it matches the folder, else rebuilt from the files."""
        cached = self._read_index()
        if cached is not None:
            entries, bad = cached
            if {e["file"] for e in entries + bad} == set(self._record_files()):
                return entries, bad
        return self.rebuild_index()

    def rebuild_index(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """Re-read every record file; unreadable ones are listed apart (and stay on disk)."""
        entries, bad = [], []
        for name in self._record_files():
            run_id = name[:-len(".json")]
            try:
                record = rec.load(self.root / name)
            except UserError as e:  # a corrupt or future-version file must not hide the others
                bad.append({"id": run_id, "file": name, "reason": e.message})
                continue
            entries.append(_entry(run_id, record, fingerprint(record)))
        if self.root.is_dir():
            self._write_index(entries, bad)
        return entries, bad

    def _record_files(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob("*.json")
                      if p.name != INDEX_FILE and _ID_RE.match(p.stem) and p.is_file())

    def _read_index(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]] | None:
        try:
            data = json.loads((self.root / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema") != INDEX_SCHEMA or data.get("version") != INDEX_VERSION:
            return None
        runs, bad = data.get("runs"), data.get("unreadable", [])
        if not isinstance(runs, list) or not isinstance(bad, list):
            return None
        if not all(isinstance(e, dict) and isinstance(e.get("id"), str) and e.get("file") == f"{e['id']}.json"
                   for e in runs + bad):
            return None
        return runs, bad

    def _write_index(self, entries: list[dict[str, Any]], unreadable: list[dict[str, str]]) -> None:
        self._ensure_root()
        body = {"schema": INDEX_SCHEMA, "version": INDEX_VERSION, "runs": entries, "unreadable": unreadable}
        rec.atomic_write(self.root / INDEX_FILE, json.dumps(to_json(body), indent=1) + "\n")

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create the history folder {self.root} ({e.strerror}).",
                            hint=f"Set {ENV_DATA_DIR} to a writable folder.") from None

    def _new_id(self, record: RunRecord, fp: str, taken: set[str]) -> str:
        """<UTC date-time>-<target>-<hash>: sorts by date, readable, safe as a file name."""
        created = record.created_utc or _now_utc()
        stamp = re.sub(r"[^0-9]", "", created)[:14].ljust(14, "0")
        target = _SLUG_RE.sub("-", record.target_id or "run").strip("-")[:40]
        base = f"{stamp[:8]}-{stamp[8:]}-{target or 'run'}-{fp[:6]}"
        run_id, n = base, 2
        while run_id in taken or (self.root / f"{run_id}.json").exists():
            run_id, n = f"{base}-{n}", n + 1
        return run_id


def _check_record(record: RunRecord) -> None:
    if not isinstance(record, RunRecord):
        raise UserError("not an AI PC Profiler run record.", hint="Only run records can be kept in the history.")
