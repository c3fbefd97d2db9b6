"""The output directory: staging, atomic publication and the run manifest.

A run writes everything into a staging directory next to ``OUT``.  Only when the
pipeline has finished does the driver add empty files for tables without rows, write
``manifest.json`` and swap the staging directory into place with renames, so readers
never see a half-written dataset: before the swap they see the previous run, after it
the new one.  (On object stores, where renames are copies of each object, the old
``manifest.json`` is deleted first and the new one copied last: it marks a complete
output.)
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import json
import os
import shutil
import uuid
from typing import Callable

import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from schemas import MANIFEST, MANIFESTS, SCHEMAS, run_partition
from transforms.history import WORK_DIR as HISTORY_WORK_DIR
from transforms.staging import WORK_DIR
from transforms.write import finish_table, write_parquet

__all__ = [
    "OutputError", "PartialPublication", "Publication", "check_output", "exchange", "file_system_hint",
    "list_paths", "remove_tree", "is_local", "latest_other_run", "lock_output",
    "new_staging", "own_paths", "process_alive", "publish", "publish_partition", "recover_publications", "release_output",
    "remove_abandoned_staging",
    "remove_staging", "remove_work_files", "take_json", "write_manifest",
]

_BESIDE_MARK = ".cleanwire-"  # directories a run keeps beside OUT: OUT.cleanwire-staging-*, OUT.cleanwire-previous-*
_STAGING_MARK = _BESIDE_MARK + "staging-"
_PREVIOUS_MARK = _BESIDE_MARK + "previous-"  # the versions a publication replaces, until it is final
_JOURNAL_MARK = _BESIDE_MARK + "journal-"  # what a publication moves, for recovery after a crash


class OutputError(Exception):
    """The output location cannot be used; the message says why and what to do."""


def is_local(path: str) -> bool:
    """Whether ``path`` is on the local file system (no ``scheme://``)."""
    return "://" not in path


def check_output(out: str, partitioned: bool = False) -> None:
    """Refuse an output that would overwrite something that is not a cleanwire output
    (of the same kind: a single run's, or a dataset root shared by runs)."""
    if is_local(out):
        if os.path.exists(out) and not os.path.isdir(out):
            raise OutputError(f"--output {out} is a file; give a directory path")
        if os.path.isdir(out) and os.listdir(out):
            single = os.path.exists(os.path.join(out, MANIFEST))
            root = os.path.isdir(os.path.join(out, MANIFESTS))
            if partitioned and single:
                raise OutputError(
                    f"--output {out} holds the output of a single run; runs with --run-date or --history write a "
                    "dataset root shared by runs: give a new or empty directory"
                )
            if not partitioned and root:
                raise OutputError(
                    f"--output {out} is a dataset root of dated runs; add --run-date (or --history) to add a run, "
                    "or give another directory"
                )
            if not (single or root):
                raise OutputError(
                    f"--output {out} already holds files that are not a cleanwire output (no {MANIFEST}); "
                    "give a new or empty directory"
                )
        parent = os.path.dirname(os.path.abspath(out)) or "."
        if not os.path.isdir(parent):
            try:
                os.makedirs(parent, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create the parent directory of --output {out}: {exc.strerror}") from exc
        if not os.access(parent, os.W_OK):
            raise OutputError(f"cannot write in {parent}: permission denied; choose another --output")
        return
    if partitioned:
        raise OutputError(f"dated runs (--run-date, --history) write to local or mounted paths only for now; "
                          f"--output {out} is remote")
    try:  # an object store has no directories: look at the objects under the prefix
        ours = FileSystems.exists(FileSystems.join(out, MANIFEST))
        # Tables without a manifest are a publication that failed midway: cleanwire's too.
        tables = [FileSystems.join(out, name) for name in SCHEMAS]
        foreign = [] if ours else [
            path for path in _objects(out)
            if not any(path.rstrip("/") == table or path.startswith(table + "/") for table in tables)]
    except Exception as exc:  # noqa: BLE001 - any client's error (GCS without its client, no network, no credentials)
        raise OutputError(f"cannot reach --output {out} ({file_system_hint(exc)})") from exc
    if foreign:
        raise OutputError(
            f"--output {out} already holds files that are not a cleanwire output (no {MANIFEST}); "
            "give a new or empty location"
        )


def latest_other_run(out: str, run_date: str) -> tuple[str, str | None, str | None] | None:
    """The dataset root ``out``'s latest dated run other than ``run_date``, as ``(run_id,
    history, history_id)``: the ``--history`` it was matched against (as given then) and
    that store's id, or None; None when ``out`` holds no other run."""
    manifests = os.path.join(out, MANIFESTS)
    if not os.path.isdir(manifests):
        return None
    others = sorted(name for name in os.listdir(manifests)
                    if name != run_partition(run_date) and os.path.exists(os.path.join(manifests, name, MANIFEST)))
    if not others:
        return None
    with open(os.path.join(manifests, others[-1], MANIFEST), encoding="utf-8") as handle:
        run = json.load(handle).get("run") or {}
    history = run.get("history") or {}
    return run.get("run_id") or others[-1].split("=", 1)[-1], history.get("dir"), history.get("id")


def own_paths(out: str) -> tuple[str, ...]:
    """Path prefixes of everything a run writes for ``out``: the output itself and the
    staging and previous-output directories beside it (so that an output inside an
    input directory is never read back as input), as given and, for a local ``out``,
    with symbolic links resolved (an input may reach it through a link)."""
    if not is_local(out):
        return out.rstrip("/") + "/", out.rstrip("/") + _BESIDE_MARK
    prefixes = []
    for base in dict.fromkeys((os.path.abspath(out), os.path.realpath(out))):
        prefixes += [base.rstrip("/") + "/", base.rstrip("/") + _BESIDE_MARK]
    return tuple(prefixes)


_LOCK_MARK = _BESIDE_MARK + "lock"  # OUT.cleanwire-lock: held (flock) by the run writing OUT


def lock_output(out: str) -> int | None:
    """Take the lock of the local ``out`` for this process (``release_output`` gives it
    back; a killed process loses it with its file descriptors): one run at a time
    writes an output, so whatever a run finds beside ``OUT`` (staging directories,
    publication journals) was left by a run that is gone.  Returns the lock's file
    descriptor (None for a remote ``out``); raises ``OutputError`` when another run
    holds it."""
    if not is_local(out):
        return None
    path = out.rstrip("/") + _LOCK_MARK
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise OutputError(f"another cleanwire run is writing --output {out} (it holds {path}); "
                              "wait for it to finish, or give another --output") from None
        try:
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)  # the file was released (removed) meanwhile: lock the new one


def release_output(out: str, descriptor: int | None) -> None:
    """Give back the lock ``lock_output`` took: its file is removed while still held,
    so a run that opened it meanwhile finds it gone and locks a new one."""
    if descriptor is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.remove(out.rstrip("/") + _LOCK_MARK)
    os.close(descriptor)


def new_staging(out: str, history: bool = False) -> str:
    """Create and return a fresh staging directory beside ``out`` (with a directory for
    the run's history rows when ``history``)."""
    staging = out.rstrip("/") + _STAGING_MARK + uuid.uuid4().hex[:12]
    if is_local(staging):
        os.makedirs(staging)
        for name in (*SCHEMAS, WORK_DIR, *([HISTORY_WORK_DIR] if history else [])):
            os.makedirs(os.path.join(staging, name))
    return staging


def remove_abandoned_staging(out: str) -> list[str]:
    """Delete the staging directories beside the local ``out``: left by runs that were
    killed (SIGKILL, a machine that lost power), since the caller holds ``out``'s lock
    (``lock_output``).  Returns the directories removed."""
    if not is_local(out):
        return []
    removed = sorted(glob.glob(glob.escape(out.rstrip("/")) + _STAGING_MARK + "*"))
    for staging in removed:
        shutil.rmtree(staging, ignore_errors=True)
    return removed


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def list_paths(pattern: str) -> list[str]:
    """The paths Beam's file systems match for ``pattern``, sorted."""
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def _objects(prefix: str) -> list[str]:
    """Every object under the remote ``prefix`` (an object store has no directories:
    a "directory" is the objects whose names start with it), sorted."""
    return list_paths(FileSystems.join(prefix, "**"))


def _has_dirs(path: str) -> bool:
    """Whether the remote file system of ``path`` has real directories (HDFS) rather
    than objects under prefixes (GCS, S3)."""
    return FileSystems.get_filesystem(path).has_dirs()


def remove_tree(path: str) -> None:
    """Delete a local directory, a remote directory, or every object under a remote
    prefix (where deleting the prefix itself deletes nothing)."""
    if is_local(path):
        shutil.rmtree(path, ignore_errors=True)
    elif _has_dirs(path):
        if FileSystems.exists(path):
            FileSystems.delete([path])
    else:
        objects = _objects(path)
        if objects:
            FileSystems.delete(objects)


def file_system_hint(exc: BaseException) -> str:
    """The first line of ``exc``'s message (its type when it has none) and which extra
    installs the client of each remote file system, for one-line errors."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    return (f"{first}; check the path, and install the extra for its file system (gs://: apache-beam[gcp], "
            "s3://: apache-beam[aws], hdfs://: apache-beam[hadoop])")


def remove_work_files(staging: str) -> None:
    """Delete the run's intermediate partition files before publishing."""
    remove_tree(FileSystems.join(staging, WORK_DIR))


def remove_staging(staging: str) -> None:
    """Delete a staging directory left by a failed run."""
    remove_tree(staging)


def table_files(staging: str) -> dict[str, list[str]]:
    """Parquet files written per table, sorted by name."""
    return {name: list_paths(FileSystems.join(staging, name, "*.parquet")) for name in SCHEMAS}


def fill_empty_tables(staging: str, run_id: str | None = None) -> None:
    """Give every table without rows one empty file, so readers always find the schema."""
    for name, files in table_files(staging).items():
        if not files:
            empty = finish_table(name, pa.Table.from_batches([], schema=SCHEMAS[name]), run_id)
            write_parquet(empty, FileSystems.join(staging, name, "part-00000.parquet"))


def take_json(staging: str, name: str) -> dict:
    """Read and delete the JSON file ``name`` that a stage wrote into ``staging`` (its
    content goes into the manifest); ``{}`` when there is none."""
    path = FileSystems.join(staging, name)
    if not FileSystems.exists(path):
        return {}
    with FileSystems.open(path) as handle:
        content = json.loads(handle.read().decode("utf-8"))
    FileSystems.delete([path])
    return content


def write_manifest(staging: str, manifest: dict) -> None:
    """Write ``manifest`` into ``staging`` as ``manifest.json`` (keys sorted, so equal
    manifests are equal files)."""
    with FileSystems.create(FileSystems.join(staging, MANIFEST)) as handle:
        handle.write(json.dumps(manifest, indent=2, sort_keys=True, default=str).encode("utf-8") + b"\n")


class Publication:
    """Directories moved into place all or nothing, the versions they replace kept
    aside until ``finish`` drops them (``undo`` puts them back and the new ones back
    into staging).  A journal beside ``OUT`` lists the moves, so that when the process
    dies midway (SIGKILL, power loss) the next run to ``OUT`` (which holds its lock,
    ``lock_output``) can complete or reverse them (``recover_publications``).

    A run publishes, then records itself in its history (``published`` marks that
    point); should that fail, ``undo`` leaves ``OUT`` as it was before the run, so data
    and history never disagree."""

    def __init__(self, out: str, moves: list[tuple[str, str, str]]) -> None:
        self._out = os.path.abspath(out)  # the journal must mean the same from any directory
        self._aside_root = self._out + _PREVIOUS_MARK + uuid.uuid4().hex[:12]
        self._planned = [
            {"source": os.path.abspath(source), "target": os.path.abspath(target),
             "aside": os.path.join(self._aside_root, name), "had_previous": os.path.exists(target),
             "staged_inode": _identity(source)}
            for source, target, name in moves
        ]
        self._journal = self._out + _JOURNAL_MARK + uuid.uuid4().hex[:12] + ".json"
        self._done: list[dict] = []
        self._history: dict | None = None

    def run(self) -> "Publication":
        """Make the moves, in order; if one fails, undo the others and raise."""
        self._write_journal("moving")
        try:
            for move in self._planned:
                self._move(move)
        except BaseException:
            self.undo()
            raise
        return self

    def committing(self, history: dict) -> None:
        """The run is about to record itself in its history (``history``: what
        ``recover_publications``'s ``committed`` needs to tell whether it did): after a
        crash from now on, the new version is kept if and only if the history holds it."""
        self._history = history
        self._write_journal("committing")

    def published(self) -> None:
        """The run is complete: from now on a crash keeps the new version."""
        self._write_journal("published")

    def _move(self, move: dict) -> None:
        if move["had_previous"] and exchange(move["source"], move["target"]):
            # One atomic swap: the target is the old version, then the new one, never
            # missing; the old one, now at the staging path, goes aside.
            try:
                os.makedirs(self._aside_root, exist_ok=True)
                os.rename(move["source"], move["aside"])
            except BaseException:
                exchange(move["source"], move["target"])
                raise
        elif move["had_previous"]:  # no atomic swap here: the target is missing between two renames
            os.makedirs(self._aside_root, exist_ok=True)
            os.rename(move["target"], move["aside"])
            try:
                os.rename(move["source"], move["target"])
            except BaseException:
                os.rename(move["aside"], move["target"])
                raise
        else:
            os.rename(move["source"], move["target"])
        self._done.append(move)

    def undo(self) -> None:
        """Put every moved directory back where it came from, the previous versions last."""
        for move in reversed(self._done):
            if move["had_previous"] and exchange(move["aside"], move["target"]):
                os.rename(move["aside"], move["source"])
            else:
                os.rename(move["target"], move["source"])
                if move["had_previous"]:
                    os.rename(move["aside"], move["target"])
        self._done = []
        self._end()

    def finish(self) -> None:
        """Drop the previous versions: the publication is final."""
        self._done = []
        self._end()

    def _end(self) -> None:
        shutil.rmtree(self._aside_root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._journal)

    def _write_journal(self, state: str) -> None:
        record = {"state": state, "aside_root": self._aside_root, "moves": self._planned, "history": self._history}
        temporary = self._journal + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._journal)  # atomic: a reader finds the old state or the new


