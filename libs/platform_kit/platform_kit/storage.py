"""File storage behind one small interface, so replicas on several machines can share files.

``put(key, stream, content_type) -> StoredFile``, ``open(key) -> binary stream``, ``delete(key)``.
Two backends, chosen by configuration:

- ``local`` (default): a directory (config ``FILE_STORAGE_DIR``, default ``./var/files``); fine for
  one machine or a shared mount.
- ``s3``: any S3-compatible object store (AWS S3, MinIO, Ceph, OSS in S3 mode) with config
  ``FILE_STORAGE_S3_ENDPOINT``, ``FILE_STORAGE_S3_BUCKET``, ``FILE_STORAGE_S3_REGION`` (default
  ``us-east-1``), ``FILE_STORAGE_S3_ACCESS_KEY``, ``FILE_STORAGE_S3_SECRET_KEY``; path-style
  requests signed with AWS Signature V4 over ``requests`` (boto3 would be a heavy dependency
  for three calls).

``FILE_STORAGE_BACKEND`` selects (``local`` | ``s3``). A service declares
``storage = FileStorage()`` and calls ``self.storage.put(...)`` in its entrypoints. Keys are the
caller's business ("orders/<id>/<file id>"): they are checked, never taken from a user's file name.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from nameko import config
from nameko.extensions import DependencyProvider

KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str
    content_type: str


class Storage(Protocol):
    def put(self, key: str, stream: BinaryIO, content_type: str) -> StoredFile: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


class StorageKeyError(ValueError):
    pass


def check_key(key: str) -> str:
    if not KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise StorageKeyError(f"not a valid storage key: {key!r}")
    return key


class LocalDiskStorage:
    """Files under a directory; a put writes a temporary file and renames it, so a reader never
    sees half a file."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, stream: BinaryIO, content_type: str) -> StoredFile:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredFile(key, size, digest.hexdigest(), content_type)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket, path-style, signed with AWS Signature Version 4."""

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 timeout: float = 30.0):
        import requests

        self.endpoint, self.bucket = endpoint.rstrip("/"), bucket
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.timeout = timeout
        self.http = requests.Session()

    def _url(self, key: str) -> tuple[str, str]:
        path = f"/{self.bucket}/{quote(check_key(key), safe='/')}"
        return f"{self.endpoint}{path}", path

    def _headers(self, method: str, path: str, payload_hash: str, extra: dict | None = None,
                 now: _dt.datetime | None = None) -> dict:
        now = now or _dt.datetime.now(_dt.UTC)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = self.endpoint.split("://", 1)[-1]
        headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date,
                   **{k.lower(): v for k, v in (extra or {}).items()}}
        signed = sorted(headers)
        canonical = "\n".join([method, path, "", *(f"{h}:{headers[h].strip()}" for h in signed), "",
                               ";".join(signed), payload_hash])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = f"AWS4{self.secret_key}".encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                    f"SignedHeaders={';'.join(signed)}, Signature={signature}")
        del headers["host"]
        return headers

    def put(self, key: str, stream: BinaryIO, content_type: str) -> StoredFile:
        # spooled: the payload hash must be known before sending; big files go to a temp file
        digest, size = hashlib.sha256(), 0
        with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as body:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                body.write(chunk)
            body.seek(0)
            url, path = self._url(key)
            headers = self._headers("PUT", path, digest.hexdigest(),
                                    {"content-type": content_type, "content-length": str(size)})
            response = self.http.put(url, data=body, headers=headers, timeout=self.timeout)
        response.raise_for_status()
        return StoredFile(key, size, digest.hexdigest(), content_type)

    def open(self, key: str) -> BinaryIO:
        url, path = self._url(key)
        response = self.http.get(url, headers=self._headers("GET", path, hashlib.sha256(b"").hexdigest()),
                                 stream=True, timeout=self.timeout)
        if response.status_code == 404:
            raise KeyError(key)
        response.raise_for_status()
        response.raw.decode_content = True
        return response.raw

    def delete(self, key: str) -> None:
        url, path = self._url(key)
        response = self.http.delete(url, headers=self._headers("DELETE", path, hashlib.sha256(b"").hexdigest()),
                                    timeout=self.timeout)
        if response.status_code not in (200, 204, 404):
            response.raise_for_status()


def storage_from_config(values=None) -> Storage:
    values = config if values is None else values
    backend = (values.get("FILE_STORAGE_BACKEND") or "local").lower()
    if backend == "s3":
        return S3Storage(values["FILE_STORAGE_S3_ENDPOINT"], values["FILE_STORAGE_S3_BUCKET"],
                         values["FILE_STORAGE_S3_ACCESS_KEY"], values["FILE_STORAGE_S3_SECRET_KEY"],
                         values.get("FILE_STORAGE_S3_REGION") or "us-east-1")
    if backend == "local":
        return LocalDiskStorage(values.get("FILE_STORAGE_DIR") or "var/files")
    raise RuntimeError(f"FILE_STORAGE_BACKEND must be local or s3, not {backend!r}")


class FileStorage(DependencyProvider):
    """The configured storage, built once per container and shared by its workers."""

    def setup(self) -> None:
        self.storage = storage_from_config()

    def get_dependency(self, worker_ctx) -> Storage:
        return self.storage
