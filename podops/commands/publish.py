"""``podops publish``: upload a finished build to S3-compatible storage without ever breaking a feed.

This is the only module that imports boto3. It works on a built output folder (refused without
the build's marker) and stands apart from the build. A publish is incremental against a manifest
object it keeps under the prefix (key → size, SHA-256, ETag, headers), falling back to the
listing's ETags (the MD5 of a single-part upload, or of the parts' MD5s for a multipart one).
It uploads in three phases — media and other assets, then pages and API documents, then feeds —
and deletes (``--delete``) only after the feeds that stopped naming a file are up, feeds first,
so a publish killed at any moment leaves feeds that name only objects that exist.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore import exceptions as boto
from botocore.config import Config

from podops.commands.bucketplan import (
    MANIFEST,
    PART,
    PHASES,
    Local,
    Plan,
    guess_phase,
    parse_target,
    plan,
    record,
    scan,
)
from podops.errors import Diagnostic, PodopsError
from podops.model import Progress

MANIFEST_TYPE = "application/json"
PAUSE = "PODOPS_PUBLISH_PAUSE"  # test hook: "PHASE:N" pauses once N transfers of PHASE are done


@dataclass
class Summary:
    """What a publish did, for the closing line."""

    target: str
    uploaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    bytes: int = 0
    seconds: float = 0.0
    stale: int = 0
    plan: Plan = field(default_factory=Plan)


class Bucket:
    """The S3 calls a publish makes, with boto3's errors turned into one clear line each."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None, jobs: int) -> None:
        self.bucket, self.prefix = bucket, prefix
        self.where = f"s3://{bucket}/{prefix}"
        self.endpoint = (endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3")
                         or os.environ.get("AWS_ENDPOINT_URL") or None)
        # Third-party S3 services (B2, R2, MinIO, SeaweedFS) reject the CRC checksums botocore
        # adds by default since 1.36; send them only where the API requires one.
        # CI fills unset variables with "" (``${{ vars.X }}``): an empty one counts as unset.
        empty = any(os.environ.get(k) == "" for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"))
        config = Config(max_pool_connections=max(10, jobs), retries={"mode": "standard", "max_attempts": 5},
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required", connect_timeout=10, read_timeout=60,
                        **({"ignore_configured_endpoint_urls": True} if empty and not self.endpoint else {}))
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or (
            "us-east-1" if "" in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) else None)
        with self.errors("connect"):
            try:
                session = boto3.session.Session()
                self.client = session.client("s3", endpoint_url=self.endpoint, region_name=region, config=config)
            except ValueError as exc:  # botocore's word for a malformed endpoint or region
                raise PodopsError(Diagnostic(self.where, message=f"{exc}: check AWS_ENDPOINT_URL and AWS_REGION")) \
                    from None

    @contextmanager
    def errors(self, operation: str, key: str = "") -> Iterator[None]:
        """Turn boto3's exceptions into a PodopsError naming what failed."""
        try:
            yield
        except (boto.BotoCoreError, boto.ClientError) as exc:
            raise _explain(self, exc, operation, key) from None

    def listing(self) -> dict[str, tuple[int, str]]:
        """Every object under the prefix: relative key → (size, ETag without quotes)."""
        found: dict[str, tuple[int, str]] = {}
        with self.errors("ListObjectsV2"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if key.startswith(self.prefix) and not key.endswith("/"):
                        found[key[len(self.prefix):]] = (item["Size"], item.get("ETag", "").strip('"'))
        return found

    def manifest(self) -> dict[str, Any]:
        """The manifest the last publish left, or {} when there is none (or it is unreadable)."""
        with self.errors("GetObject", MANIFEST):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST)["Body"].read()
            except self.client.exceptions.NoSuchKey:
                return {}
        try:
            files = json.loads(body).get("files")
        except (ValueError, AttributeError):
            return {}
        return files if isinstance(files, dict) else {}

    def heads(self, rels: list[str], jobs: int) -> dict[str, tuple[str, str]]:
        """(Content-Type, Cache-Control) of objects the manifest does not know."""
        def head(rel: str) -> tuple[str, tuple[str, str]]:
            with self.errors("HeadObject", rel):
                answer = self.client.head_object(Bucket=self.bucket, Key=self.prefix + rel)
            return rel, (answer.get("ContentType", ""), answer.get("CacheControl", ""))

        with ThreadPoolExecutor(jobs) as pool:
            return dict(pool.map(head, rels))

    def upload(self, items: list[Local], jobs: int, done: Callable[[Local], None]) -> None:
        """Upload files in parallel through boto3's transfer manager (multipart above 8 MiB)."""
        config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=jobs)
        with create_transfer_manager(self.client, config) as manager:
            futures = [(item, manager.upload(item.path, self.bucket, self.prefix + item.rel, extra_args={
                "ContentType": item.content_type, "CacheControl": item.cache_control})) for item in items]
            for item, future in futures:
                with self.errors("PutObject", item.rel):
                    future.result()
                done(item)

    def delete(self, rels: list[str]) -> None:
        """Delete objects under the prefix, 1,000 per request (the API's limit)."""
        for start in range(0, len(rels), 1000):
            batch = rels[start:start + 1000]
            keys = [{"Key": self.prefix + rel} for rel in batch]
            assert all(k["Key"].startswith(self.prefix) for k in keys)
            with self.errors("DeleteObjects", batch[0]):
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
            for error in answer.get("Errors", []):
                raise PodopsError(Diagnostic(f"s3://{self.bucket}/{error.get('Key', '')}", message=(
                    f"cannot delete: {error.get('Code', '')} {error.get('Message', '')}".strip())))

    def put_manifest(self, files: dict[str, Any]) -> None:
        """Record what the bucket holds, so the next publish compares against it."""
        body = json.dumps({"generator": "podops", "version": 1, "files": files}, sort_keys=True, indent=1)
        with self.errors("PutObject", MANIFEST):
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + MANIFEST, Body=body.encode(),
                                   ContentType=MANIFEST_TYPE, CacheControl="no-cache")