def recover_publications(out: str, committed: Callable[[dict], bool] | None = None) -> list[str]:
    """Complete or reverse the publications into the local ``out`` that a killed run
    left (a journal beside ``out``; the caller holds ``out``'s lock, so no live run owns
    one).  A publication marked published, or marked committing whose history holds the
    run (``committed(history)``), keeps the new version and drops the old; any other
    gets the old version back everywhere (the new one is dropped, staged or moved in).
    Returns a warning for each journal that cannot be read (it is left in place)."""
    if not is_local(out):
        return []
    warnings = []
    for journal in sorted(glob.glob(glob.escape(out.rstrip("/")) + _JOURNAL_MARK + "*.json")):
        try:
            with open(journal, encoding="utf-8") as handle:
                record = json.load(handle)
            state, moves, aside_root = record["state"], record["moves"], record["aside_root"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.append(f"cannot read {journal}, left by a run killed while publishing ({exc}); check that "
                            f"{out} is whole, then delete the journal")
            continue
        keep = state == "published" or (state == "committing" and committed is not None and bool(record.get("history"))
                                        and committed(record["history"]))
        if not keep:
            for move in reversed(moves):
                _reverse(move)
                shutil.rmtree(move["source"], ignore_errors=True)  # the dead run's staged version
        shutil.rmtree(aside_root, ignore_errors=True)
        os.remove(journal)
    for leftover in glob.glob(glob.escape(out.rstrip("/")) + _JOURNAL_MARK + "*.json.tmp"):
        os.remove(leftover)  # a journal that was being written when the run died
    return warnings


def _reverse(move: dict) -> None:
    """Undo one move of a dead publication, from what is on disk: the new version (the
    directory with the staged inode) leaves the target, and the old one is put back."""
    source, target, aside = move["source"], move["target"], move["aside"]
    staged = move.get("staged_inode")
    if staged is None:  # a journal left by cleanwire before 2026-12-07's tenth session (no identity recorded)
        if move["had_previous"] and os.path.exists(aside):
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(aside, target)
        elif not move["had_previous"] and os.path.exists(target) and not os.path.exists(source):
            shutil.rmtree(target)
        return
    places = [path for path in (target, aside, source) if os.path.lexists(path)]
    new = next((path for path in places if _identity(path) == staged), None)
    old = next((path for path in places if path != new), None) if move["had_previous"] else None
    if new == target and old == source and exchange(source, target):
        return  # swapped back: the caller drops the new version at the staging path
    if new in (target, aside):
        shutil.rmtree(new)
    if old is not None and old != target:
        os.rename(old, target)


# From Linux's <fcntl.h> and <linux/fs.h>: Python's os module has no renameat2.
def _identity(path: str) -> list[int]:
    """A directory's device and inode: the same through renames on one file system (a
    list, as it reads back from the JSON journal)."""
    status = os.stat(path)
    return [status.st_dev, status.st_ino]


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _load_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without it
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _load_renameat2()


def exchange(first: str, second: str) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``), so that neither is ever missing.  Returns False where the
    system or the file system cannot (the caller then renames in two steps); raises
    ``OSError`` for other failures."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), first, None, second)


