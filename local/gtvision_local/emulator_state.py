"""The local AWS emulator's S3 objects and SQS messages, kept on disk so a killed stack loses none (ADR 0023).

moto keeps everything in memory. The SigV4 front (``sigv4_front.py``) calls :meth:`EmulatorState.record` after
each request moto accepted that may change state, *before* answering the client: whatever was acknowledged
with a 2xx is already written (to the operating system — a killed process loses nothing; nothing is fsynced, so
a power cut may). At the next start :meth:`EmulatorState.restore` puts it back into the fresh moto, before the
front opens and before the buckets' notifications are configured (a restored object sends no event).

* S3: one file per object, ``s3/<bucket>/<sha256 of the key>`` — a JSON header (key, headers, tags) and the
  bytes — read back from moto after each write of the object (so copies, multipart uploads and tagging are
  kept as moto holds them) and replaced atomically (written aside, then renamed).
* SQS: one file per queue, ``sqs/<account>/<region>/<queue>.json`` — its settable attributes and its messages
  (id, body, attributes, receive count, timestamps), read from moto's in-process backend, the only way to see
  messages without receiving them — rewritten when its messages or their receive counts changed. Restored
  messages are visible at once: whatever invocation had one in flight died with the stack.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import shutil
import struct
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from .logs import log

#: Marks a directory this module wrote (its absence at start means the saved state is gone or never was).
FORMAT_FILE = "format"
FORMAT = "1"
_KEPT_HEADERS = frozenset(
    "content-type content-encoding content-disposition content-language cache-control expires"
    " x-amz-storage-class x-amz-website-redirect-location".split()
)
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout MessageRetentionPeriod DelaySeconds MaximumMessageSize ReceiveMessageWaitTimeSeconds"
    " Policy FifoQueue ContentBasedDeduplication".split()
)
#: moto checks no signature, but treats a request without one as anonymous (refused on a private bucket).
_AS_THE_STACK = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host,"
    " Signature=0",
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
}
_KEY_LOCKS = [threading.Lock() for _ in range(64)]  # one write of an object at a time: the last one read wins


@dataclass(frozen=True)
class Restored:
    """What :meth:`EmulatorState.restore` found: whether any saved state existed, and how much it put back."""

    found: bool
    objects: int
    messages: int


def _key_path(key: str) -> str:
    """A key as S3's path-style URL carries it (botocore's quoting)."""
    return quote(key, safe="/~")


def _write_aside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _sqs_backends() -> Iterator[tuple[str, str, Any]]:
    """(account, region, backend) of every SQS backend moto has created in this process."""
    from moto.sqs.models import sqs_backends

    for account, regions in list(dict.items(sqs_backends)):
        for region, backend in list(dict.items(regions)):
            yield account, region, backend


class EmulatorState:
    """The S3 and SQS state of the moto at ``upstream``, kept under ``directory``."""

    def __init__(self, directory: Path, upstream: str) -> None:
        self.directory = directory
        self.s3_dir = directory / "s3"
        self.sqs_dir = directory / "sqs"
        self.upstream = urlsplit(upstream)
        self._queues_lock = threading.Lock()
        self._queues: dict[tuple[str, str, str], str] = {}  # queue → the signature last written

    # ------------------------------------------------------------ after each request

    def record(self, method: str, raw_target: str, service: str, body: bytes) -> None:
        """Write what the accepted request ``method raw_target`` (signed for ``service``) may have changed.

        Raises when it cannot be written: the front then answers an error instead of the acknowledgement."""
        if method in ("GET", "HEAD", "OPTIONS"):
            return
        if service == "s3":
            self._record_s3(method, raw_target, body)
        self._record_queues()  # S3 notifications, SNS deliveries and DLQ moves land in queues too

    def _record_s3(self, method: str, raw_target: str, body: bytes) -> None:
        parts = urlsplit(raw_target)
        bucket, _, raw_key = parts.path.lstrip("/").partition("/")
        if not bucket:
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        if raw_key:
            if "uploads" in query or ("uploadId" in query and method != "POST"):
                return  # a multipart upload started, a part of it, or its abort: no object yet
            self._sync_object(bucket, raw_key)
        elif "delete" in query:
            for key in _deleted_keys(body):
                self._sync_object(bucket, _key_path(key))
        elif not query and method == "PUT":
            (self.s3_dir / bucket).mkdir(parents=True, exist_ok=True)
        elif not query and method == "DELETE":
            shutil.rmtree(self.s3_dir / bucket, ignore_errors=True)
        elif not query and method == "POST":
            log.warning("s3: envio por formulário (POST) em %s não é guardado em disco", bucket)

    def _object_file(self, bucket: str, key: str) -> Path:
        return self.s3_dir / bucket / hashlib.sha256(key.encode()).hexdigest()

    def _sync_object(self, bucket: str, raw_key: str) -> None:
        """Make the object's file what moto now holds (gone when moto has no such object)."""
        key = unquote(raw_key)
        file = self._object_file(bucket, key)
        with _KEY_LOCKS[hash((bucket, key)) % len(_KEY_LOCKS)]:
            status, tag_xml = self._read(f"/{bucket}/{raw_key}?tagging")
            if status == 404:
                file.unlink(missing_ok=True)
                return
            conn = self._connection()
            try:
                conn.request("GET", f"/{bucket}/{raw_key}", headers=_AS_THE_STACK)
                resp = conn.getresponse()
                if resp.status == 404:
                    resp.read()
                    file.unlink(missing_ok=True)
                    return
                if resp.status != 200:
                    raise OSError(f"moto answered {resp.status} reading back s3://{bucket}/{key}")
                headers = {
                    k.lower(): v
                    for k, v in resp.getheaders()
                    if k.lower() in _KEPT_HEADERS or k.lower().startswith("x-amz-meta-")
                }
                header = json.dumps({"key": key, "headers": headers, "tagging": _tagging(tag_xml)}).encode()
                aside = _write_aside(file)
                with aside.open("wb") as out:
                    out.write(struct.pack(">I", len(header)) + header)
                    while chunk := resp.read(1 << 20):
                        out.write(chunk)
                os.replace(aside, file)
            finally:
                conn.close()

    def _record_queues(self) -> None:
        """Rewrite the file of every queue whose messages changed; forget the queues that are gone."""
        with self._queues_lock:
            seen = set()
            for account, region, backend in _sqs_backends():
                for name, queue in list(backend.queues.items()):
                    ident = (account, region, name)
                    seen.add(ident)
                    messages = list(queue._messages)
                    attributes = _queue_attributes(queue)
                    signature = json.dumps([attributes, [(m.id, m.approximate_receive_count) for m in messages]])
                    if self._queues.get(ident) == signature:
                        continue
                    doc = {"attributes": attributes, "messages": [_message_doc(m) for m in messages]}
                    file = self._queue_file(ident)
                    aside = _write_aside(file)
                    aside.write_text(json.dumps(doc))
                    os.replace(aside, file)
                    self._queues[ident] = signature
            for ident in set(self._queues) - seen:
                self._queue_file(ident).unlink(missing_ok=True)
                del self._queues[ident]

    def _queue_file(self, ident: tuple[str, str, str]) -> Path:
        account, region, name = ident
        return self.sqs_dir / account / region / f"{name}.json"

    # ------------------------------------------------------------ at start

    def restore(self) -> Restored:
        """Put the saved objects and messages into moto (which must be empty and not yet serving clients)."""
        marker = self.directory / FORMAT_FILE
        found = marker.exists()
        objects = self._restore_s3() if found else 0
        messages = self._restore_sqs() if found else 0
        self.directory.mkdir(parents=True, exist_ok=True)
        marker.write_text(FORMAT + "\n")
        if found:
            log.info(
                "estado do emulador restaurado de %s: %d objeto(s), %d mensagem(ns)",
                self.directory,
                objects,
                messages,
            )
        return Restored(found, objects, messages)

    def _restore_s3(self) -> int:
        count = 0
        buckets = sorted(d for d in self.s3_dir.iterdir() if d.is_dir()) if self.s3_dir.exists() else []
        for bucket_dir in buckets:
            status, _ = self._read(f"/{bucket_dir.name}", "PUT")
            if status not in (200, 409):
                raise OSError(f"moto answered {status} creating bucket {bucket_dir.name}")
            for file in bucket_dir.iterdir():
                if file.name.startswith("."):  # written aside by a killed write: never acknowledged
                    file.unlink(missing_ok=True)
                    continue
                with file.open("rb") as fh:
                    (size,) = struct.unpack(">I", fh.read(4))
                    meta = json.loads(fh.read(size))
                    data = fh.read()
                headers = dict(meta["headers"])
                if meta.get("tagging"):
                    headers["x-amz-tagging"] = meta["tagging"]
                status, _ = self._read(f"/{bucket_dir.name}/{_key_path(meta['key'])}", "PUT", data, headers)
                if status != 200:
                    raise OSError(f"moto answered {status} restoring s3://{bucket_dir.name}/{meta['key']}")
                count += 1
        return count

    def _restore_sqs(self) -> int:
        from moto.sqs.models import sqs_backends

        loaded = []
        for file in sorted(self.sqs_dir.glob("*/*/*.json")) if self.sqs_dir.exists() else []:
            account, region, name = file.parent.parent.name, file.parent.name, file.stem
            doc = json.loads(file.read_text())
            backend = sqs_backends[account][region]
            attributes = {k: v for k, v in doc["attributes"].items() if k != "RedrivePolicy"}
            if name not in backend.queues:
                backend.create_queue(name, **attributes)
            loaded.append(((account, region, name), backend, doc))
        count = 0
        for ident, backend, doc in loaded:  # redrive policies once every dead-letter queue exists
            if doc["attributes"].get("RedrivePolicy"):
                backend.set_queue_attributes(ident[2], {"RedrivePolicy": doc["attributes"]["RedrivePolicy"]})
            queue = backend.queues[ident[2]]
            with queue._messages_lock:
                known = {m.id for m in queue._messages}
                restored = [_message_of(item) for item in doc["messages"] if item["id"] not in known]
                queue._messages.extend(restored)
            count += len(restored)
        with self._queues_lock:
            self._queues.clear()  # the next record() writes every queue as it now is
        return count

    # ------------------------------------------------------------ moto

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=60)

    def _read(
        self, target: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One request to moto's S3 itself, behind the front."""
        conn = self._connection()
        try:
            length = {"Content-Length": str(len(body or b""))}
            conn.request(method, target, body=body, headers={**(headers or {}), **_AS_THE_STACK, **length})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _deleted_keys(body: bytes) -> list[str]:
    """The keys of a DeleteObjects request body."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    return [
        (key.text or "")
        for obj in root
        if _local_name(obj.tag) == "Object"
        for key in obj
        if _local_name(key.tag) == "Key"
    ]


def _tagging(xml: bytes) -> str:
    """GetObjectTagging's answer as the ``x-amz-tagging`` header of a PUT (``k=v&k2=v2``)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return ""
    pairs = []
    for tag in root.iter():
        if _local_name(tag.tag) == "Tag":
            fields = {_local_name(child.tag): child.text or "" for child in tag}
            pairs.append((fields.get("Key", ""), fields.get("Value", "")))
    return urlencode(pairs)


def _queue_attributes(queue: Any) -> dict[str, str]:
    attributes = queue.attributes
    kept = {name: str(attributes[name]) for name in _QUEUE_ATTRIBUTES if attributes.get(name) not in (None, "")}
    if attributes.get("RedrivePolicy"):
        kept["RedrivePolicy"] = str(attributes["RedrivePolicy"])
    return kept


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__base64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__base64__"}:
            return base64.b64decode(value["__base64__"])
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _message_doc(message: Any) -> dict[str, Any]:
    return {
        "id": message.id,
        "body": message.body,
        "message_attributes": _jsonable(message.message_attributes),
        "system_attributes": _jsonable(message.system_attributes),
        "sender_id": message.sender_id,
        "sent_timestamp": message.sent_timestamp,
        "first_receive_timestamp": message.approximate_first_receive_timestamp,
        "receive_count": message.approximate_receive_count,
        "deduplication_id": message.deduplication_id,
        "group_id": message.group_id,
        "sequence_number": message.sequence_number,
        "delayed_until": message.delayed_until,
    }


def _message_of(item: dict[str, Any]) -> Any:
    from moto.sqs.models import Message

    message = Message(item["id"], item["body"], _from_json(item["system_attributes"]))
    message.message_attributes = _from_json(item["message_attributes"])
    message.sender_id = item["sender_id"]
    message.sent_timestamp = item["sent_timestamp"]
    message.approximate_first_receive_timestamp = item["first_receive_timestamp"]
    message.approximate_receive_count = item["receive_count"]
    message.deduplication_id = item["deduplication_id"]
    message.group_id = item["group_id"]
    message.sequence_number = item["sequence_number"]
    message.delayed_until = item["delayed_until"]
    return message
