"""Publishing a run: a process killed among the renames leaves a journal from which the
next run completes or reverses them, and Ctrl-C / SIGTERM wait for the renames."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import output
from schemas import MANIFESTS, SCHEMAS


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _dir(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def _staged(staging: Path) -> Path:
    """A staged dated run: every table's (and the manifests') new partition under ``staging``."""
    for name in (*SCHEMAS, MANIFESTS):
        _dir(staging / name, {"part-0": f"new {name}"})
    return staging


def _killed_after(publication: output.Publication, moves: int, state: str = "moving") -> None:
    """What a process killed after ``moves`` of its moves leaves on disk."""
    publication._write_journal(state)
    for move in publication._planned[:moves]:
        publication._move(move)


@pytest.mark.parametrize("moves, state, kept", [(0, "moving", "old"), (1, "moving", "old"), (1, "published", "new")])
def test_a_single_output_killed_while_publishing_is_whole_at_the_next_run(tmp_path, moves, state, kept):
    out = _dir(tmp_path / "out", {"manifest.json": "old", "documents/part-0.parquet": "old rows"})
    staging = _dir(tmp_path / "out.cleanwire-staging-x", {"manifest.json": "new", "documents/part-0.parquet": "new rows"})
    versions = {"old": _tree(out), "new": _tree(staging)}
    publication = output.Publication(str(out), [(str(staging), str(out), "output")])
    if moves:  # between its two renames: the old output set aside, the new one not yet in place
        move = publication._planned[0]
        publication._write_journal(state)
        os.makedirs(publication._aside_root)
        os.rename(move["target"], move["aside"])
        if state == "published":
            os.rename(move["source"], move["target"])
    else:
        _killed_after(publication, 0)
    assert output.recover_publications(str(out)) == []
    assert _tree(out) == versions[kept]
    assert [p.name for p in tmp_path.iterdir() if ".cleanwire-" in p.name] == []


@pytest.mark.parametrize("recorded", [False, True])
def test_a_dated_partition_killed_midway_is_all_old_again_unless_its_history_recorded_it(tmp_path, recorded):
    partition = "run_date=2026-11-22"
    root = tmp_path / "root"
    for name in (*SCHEMAS, MANIFESTS):
        _dir(root / name / partition, {"part-0": f"old {name}"})
    staging = _staged(tmp_path / "root.cleanwire-staging-y")
    before = _tree(root)
    publication = output.Publication(str(root), output._move_plan(str(staging), str(root), partition))
    _killed_after(publication, 2)
    assert _tree(root) != before  # two tables hold the new partition, the others the old
    assert output.recover_publications(str(root)) == []
    assert _tree(root) == before and not Path(publication._aside_root).exists()
    # Killed while recording itself in its history: kept if and only if the history holds the run.
    _staged(staging)
    publication = output.Publication(str(root), output._move_plan(str(staging), str(root), partition))
    publication.run()
    publication.committing({"dir": "/h", "run_id": "2026-11-22", "digest": "d"})
    asked = []
    assert output.recover_publications(str(root), lambda history: asked.append(history) or recorded) == []
    output.remove_abandoned_staging(str(root))  # as a run does after recovery
    assert asked == [{"dir": "/h", "run_id": "2026-11-22", "digest": "d"}]
    assert (_tree(root) != before) == recorded and not list(tmp_path.glob("root.cleanwire-*"))


def test_a_journal_that_cannot_be_read_is_left_with_a_warning(tmp_path):
    journal = tmp_path / "out.cleanwire-journal-0123.json"
    journal.write_text('{"moves": []}')
    (tmp_path / "out.cleanwire-journal-4567.json.tmp").write_text("{")
    [warning] = output.recover_publications(str(tmp_path / "out"))
    assert str(journal) in warning and "delete the journal" in warning
    assert journal.exists() and not (tmp_path / "out.cleanwire-journal-4567.json.tmp").exists()


def test_a_publication_that_fails_midway_puts_everything_back(tmp_path, monkeypatch):
    partition = "run_date=2026-11-22"
    root, staging = tmp_path / "root", tmp_path / "root.cleanwire-staging-z"
    for name in (*SCHEMAS, MANIFESTS):
        _dir(root / name / partition, {"part-0": f"old {name}"})
        _dir(staging / name, {"part-0": f"new {name}"})
    before = _tree(root)
    rename = os.rename

    def pairs_fail(source, target):
        if str(source) == str(staging / "pairs"):
            raise PermissionError(1, "Operation not permitted")
        rename(source, target)

    monkeypatch.setattr(output.os, "rename", pairs_fail)
    with pytest.raises(PermissionError):
        output.publish_partition(str(staging), str(root), partition)
    monkeypatch.undo()
    assert _tree(root) == before and not list(tmp_path.glob("root.cleanwire-journal-*"))
    assert not list(tmp_path.glob("root.cleanwire-previous-*"))


def test_a_signal_while_publishing_waits_for_the_end_of_it():
    code = (
        "import os, signal, time\n"
        "from pipelines import cli\n"
        "cli._stop_cleanly_on_signals()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.2)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped before publishing')\n"
        "cli._RECEIVED.clear()\n"
        "cli.hold_signals()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(0.2)\n"
        "print('renamed everything')\n"
        "print('received', cli.signal_received())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout == "stopped before publishing\nrenamed everything\nreceived 15\n"


def test_the_output_is_never_missing_while_a_new_version_is_swapped_in(tmp_path, monkeypatch):
    out = _dir(tmp_path / "out", {"manifest.json": "old"})
    staging = _dir(tmp_path / "out.cleanwire-staging-s", {"manifest.json": "new"})
    seen, rename = [], os.rename

    def watched(source, target):
        seen.append(out.exists())
        rename(source, target)

    monkeypatch.setattr(output.os, "rename", watched)
    output.publish(str(staging), str(out)).finish()
    assert seen and all(seen) and _tree(out) == {"manifest.json": "new"}


@pytest.mark.parametrize("where", ["swapped", "undoing"])
def test_a_run_killed_around_an_atomic_swap_gets_the_old_version_back(tmp_path, where):
    out = _dir(tmp_path / "out", {"manifest.json": "old"})
    staging = _dir(tmp_path / "out.cleanwire-staging-w", {"manifest.json": "new"})
    publication = output.Publication(str(out), [(str(staging), str(out), "output")])
    publication._write_journal("moving")
    move = publication._planned[0]
    assert output.exchange(move["source"], move["target"])  # killed right after the swap: the old one is at the staging path
    if where == "undoing":  # killed while undoing: the new version aside, the old one back in place
        os.makedirs(publication._aside_root)
        os.rename(move["source"], move["aside"])
        assert output.exchange(move["aside"], move["target"])
    assert output.recover_publications(str(out)) == []
    assert _tree(out) == {"manifest.json": "old"}
    assert [p.name for p in tmp_path.iterdir() if ".cleanwire-" in p.name] == []


def test_a_first_output_killed_while_moving_in_is_removed_at_the_next_run(tmp_path):
    # Nothing was at OUT before: the output moved in by the dead run is taken away again.
    out = tmp_path / "out"
    staging = _dir(tmp_path / "out.cleanwire-staging-x", {"manifest.json": "new", "documents/part-0.parquet": "new rows"})
    publication = output.Publication(str(out), [(str(staging), str(out), "output")])
    _killed_after(publication, 1)
    assert _tree(out) == {"manifest.json": "new", "documents/part-0.parquet": "new rows"} and not staging.exists()
    assert output.recover_publications(str(out)) == []
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if ".cleanwire-" in p.name] == []


def test_a_first_dated_partition_killed_midway_is_gone_at_the_next_run(tmp_path):
    partition = "run_date=2026-11-22"
    root = _dir(tmp_path / "root", {f"{name}/run_date=2026-11-21/part-0": "other" for name in (*SCHEMAS, MANIFESTS)})
    staging = _staged(tmp_path / "root.cleanwire-staging-y")
    before = _tree(root)
    publication = output.Publication(str(root), output._move_plan(str(staging), str(root), partition))
    _killed_after(publication, 3)
    assert output.recover_publications(str(root)) == []
    assert _tree(root) == before
    assert not [p for p in root.glob(f"*/{partition}")]


def test_the_manifest_of_a_dated_partition_is_moved_in_after_every_table(tmp_path):
    # A partition with a manifest is complete: however many moves a killed run made,
    # the manifest is never in place while a table of the partition is not.
    partition = "run_date=2026-11-22"
    moves = len(SCHEMAS) + 1
    for made in range(moves + 1):
        root, staging = tmp_path / f"root{made}", tmp_path / f"root{made}.cleanwire-staging"
        for name in (*SCHEMAS, MANIFESTS):
            _dir(staging / name, {"part-0": f"new {name}"})
            (root / name).mkdir(parents=True)  # as publish_partition makes them
        publication = output.Publication(str(root), output._move_plan(str(staging), str(root), partition))
        _killed_after(publication, made)
        tables_in = [(root / name / partition / "part-0").exists() for name in SCHEMAS]
        manifest_in = (root / MANIFESTS / partition / "part-0").exists()
        assert manifest_in == (made == moves) and sum(tables_in) == min(made, len(SCHEMAS))