def _move_plan(staging: str, out: str, partition: str | None) -> list[tuple[str, str, str]]:
    if partition is None:
        return [(staging, out.rstrip("/"), "output")]
    return [(os.path.join(staging, name), os.path.join(out, name, partition), name) for name in (*SCHEMAS, MANIFESTS)]


def publish_partition(staging: str, out: str, partition: str) -> Publication:
    """Move the tables of ``staging`` into the dataset root ``out`` as ``TABLE/partition/``
    (e.g. ``documents/run_date=2026-11-22/``), replacing that partition if a previous
    run wrote it, and the manifest to ``manifests/partition/manifest.json`` last (it marks
    a complete partition).  All or nothing: if a move fails, the ones made are undone
    and the previous partition is back.  Other partitions are never touched.  Local
    paths only.  Returns the publication, to ``finish`` (or ``undo``)."""
    if not is_local(out):
        raise OutputError("dated runs (--run-date, --history) write to local or mounted paths only for now")
    for name in (*SCHEMAS, MANIFESTS):
        os.makedirs(os.path.join(out, name), exist_ok=True)
    manifest_dir = os.path.join(staging, MANIFESTS)
    if not os.path.isdir(manifest_dir):
        os.makedirs(manifest_dir)
        os.rename(os.path.join(staging, MANIFEST), os.path.join(manifest_dir, MANIFEST))
    # A partition being replaced waits beside the root (OUT.cleanwire-previous-*), where
    # no reader of the tables looks, until the run is final.
    return Publication(out, _move_plan(staging, out, partition)).run()


