"""A backup includes the documents' files (docs/domain.md §11, docs/documents.md).

`panel backup DEST` copies every file a DocumentVersion names from the file store into the
folder `DEST.files/`, each named by its SHA-256: a file already there with the right content is
not copied again, so backing up to the same place each night copies only the new files. Each
copy is read back and checked against its hash. `panel restore SRC` puts back into the store
every file the restored database names that the store lacks, from `SRC.files/`, each checked
against its hash before it is stored. Files no row names (an upload whose transaction failed)
are not copied: nothing refers to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, select

from panel.core.db import get_engine
from panel.documents.store import StoreError, digest, get_store, write_atomically
from panel.models import DocumentVersion


@dataclass
class FilesOutcome:
    folder: Path
    copied: int = 0  # written now
    present: int = 0  # already there, with the right content
    missing: list[str] = field(default_factory=list)  # named by a row, but nowhere to be had

    def line(self, verb: str) -> str:
        text = f"Documents' files: {self.copied} {verb}, {self.present} already there ({self.folder})."
        if self.missing:
            text += (f" {len(self.missing)} file(s) could not be had: "
                     + ", ".join(m[:12] + "…" for m in self.missing[:5]))
        return text


def files_folder(path: Path | str) -> Path:
    """`panel.backup` beside its files: `panel.backup.files/`."""
    path = Path(path)
    return path.with_name(path.name + ".files")


def referenced() -> list[str]:
    """The hash of every file a document version names, in the current database (none in a
    database from before documents were kept)."""
    engine = get_engine()
    with engine.connect() as conn:
        if not inspect(conn).has_table(DocumentVersion.__tablename__):
            return []
        return sorted(set(conn.execute(select(DocumentVersion.sha256)).scalars()))


def _has(path: Path, sha256: str) -> bool:
    try:
        return digest(path.read_bytes()) == sha256
    except FileNotFoundError:
        return False


def copy_out(dest: Path) -> FilesOutcome:
    """Copy every referenced file from the store into `dest` (a folder), verifying each copy."""
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)
    out, store = FilesOutcome(dest), get_store()
    for sha in referenced():
        target = dest / sha
        if _has(target, sha):
            out.present += 1
            continue
        try:
            data = store.get(sha)  # checked against its hash: a damaged file is not copied
        except StoreError:
            out.missing.append(sha)
            continue
        write_atomically(target, data)
        if not _has(target, sha):
            target.unlink(missing_ok=True)
            out.missing.append(sha)
            continue
        out.copied += 1
    return out


def copy_in(src: Path) -> FilesOutcome:
    """Put back into the store every referenced file it lacks, from `src`, each checked first."""
    out, store = FilesOutcome(src), get_store()
    for sha in referenced():
        if store.exists(sha):
            out.present += 1
            continue
        path = src / sha
        if not _has(path, sha):
            out.missing.append(sha)
            continue
        store.put(path.read_bytes())
        out.copied += 1
    return out
