"""A real HTTP server on loopback that answers wrongly, the way a misconfigured or failing TSA, OCSP responder or
CRL server does: what it answers depends on the path asked (``/html``, ``/garbage``, ``/500``, …, see ANSWERS)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

from asn1crypto import tsp


def _refusal(text: str | None) -> bytes:
    """An RFC 3161 TimeStampResp that refuses (status rejection, no token), DER. Built by hand: asn1crypto's
    TimeStampResp declares the token mandatory and will not encode one without it."""
    status = {"status": "rejection", "fail_info": {"unaccepted_policy"}}
    if text is not None:
        status["status_string"] = [text]
    content = tsp.PKIStatusInfo(status).dump()
    assert len(content) < 128  # short-form DER length
    return b"\x30" + bytes([len(content)]) + content


# path -> (HTTP status, content type, body)
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    # a web server's or proxy's error page, sent with 200
    "/html": (200, "text/html", b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"),
    # the right content type, bytes that are no DER at all
    "/garbage": (200, "application/timestamp-reply", b"\x00\x01 this is not ASN.1"),
    "/empty": (200, "application/timestamp-reply", b""),
    "/500": (500, "text/plain", b"internal error"),
    "/refuse": (200, "application/timestamp-reply", _refusal("policy not accepted")),
    "/refuse-silently": (200, "application/timestamp-reply", _refusal(None)),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, content_type, body = ANSWERS.get(self.path, (404, "text/plain", b"no such path"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer  # CRLs are fetched with GET
    do_POST = _answer  # timestamp and OCSP requests are POSTed

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def broken_service(port: int = 0) -> Iterator[str]:
    """Serve ANSWERS on 127.0.0.1 until the block exits; yields the base URL (``http://127.0.0.1:PORT``). ``port``:
    a given one, e.g. the port of a stopped test PKI, whose certificates name OCSP/CRL URLs there (0: any)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    thread = threading.Thread(target=server.serve_forever, name="broken-service", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
