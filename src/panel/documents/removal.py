"""Removing a record's documents when retention deletes the record (docs/retention.md).

The rows go in the caller's transaction; the files go only after it has committed, and only
those no remaining version names (a file is stored once for every upload of the same bytes), so
a rolled-back deletion never loses a file."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, select

from panel.core.db import read_session
from panel.documents.store import StoreError, get_store
from panel.models import AgencyRequest, Document, DocumentHit, DocumentVersion


def delete_rows(s: Session, *, referral_id: int) -> tuple[int, set[str]]:
    """Delete the referral's documents, their versions and check findings; return how many
    documents and the hashes their versions named."""
    doc_ids = list(s.exec(select(Document.id).where(Document.referral_id == referral_id)))
    if not doc_ids:
        return 0, set()
    versions = s.exec(select(DocumentVersion.id, DocumentVersion.sha256)
                      .where(DocumentVersion.document_id.in_(doc_ids))).all()
    s.execute(delete(DocumentHit).where(DocumentHit.version_id.in_([v for v, _ in versions])))
    s.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(doc_ids)))
    # A referral's documents answer no agency request, but a row pointing at one must not block.
    for req in s.exec(select(AgencyRequest).where(AgencyRequest.document_id.in_(doc_ids))):
        req.document_id = None
        s.add(req)
    s.execute(delete(Document).where(Document.id.in_(doc_ids)))
    return len(doc_ids), {h for _, h in versions}


def forget_files(hashes: Iterable[str]) -> int:
    """After the deletion has committed: remove the files no version names any more."""
    hashes = set(hashes)
    if not hashes:
        return 0
    with read_session() as s:
        still = set(s.exec(select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(hashes))))
    store, removed = get_store(), 0
    for name in hashes - still:
        try:
            store.delete(name)
            removed += 1
        except StoreError:
            pass  # not a name of the store: nothing there to remove
    return removed