def publish(staging: str, out: str) -> Publication | None:
    """Swap ``staging`` into place as ``out`` (replacing a previous cleanwire output):
    on a local path with an atomic exchange, returning the publication to ``finish``
    (or ``undo``); on HDFS with a directory rename; on an object store object by object
    (``_publish_objects``)."""
    if is_local(out):
        return Publication(out, _move_plan(staging, out, None)).run()
    if _has_dirs(out):  # HDFS: a directory rename
        remove_tree(out)
        FileSystems.rename([staging], [out])
    else:
        _publish_objects(staging, out)
    return None


def _publish_objects(staging: str, out: str) -> None:
    """Publish on an object store (gs://, s3://), where a rename is a copy of each object
    and nothing is atomic: the old ``manifest.json`` goes first, the new objects are
    copied over the old ones, the old ones not replaced are deleted, and the new
    manifest comes last, so an output is complete exactly when its manifest is there.
    Raises ``PartialPublication`` once the old output has started to change."""
    out = out.rstrip("/")
    manifest = FileSystems.join(out, MANIFEST)
    old = _objects(out)
    staged_manifest = FileSystems.join(staging, MANIFEST)
    prefix = staging.rstrip("/") + "/"
    staged = [path for path in _objects(staging) if path != staged_manifest]
    targets = [FileSystems.join(out, path[len(prefix):]) for path in staged]
    if manifest in old:
        FileSystems.delete([manifest])  # from here on, readers can tell the output is incomplete
    try:
        if staged:
            FileSystems.rename(staged, targets)
        stale = sorted(set(old) - set(targets) - {manifest})
        if stale:
            FileSystems.delete(stale)
        FileSystems.rename([staged_manifest], [manifest])
    except Exception as exc:
        reason = " ".join((str(exc).splitlines() or [""])[0].split())[:200] or "no message"
        raise PartialPublication(
            f"publishing into {out} failed midway ({type(exc).__name__}: {reason}): {out} has no manifest.json, so it "
            f"is not a complete output; the run's files that were not copied are kept in {staging} (delete them "
            "once a run has published again). Run again to publish a complete output") from exc


class PartialPublication(OSError):
    """A publication on an object store that failed after the old output began to change."""
