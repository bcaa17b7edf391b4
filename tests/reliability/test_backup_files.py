"""A backup includes the documents' files (docs/domain.md §11): `panel backup DEST` copies every
file a document version names into `DEST.files/` (named by hash, checked, not copied twice),
and `panel restore SRC` puts back into the store those it lacks, each checked against its hash.
Runs on the suite's engine with the local file store."""

from __future__ import annotations

from panel.cli import main
from panel.core.access import SYSTEM
from panel.core.config import get_settings
from panel.core.db import get_engine
from panel.documents import service as documents
from panel.documents.store import digest, get_store
from panel.screening import decisions
from tests.conftest import TODAY
from tests.document_files import PNG, docx_bytes, pdf_bytes
from tests.factories import accepted, actor, decision_form, empty_nb


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def with_documents() -> list[bytes]:
    empty_nb()
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("lcspr"), TODAY)
    review = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    files = [docx_bytes(["Police chronology."]), pdf_bytes([["Final report."]]), PNG]
    for i, data in enumerate(files):
        documents.upload(SYSTEM, documents.Target(review=review), kind="other", title=f"Document {i}",
                         agency_id=None, visibility="panel", filename=f"f{i}", data=data, today=TODAY)
    get_store().put(b"%PDF-1.4 an orphan no row names")  # a failed upload's file: not backed up
    return files


def test_backup_copies_the_files_and_restore_puts_them_back(db, tmp_path, request, monkeypatch, capsys):
    files = with_documents()
    names = sorted(digest(f) for f in files)
    dest = tmp_path / "backups" / "panel.backup"
    code, out, err = cli(capsys, "backup", str(dest))
    assert code == 0, err
    folder = tmp_path / "backups" / "panel.backup.files"
    assert sorted(p.name for p in folder.iterdir()) == names
    assert all(digest((folder / n).read_bytes()) == n for n in names)
    assert all((folder / n).stat().st_mode & 0o077 == 0 for n in names)
    assert "Documents' files: 3 copied, 0 already there" in out

    (folder / names[0]).write_bytes(b"damaged")  # a damaged copy is copied again, the rest are kept
    code, out, err = cli(capsys, "backup", str(dest))
    assert code == 0 and "Documents' files: 1 copied, 2 already there" in out
    assert digest((folder / names[0]).read_bytes()) == names[0]
    get_engine().dispose()

    # elsewhere: a new database and an empty store
    restored = tmp_path / "restored"
    restored.mkdir()
    if get_settings().database_url.startswith("sqlite"):
        monkeypatch.setenv("PANEL_DATA_DIR", str(restored))
    else:
        request.getfixturevalue("another_db")(restored)
    assert list(get_store().names()) == []
    (folder / names[1]).write_bytes(b"damaged")  # this one cannot be put back: it is named, not stored
    code, out, err = cli(capsys, "restore", str(dest))
    assert code == 0, err
    assert sorted(get_store().names()) == sorted(n for n in names if n != names[1])
    assert "Documents' files: 2 put back in the store" in err and "1 file(s) could not be had" in err
    assert all(get_store().get(n) for n in names if n != names[1])
