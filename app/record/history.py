"""Run history: every run kept as a run-record JSON file in the user's data folder.

Layout: `<data>/runs/<id>.json`, one file per run, plus `<data>/runs/index.sqlite`,
an SQLite index (WAL mode) of the fields a history list shows. The record files
are the truth: every operation compares the folder (names, sizes, modification
times) with the index and re-reads only the files that were added, changed or
removed behind its back (copied in by hand, deleted by another process).

Several processes (the desktop app, `aipcprof history`, `aipcprof run`) may use
one folder at once. Each operation opens its own connection and keeps its
transaction short; a writer waits for another (busy timeout) rather than fail.
A new run's id is chosen inside the write transaction, its file is written
atomically, and only then is its index row committed, so two processes never
take the same id and a crash leaves at worst a file the next operation indexes.

The JSON index of earlier versions (`index.json`) is migrated into the SQLite
one when the SQLite index is created, then renamed `index.json.migrated`. A
corrupt or unreadable `index.sqlite` is moved aside (`index.sqlite.broken`)
and rebuilt from the record files, with a warning on the `app.record.history`
logger; if even that is impossible (a read-only folder) the history is listed
from an in-memory index and changes are refused with a UserError.

The display name a user gives a run is stored in the record itself, under the
top-level key `history` (`name`, `added_utc`, `imported_from`), so it survives
an index rebuild and travels with the file into a share bundle.

What a listing returns is typed: `HistoryEntry` for a readable run (the fields
a history list shows, stored in the index as its `to_json()` text) and
`UnreadableRun` for a file that is not a readable run record. An index row
whose entry does not parse or validate counts as out of step: its record file
is read again.

No Qt here: the desktop app and `aipcprof history` share this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.common.errors import UserError
from app.record import io as rec
from app.record import jsontext
from app.record.schema import HistoryInfo, RunRecord, RunStatus
from app.record.typed import RecordFormatError, Section

INDEX_FILE = "index.sqlite"
INDEX_VERSION = 2  # PRAGMA user_version of index.sqlite; version 1 was the JSON index
LEGACY_INDEX_FILE = "index.json"  # the JSON index before version 2: migrated, then renamed
LEGACY_INDEX_SCHEMA = "aipcprof.history"
LEGACY_INDEX_VERSION = 1
MIGRATED_SUFFIX = ".migrated"
BROKEN_SUFFIX = ".broken"
BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another process's transaction
ENV_DATA_DIR = "AIPCPROF_DATA_DIR"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SLUG_RE = re.compile(r"[^A-Za-z0-9]+")
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6

log = logging.getLogger(__name__)
T = TypeVar("T")

# One row per record file (<id>.json), readable or not. mtime_ns/size are the file's
# when it was indexed: any difference from the folder means "read it again".
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        mtime_ns INTEGER NOT NULL,
        size INTEGER NOT NULL,
        fingerprint TEXT,  -- content hash without the history metadata; NULL when unreadable
        entry TEXT,        -- the list entry (JSON); NULL when unreadable
        reason TEXT        -- why the file is not a readable run record; NULL when readable
    )""",
    "CREATE INDEX IF NOT EXISTS runs_fingerprint ON runs (fingerprint)",
)


@dataclass
class HistoryEntry(Section):
    """One readable run as the history lists it (a row of the index)."""

    # Fields in the order `aipcprof history list --json` has always printed them.
    id: str
    file: str  # the record file's name in the history folder: <id>.json
    name: str | None = None  # the name the user gave; None: the default name is shown
    display_name: str = ""  # the name the user gave, else "<model> on <target>"
    model: str = ""
    target: str = ""
    host: str = ""
    created_utc: str = ""
    status: RunStatus = RunStatus.COMPLETED
    p50_s: float | None = None  # seconds; None when the run measured nothing
    throughput_per_s: float | None = None
    imported_from: str | None = None  # the file it was imported from, if it was
    fingerprint: str = ""  # content hash without the history metadata (see `fingerprint`)

    ALWAYS = ("p50_s", "throughput_per_s", "name", "imported_from")


@dataclass
class UnreadableRun(Section):
    """A file in the history folder that is not a readable run record (it stays on disk)."""

    id: str
    file: str
    reason: str


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
    return hashlib.sha256(jsontext.dumps_indent1(body).encode("utf-8")).hexdigest()  # = json.dumps(indent=1)