def _explain(bucket: Bucket, exc: Exception, operation: str, key: str) -> PodopsError:
    """One clear line for what boto3 raised: no credentials, no bucket, access denied, unreachable."""
    where, what = bucket.where, f"{operation} {key}".strip()
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        return PodopsError(Diagnostic("podops", message="no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                                      "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, ~/.aws/credentials, an instance role)"))
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError | boto.ReadTimeoutError):
        return PodopsError(Diagnostic(where, message=f"cannot reach the S3 endpoint "
                                      f"{bucket.endpoint or 'of AWS'} ({what})"))
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    code, status = error.get("Code", ""), response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NoSuchBucket" or (code in ("404", "NotFound") and operation == "ListObjectsV2"):
        where, message = f"s3://{bucket.bucket}", "no such bucket: create it first, or check the name and the " \
                                                  "endpoint URL"
    elif code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or (status == 403 and not code):
        message = f"access denied ({what}): the credentials need s3:ListBucket, s3:GetObject, " \
                  "s3:PutObject and s3:DeleteObject on this bucket"
    elif code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
        message = f"the endpoint refused the credentials ({code})"
    else:
        message = f"{what} failed: {code or type(exc).__name__} {error.get('Message', '')}".strip()
    return PodopsError(Diagnostic(where, message=message))


def _pause(phase: str, done: int) -> None:
    """Test hook: stop here (until killed, at most two minutes) to show a publish killed mid-way is safe."""
    if os.environ.get(PAUSE) == f"{phase}:{done}":
        print(f"podops: paused at {phase}:{done} ({PAUSE})", file=sys.stderr, flush=True)
        time.sleep(120)


def publish(out: str, target: str, endpoint_url: str | None = None, delete: bool = False, dry_run: bool = False,
            jobs: int = 8, progress: Progress | None = None) -> Summary:
    """Publish a build folder to ``s3://BUCKET/PREFIX``: media, then pages, then feeds, then deletions."""
    started = time.perf_counter()
    bucket_name, prefix = parse_target(target)
    files = scan(out)
    bucket = Bucket(bucket_name, prefix, endpoint_url, jobs)
    listing = bucket.listing()
    manifest = bucket.manifest() if MANIFEST in listing else {}
    steps = plan(files, listing, manifest, lambda rels: bucket.heads(rels, jobs), delete)
    summary = Summary(bucket.where, unchanged=steps.unchanged, stale=len(steps.stale), plan=steps)
    if dry_run:
        summary.seconds = time.perf_counter() - started
        return summary
    records = {rel: entry for rel, entry in manifest.items() if rel in listing}
    uploads = [a for a in steps.actions if a.op == "upload"]
    total, count = len(steps.actions), 0

    def done(item: Local) -> None:
        nonlocal count
        count += 1
        summary.uploaded += 1
        summary.bytes += item.size
        if progress:
            progress("publishing", count, total)

    for phase in PHASES:
        items = [files[a.rel] for a in uploads if a.phase == phase]
        if not items:
            continue
        _pause(phase, 0)
        first, rest = (items[:1], items[1:]) if os.environ.get(PAUSE) == f"{phase}:1" else ([], items)
        bucket.upload(first, jobs, done)
        _pause(phase, len(first))
        bucket.upload(rest, jobs, done)
        _remember(bucket, records, items)
    doomed = [a.rel for a in steps.actions if a.op == "delete"]
    if doomed:
        _pause("delete", 0)
        for batch in _delete_batches(doomed, manifest):
            bucket.delete(batch)
            count += len(batch)
            summary.deleted += len(batch)
            for rel in batch:
                records.pop(rel, None)
            if progress:
                progress("publishing", count, total)
            _pause("delete", summary.deleted)
        bucket.put_manifest(records)
    summary.seconds = time.perf_counter() - started
    return summary


def _delete_batches(rels: list[str], manifest: dict[str, Any]) -> Iterable[list[str]]:
    """Deletions grouped by phase, feeds first (the plan already sorted them)."""
    groups: dict[str, list[str]] = {}
    for rel in rels:
        groups.setdefault(guess_phase(rel, manifest.get(rel)), []).append(rel)
    return [groups[phase] for phase in ("feeds", "pages", "media") if phase in groups]


def _remember(bucket: Bucket, records: dict[str, Any], items: list[Local]) -> None:
    """After a phase, record the uploaded files with the ETags the store gave them."""
    listing = bucket.listing()
    for item in items:
        if item.rel in listing:
            records[item.rel] = record(item, listing[item.rel][1])
    bucket.put_manifest(records)
