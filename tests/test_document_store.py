"""The document file store, both kinds: a folder and an S3-compatible object store (moto's
server over HTTP). Files are named by hash, stored once, and never served once changed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel.core.config import ConfigError, Settings
from panel.documents.store import LocalStore, S3Store, StoreError, digest, store_for
from tests.s3server import s3_server


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_server("panel-docs") as url:
        yield url


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, s3_endpoint):
    if request.param == "local":
        return LocalStore(tmp_path / "files")
    return S3Store("panel-docs", prefix=f"t{tmp_path.name}/", endpoint_url=s3_endpoint, region="eu-west-2")


def _tamper(store, name: str) -> None:
    """Change a stored file behind the store's back, as damage or an intruder would."""
    if isinstance(store, LocalStore):
        store._path(name).write_bytes(b"changed")
    else:
        store.client.put_object(Bucket=store.bucket, Key=store._key(name), Body=b"changed")


def test_round_trip_names_by_hash_and_stores_once(store):
    data = b"%PDF-1.7 agency report"
    name = store.put(data)
    assert name == digest(data)
    assert store.put(data) == name  # the same bytes again: the same name, nothing new
    assert store.get(name) == data
    assert store.exists(name) and list(store.names()) == [name]


def test_a_changed_file_is_never_served(store):
    name = store.put(b"final report v1")
    _tamper(store, name)
    with pytest.raises(StoreError, match="no longer matches its hash"):
        store.get(name)


def test_a_missing_file_says_so(store):
    name = digest(b"never stored")
    assert not store.exists(name)
    with pytest.raises(StoreError, match="missing"):
        store.get(name)
    store.put(b"x")
    store.delete(digest(b"x"))
    assert not store.exists(digest(b"x"))


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64, ""])
def test_a_name_is_only_ever_a_hash(store, bad):
    with pytest.raises(StoreError):
        store.get(bad)


def test_a_local_store_never_leaves_half_a_file(tmp_path):
    store = LocalStore(tmp_path / "files")
    name = store.put(b"chronology")
    files = [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == [name]
    assert oct(store._path(name).stat().st_mode & 0o777) == "0o600"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048))
def test_any_bytes_come_back_as_they_went_in(tmp_path, data):
    store = LocalStore(tmp_path / "prop")
    assert store.get(store.put(data)) == data


def test_settings_choose_the_store(tmp_path):
    assert isinstance(store_for(Settings(data_dir=tmp_path)), LocalStore)
    assert store_for(Settings(data_dir=tmp_path)).root == tmp_path.resolve() / "files"
    s3 = store_for(Settings(data_dir=tmp_path, file_store="s3", s3_bucket="b", s3_region="eu-west-2"))
    assert isinstance(s3, S3Store) and s3.bucket == "b"


def test_an_object_store_needs_its_bucket(monkeypatch):
    from panel.core.config import get_settings

    monkeypatch.setenv("PANEL_FILE_STORE", "s3")
    monkeypatch.delenv("PANEL_S3_BUCKET", raising=False)
    with pytest.raises(ConfigError, match="PANEL_S3_BUCKET"):
        get_settings()