def default_name(record: RunRecord) -> str:
    return f"{record.model.display_name} on {record.target_id or '?'}"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _entry(run_id: str, record: RunRecord, fp: str) -> HistoryEntry:
    meta = record.history or HistoryInfo()
    return HistoryEntry(
        id=run_id,
        file=f"{run_id}.json",
        name=meta.name or None,
        display_name=meta.name or default_name(record),
        model=record.model.display_name,
        target=record.target_id,
        host=record.host.hostname,
        created_utc=record.created_utc,
        status=record.status,
        p50_s=_finite(record.latency.p50),
        throughput_per_s=_finite(record.latency.throughput_per_s),
        imported_from=meta.imported_from,
        fingerprint=fp,
    )


def _with_history(record: RunRecord, **changes: Any) -> RunRecord:
    """A copy of `record` whose `history` metadata has `changes` applied (the caller's record stays untouched)."""
    record = record.copy()
    meta = record.history or HistoryInfo()
    record.history = dataclasses.replace(meta, **changes)
    return record


MAX_NAME_CHARS = 200  # a display name is a label in a list; a longer one is a paste accident (or an attack)


def _clean_name(name: str) -> str:
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        raise UserError(f"the run name is {len(name)} characters long; at most {MAX_NAME_CHARS} are allowed.",
                        hint="Give a shorter name.")
    return name


