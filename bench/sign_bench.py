"""Signing and verification throughput per PAdES level, next to the ``pyhanko`` CLI doing the same job per file.

  python bench/sign_bench.py [--n 100] [--cli-n 10] [--json]

One process signs ``--n`` copies of a 10-page PDF at each level (B-B, B-T, B-LT, B-LTA) with the identity
loaded once, against a certomancer test PKI served on loopback (TSA, OCSP, CRLs: the same real services the
tests use). The ``pyhanko sign addsig pkcs12`` command then signs ``--cli-n`` files, one command per file, at
the same level with the same key and TSA. Verification: ``signing.verify_pdf`` over the B-T and B-LTA files
in one process vs ``pyhanko sign validate`` per file. Ratios are what to compare (MEASURED.md: ±15–25 %).

Needs the test extra (certomancer, werkzeug) and the bench extra (pyhanko-cli): ``pip install -e '.[test,bench]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pikepdf  # noqa: E402
from signing_pki import PKCS12_PASSWORD, SIGNER, TestPKI, running_pki  # noqa: E402

import signing  # noqa: E402
from signing.verify import load_trust_roots  # noqa: E402

BIN = Path(sys.executable).parent
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
CLI_FLAGS = {
    "B-B": ["--use-pades"],
    "B-T": ["--use-pades", "--timestamp-url", "{tsa}"],
    "B-LT": [
        "--use-pades",
        "--timestamp-url",
        "{tsa}",
        "--with-validation-info",
        "--trust",
        "{root}",
        "--trust-replace",
    ],
    "B-LTA": [
        "--use-pades",
        "--timestamp-url",
        "{tsa}",
        "--with-validation-info",
        "--use-pades-lta",
        "--trust",
        "{root}",
        "--trust-replace",
    ],
}


@dataclass
class Row:
    task: str
    level: str
    sohoa_per_s: float
    cli_per_s: float

    @property
    def ratio(self) -> float:
        return self.sohoa_per_s / self.cli_per_s if self.cli_per_s else float("nan")


def make_input(path: Path, pages: int = 10) -> Path:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for n in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        lines = b"".join(b"(Trang %d dong %d - van ban so hoa) Tj T* " % (n + 1, k) for k in range(40))
        pdf.pages[n].Contents = pdf.make_stream(b"BT /F1 11 Tf 14 TL 60 780 Td " + lines + b"ET")
        pdf.pages[n].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    pdf.save(path)
    return path


def sohoa_sign(src: Path, out_dir: Path, level: str, n: int, pki: TestPKI) -> float:
    identity = signing.load_identity(
        "pkcs12", keys_dir=out_dir, pkcs12_file=pki.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
    )
    roots = load_trust_roots([pki.root_cert])[0]
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for i in range(n):
        signing.sign_pdf(
            src, out_dir / f"{i:04d}.pdf", identity, level=level, tsa_url=pki.tsa_url, validation_roots=roots
        )
    return n / (time.perf_counter() - started)


def cli_sign(src: Path, out_dir: Path, level: str, n: int, pki: TestPKI) -> float:
    out_dir.mkdir(parents=True, exist_ok=True)
    passfile = out_dir / "pass"
    passfile.write_bytes(PKCS12_PASSWORD)
    flags = [f.format(tsa=pki.tsa_url, root=pki.root_cert) for f in CLI_FLAGS[level]]
    started = time.perf_counter()
    for i in range(n):
        cmd = [str(BIN / "pyhanko"), "sign", "addsig", "--field", "Signature1", *flags, "pkcs12",
               "--passfile", str(passfile), "--chain", str(pki.interm_cert),
               str(src), str(out_dir / f"{i:04d}.pdf"), str(pki.pkcs12_file(SIGNER))]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise SystemExit(f"pyhanko CLI failed at {level}: {proc.stderr[-2000:]}")
    return n / (time.perf_counter() - started)


def sohoa_verify(files: list[Path], pki: TestPKI) -> float:
    started = time.perf_counter()
    for f in files:
        result = signing.verify_pdf(f, [pki.root_cert])
        # a B-T file embeds no revocation answer: offline, sohoa says TRY_LATER ("revocation not checked") where
        # the CLI below is told --no-revocation-check; the same work, the same verdict on the signature itself
        unchecked = result.signatures and all(
            s.intact and s.valid and s.trusted and s.sub_indication == "TRY_LATER" for s in result.signatures
        )
        if not (result.passed or unchecked):
            raise SystemExit(f"{f}: did not verify: {result.model_dump_json()}")
    return len(files) / (time.perf_counter() - started)


def cli_verify(files: list[Path], pki: TestPKI) -> float:
    started = time.perf_counter()
    for f in files:
        cmd = [str(BIN / "pyhanko"), "sign", "validate", "--trust", str(pki.root_cert), "--trust-replace",
               "--no-revocation-check", "--executive-summary", str(f)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if "VALID" not in proc.stdout:
            raise SystemExit(f"pyhanko validate failed on {f}: {proc.stdout}{proc.stderr[-1000:]}")
    return len(files) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="files signed in one process per level")
    parser.add_argument("--cli-n", type=int, default=10, help="files signed by the pyhanko CLI per level")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which(str(BIN / "pyhanko")) is None:
        raise SystemExit("the pyhanko CLI is missing: pip install -e '.[bench]'")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import logging

    logging.disable(logging.WARNING)  # werkzeug's request log, the B-B warning
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as tmp:
        base = Path(tmp)
        with running_pki(base / "pki") as pki:
            src = make_input(base / "input-10p.pdf")
            for level in LEVELS:
                ours = sohoa_sign(src, base / "sohoa" / level, level, args.n, pki)
                theirs = cli_sign(src, base / "cli" / level, level, args.cli_n, pki)
                rows.append(Row("sign", level, ours, theirs))
                print(f"sign {level}: sohoa {ours:.2f}/s, pyhanko CLI {theirs:.2f}/s", file=sys.stderr)
            for level in ("B-T", "B-LTA"):
                files = sorted((base / "sohoa" / level).glob("*.pdf"))
                ours = sohoa_verify(files, pki)
                theirs = cli_verify(files[: args.cli_n], pki)
                rows.append(Row("verify", level, ours, theirs))
                print(f"verify {level}: sohoa {ours:.2f}/s, pyhanko CLI {theirs:.2f}/s", file=sys.stderr)
    if args.json:
        print(json.dumps([{**asdict(r), "ratio": round(r.ratio, 2)} for r in rows], indent=2))
        return
    print(f"| task | level | sohoa (1 process, {args.n} files) /s | pyhanko CLI (per file) /s | ratio |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r.task} | {r.level} | {r.sohoa_per_s:.2f} | {r.cli_per_s:.2f} | {r.ratio:.1f}× |")


if __name__ == "__main__":
    main()
