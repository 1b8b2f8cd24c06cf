"""The `sohoa` command's entry point: `sohoa ocr` goes to a running OCR server when one answers
(``flows.ocr_server``), everything else — and `sohoa ocr` when none does — to the command line in this process.

Only what the hand-over needs of the standard library is imported before that choice: the start-up the server
saves (a command handed over costs ~0.05 s of Python before it reaches the server).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the checkout a server must run from too
SOCKET_ENV = "SOHOA_OCR_SERVER_SOCKET"
HEADER = struct.Struct("!I")  # the length of the JSON request that follows
MAX_REQUEST = 1 << 20


def main() -> None:
    if sys.argv[1:2] == ["ocr"]:
        code = forward(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from flows.cli import main as run_here

    run_here()


def socket_path() -> str:
    """Where the OCR server listens: ``SOHOA_OCR_SERVER_SOCKET``, or a private folder of this user's."""
    configured = os.environ.get(SOCKET_ENV)
    if configured:
        return configured
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = os.path.join(runtime, "sohoa") if runtime else f"/tmp/sohoa-{os.getuid()}"
    return os.path.join(folder, "ocr.sock")


def forward(argv: list[str]) -> int | None:
    """Run ``sohoa ARGV`` in the OCR server and return its exit code; None when no server takes it (none
    listening, another user's, or its code is stale): the caller then runs the command itself."""
    path = socket_path()
    if not os.path.exists(path):  # the common case costs one stat
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        if peer_uid(connection) != os.getuid():
            connection.close()  # never hand our environment (it may hold a password) to another user's process
            return None
        umask = os.umask(0o022)
        os.umask(umask)
        request = json.dumps(
            {
                "argv": argv,
                "cwd": os.getcwd(),
                "env": dict(os.environ),
                "umask": umask,
                "prefix": sys.prefix,
                "root": ROOT,
            }
        ).encode()
        socket.send_fds(connection, [HEADER.pack(len(request)) + request], [0, 1, 2])
        reply = _read_line(connection)
        accepted = bool(reply) and json.loads(reply).get("accepted") is True
    except (OSError, ValueError):  # a socket file left by a killed server, a descriptor we cannot pass, ...
        accepted = False
    if not accepted:
        connection.close()
        return None
    try:
        ending = _read_line(connection)  # the child's exit code, sent as it ends
    except KeyboardInterrupt:
        connection.close()  # the child sees the connection close and stops as on Ctrl-C
        return 130
    finally:
        connection.close()
    if not ending:
        sys.stderr.write("sohoa: the OCR server's command ended without an exit code (killed?)\n")
        return 3
    return int(json.loads(ending)["exit"])


def peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


def _read_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


if __name__ == "__main__":
    main()