def _now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class RunHistory:
    """The history folder. Every method re-checks the folder, so several processes can share it."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    # -- reading ------------------------------------------------------------
    def list(self) -> list[HistoryEntry]:
        """Index entries, newest first."""
        return sorted(self._index(), key=lambda e: (e.created_utc, e.id), reverse=True)

    def get(self, run_id: str) -> RunRecord:
        return rec.load(self.path_of(run_id))

    def path_of(self, run_id: str) -> Path:
        """The record file of a run (for "reveal in folder"); accepts a unique id prefix."""
        return self.root / f"{self.resolve(run_id)}.json"

    def resolve(self, run_id: str) -> str:
        """An exact id, or a prefix that matches exactly one run (unreadable files included)."""
        entries, bad = self._state()
        ids = [e.id for e in entries] + [b.id for b in bad]
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
    def add(self, record: RunRecord, name: str | None = None, *, imported_from: str | None = None) -> HistoryEntry:
        """Store a copy of `record` and return its index entry.

        A record already stored (same content, history metadata aside) is not
        duplicated: its existing entry comes back (renamed when `name` is given).
        """
        _check_record(record)
        fp = fingerprint(record)
        named = {"name": _clean_name(name)} if name is not None else {}
        record = _with_history(record, **named, added_utc=_now_utc(), imported_from=imported_from)
        self._ensure_root()

        def op(db: sqlite3.Connection) -> tuple[HistoryEntry, bool]:
            with _write_transaction(db):
                self._sync(db)  # a file copied in by hand may hold this very run
                row = db.execute("SELECT id, entry FROM runs WHERE fingerprint = ? AND entry IS NOT NULL "
                                 "ORDER BY id LIMIT 1", (fp,)).fetchone()
                stored = _parse_entry(row[0], row[1]) if row is not None else None
                if stored is not None:  # _sync re-read every row it could not parse: none is left
                    return stored, True
                taken = {r[0] for r in db.execute("SELECT id FROM runs")}
                run_id = self._new_id(_entry("", record, fp), fp, taken)
                path = rec.atomic_write(self.root / f"{run_id}.json", rec.dumps(record) + "\n")
                entry = _entry(run_id, record, fp)
                _put(db, run_id, _stat(path), fp, entry)
                return entry, False  # committed after the file is in place

        entry, existed = self._with_index(op, change="add a run")
        return self.rename(entry.id, name) if existed and name is not None else entry

    def import_file(self, path: str | os.PathLike) -> HistoryEntry:
        """Validate a run file (possibly from another machine) and add a copy of it."""
        record = rec.load(path)  # UserError for corrupt / foreign / future-version files
        return self.add(record, imported_from=str(Path(path).resolve()))

    def rename(self, run_id: str, name: str) -> HistoryEntry:
        """Set the display name; an empty name goes back to the default "<model> on <target>"."""
        run_id = self.resolve(run_id)

        def op(db: sqlite3.Connection) -> HistoryEntry:
            with _write_transaction(db):
                record = _with_history(rec.load(self.root / f"{run_id}.json"), name=_clean_name(name))
                path = rec.atomic_write(self.root / f"{run_id}.json", rec.dumps(record) + "\n")
                fp = fingerprint(record)
                entry = _entry(run_id, record, fp)
                _put(db, run_id, _stat(path), fp, entry)
                return entry

        return self._with_index(op, change="rename a run")

    def delete(self, run_id: str) -> None:
        """Remove a run's file (an unreadable one too) from the history."""
        run_id = self.resolve(run_id)

        def op(db: sqlite3.Connection) -> None:
            with _write_transaction(db):
                try:
                    (self.root / f"{run_id}.json").unlink()
                except FileNotFoundError:
                    pass
                db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        self._with_index(op, change="delete a run")

    # -- the index ------------------------------------------------------------
    def unreadable(self) -> list[UnreadableRun]:
        """Files in the folder that are not readable run records."""
        return self._state()[1]

    def _index(self) -> list[HistoryEntry]:
        return self._state()[0]

    def _state(self) -> tuple[list[HistoryEntry], list[UnreadableRun]]:
        """(entries, unreadable) from the index, brought in step with the folder first if needed.

        A row whose entry does not parse (an index written by a buggy or foreign
        version, edited by hand) is out of step too: its record file is read again.
        """
        if not self.root.is_dir():
            return [], []

        def op(db: sqlite3.Connection) -> tuple[list[HistoryEntry], list[UnreadableRun]]:
            rows = _rows(db)
            split = _split(rows)
            if split is None or {r[0]: (r[1], r[2]) for r in rows} != self._scan():
                with _write_transaction(db):
                    self._sync(db)
                split = _split(_rows(db))
            if split is None:  # a row that still does not parse after its file was re-read: a bug here
                raise sqlite3.DatabaseError("the history index holds entries it cannot read back")
            return split

        return self._with_index(op)

    def rebuild_index(self) -> tuple[list[HistoryEntry], list[UnreadableRun]]:
        """Re-read every record file; unreadable ones are listed apart (and stay on disk)."""
        if not self.root.is_dir():
            return [], []

        def op(db: sqlite3.Connection) -> tuple[list[HistoryEntry], list[UnreadableRun]]:
            with _write_transaction(db):
                db.execute("DELETE FROM runs")
                self._sync(db)
            split = _split(_rows(db))
            if split is None:  # every row was just written by this version: a bug here
                raise sqlite3.DatabaseError("the history index holds entries it cannot read back")
            return split

        return self._with_index(op)

    def _scan(self) -> dict[str, tuple[int, int]]:
        """run id -> (mtime_ns, size) of every record file in the folder."""
        found: dict[str, tuple[int, int]] = {}
        try:
            entries = os.scandir(self.root)
        except FileNotFoundError:
            return found
        except OSError as e:
            raise UserError(f"cannot read the history folder {self.root} ({e.strerror}).",
                            hint=f"Check its permissions, or set {ENV_DATA_DIR} to another folder.") from None
        with entries:
            for item in entries:
                stem, dot, ext = item.name.rpartition(".")
                if not dot or ext != "json" or item.name == LEGACY_INDEX_FILE or not _ID_RE.match(stem):
                    continue
                try:
                    st = item.stat()
                except OSError:  # removed while listing
                    continue
                if stat.S_ISREG(st.st_mode):
                    found[stem] = (st.st_mtime_ns, st.st_size)
        return found

    def _sync(self, db: sqlite3.Connection) -> None:
        """Inside a write transaction: index new and changed files, forget removed ones."""
        files = self._scan()
        known = {r[0]: (r[1], r[2]) if _row_readable(r[0], r[3], r[4]) else None
                 for r in db.execute("SELECT id, mtime_ns, size, entry, reason FROM runs")}
        for run_id in known.keys() - files.keys():
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        for run_id in sorted(files):
            if known.get(run_id) != files[run_id]:  # new, changed, or a row that does not parse
                self._index_file(db, run_id, files[run_id])

    def _index_file(self, db: sqlite3.Connection, run_id: str, st: tuple[int, int]) -> None:
        """(Re-)read one record file; `st` is its (mtime_ns, size) as the folder scan saw it."""
        path = self.root / f"{run_id}.json"
        try:
            record = rec.load(path)
        except UserError as e:  # a corrupt or future-version file must not hide the others
            if path.exists():
                _put_unreadable(db, run_id, st, e.message)
            else:  # removed since the folder was listed
                db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            return
        fp = fingerprint(record)
        _put(db, run_id, st, fp, _entry(run_id, record, fp))

    # -- the SQLite file --------------------------------------------------------
    def _with_index(self, op: Callable[[sqlite3.Connection], T], change: str | None = None) -> T:
        """op(connection) on the index; a broken index is set aside and rebuilt from the files.

        `change` names what a writing op does: when no index can be opened at all,
        reads fall back to an in-memory index, changes are refused.
        """
        problem: sqlite3.DatabaseError | None = None
        for attempt in range(2):
            db = None
            try:
                db = self._open()
                return op(db)
            except sqlite3.IntegrityError:
                raise  # a bug here, not a broken file
            except sqlite3.DatabaseError as e:
                self._raise_if_busy(e)
                problem = e
                if attempt or not self._set_aside(e):
                    break
            finally:
                if db is not None:
                    db.close()
        path = self.root / INDEX_FILE
        if change is not None:
            raise UserError(f"cannot {change}: the history index {path} cannot be opened ({problem}).",
                            hint="Check that the history folder is writable, or set "
                                 f"{ENV_DATA_DIR} to another folder.")
        log.warning("the history index %s cannot be opened (%s); listing the runs from their files.", path, problem)
        db = sqlite3.connect(":memory:", isolation_level=None)
        try:
            _create_schema(db)
            return op(db)
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        """A connection to index.sqlite (WAL, busy timeout), created and migrated on first use."""
        db = sqlite3.connect(self.root / INDEX_FILE, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _set_wal(db)  # readers never block the writer; persistent
            db.execute("PRAGMA synchronous = NORMAL")  # durable enough for a cache of the record files
            if db.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:
                self._create(db)
        except BaseException:
            db.close()
            raise
        return db

    def _create(self, db: sqlite3.Connection) -> None:
        """Create the table (the first process to get here does it; the others find it done)."""
        with _write_transaction(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == INDEX_VERSION:
                return
            if version:  # another version's index: a cache, rebuilt from the record files
                log.warning("history index %s has version %s, not %s: rebuilding it from the run files.",
                            self.root / INDEX_FILE, version, INDEX_VERSION)
                db.execute("DROP TABLE IF EXISTS runs")
            _create_schema(db)
            if not version:
                self._migrate_json_index(db)
            db.execute(f"PRAGMA user_version = {INDEX_VERSION}")

    def _migrate_json_index(self, db: sqlite3.Connection) -> None:
        """Take the rows of an index.json (version 1) that matches the folder, then rename it *.migrated.

        A JSON index that is unreadable or out of step with the folder is renamed
        too; the next sync reads the record files instead, as version 1 did.
        """
        legacy = self.root / LEGACY_INDEX_FILE
        if not legacy.is_file():
            return
        cached, files = _read_json_index(legacy), self._scan()
        if cached is not None and {e.id for e in cached[0]} | {b.id for b in cached[1]} == files.keys():
            entries, bad = cached
            for e in entries:
                _put(db, e.id, files[e.id], e.fingerprint or None, e)
            for b in bad:
                _put_unreadable(db, b.id, files[b.id], b.reason)
        try:
            os.replace(legacy, legacy.with_name(LEGACY_INDEX_FILE + MIGRATED_SUFFIX))
        except OSError as e:  # harmless: index.json is ignored from now on
            log.warning("could not rename %s after migrating it (%s).", legacy, e)

    def _set_aside(self, error: sqlite3.DatabaseError) -> bool:
        """Move a broken index.sqlite to index.sqlite.broken (WAL files dropped); True when done."""
        path = self.root / INDEX_FILE
        try:
            if path.exists():
                os.replace(path, path.with_name(INDEX_FILE + BROKEN_SUFFIX))
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    path.with_name(INDEX_FILE + suffix).unlink()
        except OSError as e:
            log.warning("the history index %s is unreadable (%s) and cannot be moved aside (%s).", path, error, e)
            return False
        log.warning("the history index %s was unreadable (%s): moved to %s%s and rebuilt from the run files.",
                    path, error, INDEX_FILE, BROKEN_SUFFIX)
        return True

    def _raise_if_busy(self, error: sqlite3.DatabaseError) -> None:
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(error):
            raise UserError(f"the history index {self.root / INDEX_FILE} stayed locked by another process "
                            f"for {BUSY_TIMEOUT_S:.0f} s.",
                            hint="Try again when the other AI PC Profiler process is done.") from None

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create the history folder {self.root} ({e.strerror}).",
                            hint=f"Set {ENV_DATA_DIR} to a writable folder.") from None

    def _new_id(self, entry: HistoryEntry, fp: str, taken: set[str]) -> str:
        """<UTC date-time>-<target>-<hash>: sorts by date, readable, safe as a file name."""
        created = entry.created_utc or _now_utc()
        stamp = re.sub(r"[^0-9]", "", created)[:14].ljust(14, "0")
        target = _SLUG_RE.sub("-", entry.target or "run").strip("-")[:40]
        base = f"{stamp[:8]}-{stamp[8:]}-{target or 'run'}-{fp[:6]}"
        run_id, n = base, 2
        while run_id in taken or (self.root / f"{run_id}.json").exists():
            run_id, n = f"{base}-{n}", n + 1
        return run_id


@contextlib.contextmanager
def _write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE: take the write lock up front (waiting up to the busy timeout), so what
    the transaction reads cannot change before it commits."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _set_wal(db: sqlite3.Connection) -> None:
    """PRAGMA journal_mode = WAL. Switching a new file to WAL needs an exclusive lock and SQLite answers
    "locked" at once, without its busy handler, when another process opens the file at the same moment:
    retry for as long as any other lock is waited for."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        db.execute(statement)


def _rows(db: sqlite3.Connection) -> list[tuple]:
    return db.execute("SELECT id, mtime_ns, size, entry, reason FROM runs ORDER BY id").fetchall()


def _parse_entry(run_id: str, text: str) -> HistoryEntry | None:
    """The entry an index row holds, or None when it does not parse, validate or match its row's id."""
    try:
        entry = HistoryEntry.from_json(json.loads(text))
    except (ValueError, TypeError, RecordFormatError):  # JSONDecodeError and RecordFormatError are ValueErrors
        return None
    return entry if entry.id == run_id and entry.file == f"{run_id}.json" else None


def _row_readable(run_id: str, entry: str | None, reason: str | None) -> bool:
    """Whether an index row can be read back as it is (an entry that parses, or an unreadable file's reason)."""
    if entry is None:
        return isinstance(reason, str)
    return isinstance(entry, str) and _parse_entry(run_id, entry) is not None


def _split(rows: list[tuple]) -> tuple[list[HistoryEntry], list[UnreadableRun]] | None:
    """(entries, unreadable) of index rows (id, mtime_ns, size, entry, reason); None when a row does not parse."""
    entries, bad = [], []
    for run_id, _mtime, _size, entry, reason in rows:
        if not _row_readable(run_id, entry, reason):
            return None
        if entry is None:
            bad.append(UnreadableRun(id=run_id, file=f"{run_id}.json", reason=reason))
        else:
            entries.append(_parse_entry(run_id, entry))
    return entries, bad


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def _put(db: sqlite3.Connection, run_id: str, st: tuple[int, int], fp: str | None, entry: HistoryEntry) -> None:
    """Index a readable run; `st` is its file's (mtime_ns, size)."""
    db.execute("INSERT OR REPLACE INTO runs (id, mtime_ns, size, fingerprint, entry, reason) "
               "VALUES (?, ?, ?, ?, ?, NULL)", (run_id, *st, fp, json.dumps(entry.to_json())))


def _put_unreadable(db: sqlite3.Connection, run_id: str, st: tuple[int, int], reason: str) -> None:
    db.execute("INSERT OR REPLACE INTO runs (id, mtime_ns, size, fingerprint, entry, reason) "
               "VALUES (?, ?, ?, NULL, NULL, ?)", (run_id, *st, reason))


def _read_json_index(path: Path) -> tuple[list[HistoryEntry], list[UnreadableRun]] | None:
    """(entries, unreadable) of a version-1 index.json, or None when it is not one.

    The one reader of the old index's dicts: each becomes a HistoryEntry /
    UnreadableRun here, and one that does not convert makes the whole file
    untrusted (the record files are read instead).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != LEGACY_INDEX_SCHEMA \
            or data.get("version") != LEGACY_INDEX_VERSION:
        return None
    runs, bad = data.get("runs"), data.get("unreadable", [])
    if not isinstance(runs, list) or not isinstance(bad, list):
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("id"), str) and e.get("file") == f"{e['id']}.json"
               for e in runs + bad):
        return None
    try:
        entries = [HistoryEntry.from_json(e, f"{LEGACY_INDEX_FILE}.runs[{i}]") for i, e in enumerate(runs)]
        unreadable = [UnreadableRun(id=b["id"], file=b["file"], reason=str(b.get("reason") or "unreadable"))
                      for b in bad]
    except RecordFormatError as e:
        log.warning("the old history index %s is not usable (%s): reading the run files instead.", path, e)
        return None
    return entries, unreadable


def _check_record(record: RunRecord) -> None:
    if not isinstance(record, RunRecord):
        raise UserError("not an AI PC Profiler run record.", hint="Only run records can be kept in the history.")
