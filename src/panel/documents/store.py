"""Where a document's bytes live: outside the database rows that list them, named by their
SHA-256 (docs/domain.md §11).

Two stores behind one small interface: a folder under the data directory for one machine, and
an S3-compatible object store (AWS S3, MinIO, ...) through boto3 for several. Files are
write-once: the same bytes always have the same name, so a second upload of them stores nothing
new, and every read is checked against its name, so a changed or damaged file is never served.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from panel.core.config import Settings, get_settings
from panel.core.errors import PanelError

_NAME = re.compile(r"^[0-9a-f]{64}$")


class StoreError(PanelError):
    """A file that is missing or no longer matches its hash; the message says which."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked_name(sha256: str) -> str:
    # A name is only ever a hash: nothing from outside becomes a path or a key.
    if not _NAME.match(sha256 or ""):
        raise StoreError("Not a file name of the store (a SHA-256 in hex).")
    return sha256


def _verified(sha256: str, data: bytes) -> bytes:
    if digest(data) != sha256:
        raise StoreError(f"The stored file {sha256[:12]}… no longer matches its hash: it is not "
                         "served. Restore it from a backup.")
    return data


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename it into place, so a reader
    never sees half a file; readable by the service's user only (documents about children)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class FileStore(Protocol):
    kind: str

    def put(self, data: bytes) -> str:
        """Store the bytes (if not there already) and return their SHA-256."""

    def get(self, sha256: str) -> bytes:
        """The bytes, checked against their hash (StoreError if missing or changed)."""

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def names(self) -> Iterator[str]:
        """Every file's hash, for backup and checks."""


class LocalStore:
    """A folder: `<root>/ab/abcdef…`. Writes go to a temporary file in the same folder and are
    renamed into place, so a reader never sees half a file."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        name = _checked_name(sha256)
        return self.root / name[:2] / name

    def put(self, data: bytes) -> str:
        name = digest(data)
        path = self._path(name)
        if path.exists():
            return name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
        return name

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"The stored file {sha256[:12]}… is missing from {self.root}. "
                             "Restore it from a backup.") from None
        return _verified(sha256, data)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        if self.root.exists():
            for path in sorted(self.root.glob("??/*")):
                if _NAME.match(path.name):
                    yield path.name


class S3Store:
    """A bucket of an S3-compatible object store; keys are `<prefix><sha256>`. Credentials come
    from the environment as boto3 reads them (AWS_ACCESS_KEY_ID, ...), never from the database."""

    kind = "s3"

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None):
        import boto3  # only installations that use an object store pay for importing it

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)

    def _key(self, sha256: str) -> str:
        return self.prefix + _checked_name(sha256)

    def put(self, data: bytes) -> str:
        name = digest(data)
        if not self.exists(name):
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data,
                                   ContentType="application/octet-stream")
        return name

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise StoreError(f"The stored file {sha256[:12]}… is missing from bucket "
                                 f"{self.bucket}. Restore it from a backup.") from None
            raise
        return _verified(sha256, data)

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))

    def names(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix):]
                if _NAME.match(name):
                    yield name


def store_for(settings: Settings) -> FileStore:
    if settings.file_store == "s3":
        return S3Store(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url, settings.s3_region)
    return LocalStore(settings.data_dir / "files")


@lru_cache(maxsize=8)
def _cached(settings: Settings) -> FileStore:
    return store_for(settings)


def get_store() -> FileStore:
    """The store the settings name (PANEL_FILE_STORE), one per distinct settings."""
    return _cached(get_settings())
