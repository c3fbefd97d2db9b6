"""Publishing to an object store (gs://, s3://), where a "directory" is only a prefix of
object names: ``exists`` of a prefix is False, and ``rename`` and ``delete`` act on
exact object names, one by one, as Beam's GCS and S3 file systems do.  ``objfs://`` below
is such a store, kept in a local directory."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from pathlib import Path

import pytest
from apache_beam.io.filesystem import BeamIOError, FileMetadata, MatchResult
from apache_beam.io.localfilesystem import LocalFileSystem

from pipelines.clean_dedup import SEEDS_DIR, run

_SCHEME = "objfs://"


class ObjectStoreFileSystem(LocalFileSystem):
    """Objects are the files under ``root``; nothing else exists."""

    root = ""

    @classmethod
    def scheme(cls):
        return "objfs"

    @classmethod
    def _local(cls, path: str) -> str:
        return os.path.join(cls.root, path[len(_SCHEME):])

    def join(self, base, *paths):
        return "/".join([base.rstrip("/"), *(p.strip("/") for p in paths)])

    def split(self, path):
        return tuple(path.rsplit("/", 1))

    def has_dirs(self):
        return False

    def mkdirs(self, path):
        pass

    def match(self, patterns, limits=None):
        results = []
        for pattern in patterns:
            files = sorted(f for f in glob.glob(self._local(pattern), recursive=True) if os.path.isfile(f))
            results.append(MatchResult(pattern, [
                FileMetadata(_SCHEME + os.path.relpath(f, self.root), os.path.getsize(f)) for f in files]))
        return results

    def create(self, path, *args, **kwargs):
        os.makedirs(os.path.dirname(self._local(path)), exist_ok=True)
        return super().create(self._local(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return super().open(self._local(path), *args, **kwargs)

    def exists(self, path):
        return os.path.isfile(self._local(path))

    def size(self, path):
        return super().size(self._local(path))

    def rename(self, sources, targets):
        missing = {(s, t): FileNotFoundError(f"no object {s}") for s, t in zip(sources, targets)
                   if not os.path.isfile(self._local(s))}
        if missing:
            raise BeamIOError("Rename operation failed", missing)
        for source, target in zip(sources, targets):
            os.makedirs(os.path.dirname(self._local(target)), exist_ok=True)
            os.rename(self._local(source), self._local(target))

    def delete(self, paths):
        for path in paths:
            if os.path.isfile(self._local(path)):
                os.remove(self._local(path))


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def test_a_run_publishes_to_an_object_store_and_replaces_its_previous_output(tmp_path, monkeypatch, capsys):
    store = tmp_path / "bucket"
    store.mkdir()
    monkeypatch.setattr(ObjectStoreFileSystem, "root", str(store))
    seeds = sorted(str(p) for p in SEEDS_DIR.glob("*.txt"))
    assert run([*seeds, "--output", str(tmp_path / "local"), "-q"]) == 0
    assert run([seeds[0], "--output", f"{_SCHEME}out", "-q"]) == 0  # an earlier, smaller output
    capsys.readouterr()
    assert run([*seeds, "--output", f"{_SCHEME}out"]) == 0, capsys.readouterr().err  # with its summary,
    summary = capsys.readouterr()  # which reads the published passages through Beam's file systems
    assert re.search(r"passage clusters +6\n", summary.out) and "warning" not in summary.err
    published = store / "out"
    # The same bytes as a local run, nothing of the earlier output left, no staging left.
    assert _digests(published) == _digests(tmp_path / "local")
    assert (published / "manifest.json").exists()
    objects = [p.relative_to(store) for p in store.rglob("*") if p.is_file()]  # (empty folders are no objects)
    assert objects and all(p.parts[0] == "out" for p in objects)


@pytest.mark.parametrize("failing", ["a table", "the manifest"])
def test_an_object_store_output_has_no_manifest_until_every_table_is_there(tmp_path, monkeypatch, capsys, failing):
    from pipelines import output

    store = tmp_path / "bucket"
    store.mkdir()
    monkeypatch.setattr(ObjectStoreFileSystem, "root", str(store))
    assert run([str(SEEDS_DIR), "--output", f"{_SCHEME}out", "-q"]) == 0
    rename = ObjectStoreFileSystem.rename

    def interrupted(self, sources, targets):
        if any(("manifest.json" in s) == (failing == "the manifest") for s in sources):
            raise BeamIOError("Rename operation failed", {})
        return rename(self, sources, targets)

    monkeypatch.setattr(ObjectStoreFileSystem, "rename", interrupted)
    capsys.readouterr()
    assert run([str(SEEDS_DIR), "--output", f"{_SCHEME}out", "-q"]) == 3
    err = capsys.readouterr().err
    assert "failed midway" in err and "has no manifest.json" in err and "unchanged" not in err
    assert not (store / "out" / "manifest.json").exists()  # readers see it is not a complete output
    kept = [p for p in store.glob("out.cleanwire-staging-*/**/*") if p.is_file()]
    assert kept and f"kept in {_SCHEME}{kept[0].relative_to(store).parts[0]}" in err  # what was not copied
    monkeypatch.setattr(ObjectStoreFileSystem, "rename", rename)
    output.check_output(f"{_SCHEME}out")  # what is left is cleanwire's: the next run may replace it
    assert run([str(SEEDS_DIR), "--output", f"{_SCHEME}out", "-q"]) == 0
    assert (store / "out" / "manifest.json").exists()
