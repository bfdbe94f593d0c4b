"""PRJ-7 files: the storage interface with its local-disk backend (the S3 backend shares the interface)."""
import io

import pytest

from platform_kit.storage import LocalDiskStorage, S3Storage, StorageKeyError, storage_from_config


def test_PRJ7_a_stored_file_reads_back_with_its_size_and_digest_and_is_gone_after_delete(tmp_path):
    storage = LocalDiskStorage(tmp_path)
    stored = storage.put("project/p1/f1", io.BytesIO(b"hello" * 1000), "text/plain")
    assert stored.size == 5000 and len(stored.sha256) == 64
    with storage.open("project/p1/f1") as handle:
        assert handle.read() == b"hello" * 1000
    storage.delete("project/p1/f1")
    storage.delete("project/p1/f1")  # twice is harmless
    with pytest.raises(KeyError):
        storage.open("project/p1/f1")


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../../b", "/abs", "a//b", ""])
def test_PRJ7_keys_that_could_leave_the_storage_root_are_refused(tmp_path, key):
    with pytest.raises(StorageKeyError):
        LocalDiskStorage(tmp_path).put(key, io.BytesIO(b"x"), "text/plain")


def test_PRJ7_configuration_selects_the_backend(tmp_path):
    assert isinstance(storage_from_config({"FILE_STORAGE_DIR": str(tmp_path)}), LocalDiskStorage)
    s3 = storage_from_config({"FILE_STORAGE_BACKEND": "s3", "FILE_STORAGE_S3_ENDPOINT": "http://127.0.0.1:9000",
                              "FILE_STORAGE_S3_BUCKET": "b", "FILE_STORAGE_S3_ACCESS_KEY": "k",
                              "FILE_STORAGE_S3_SECRET_KEY": "s"})
    assert isinstance(s3, S3Storage)
    headers = s3._headers("GET", "/b/k", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=k/")
    with pytest.raises(RuntimeError):
        storage_from_config({"FILE_STORAGE_BACKEND": "ftp"})
