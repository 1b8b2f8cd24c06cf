"""Classification benchmark on rendered, scanned-looking and OCR'd documents (a benchmark, not a test).

Usage::

    .venv/bin/python bench/classify_bench.py [--good N] [--poor N] [--work DIR] [--seed S]

Documents come from classify/training.py (invented communes, people and numbers; every type of a commune's
daily work, title block present) laid out and degraded by samples/make_samples.py's renderer: "good" = 300 dpi
greyscale with the samples' light blur/noise; "poor" = 200 dpi, heavier noise, JPEG quality 35. Each page is
OCR'd by ``ocr.ocr_document`` (Tesseract vie, one worker; the OCR text and word boxes are cached in --work so reruns
are fast) and classified by ``classify.classify_text`` twice: with the word boxes (columns by position, as
``sohoa process`` does) and from the reading order alone. Prints type accuracy per type and precision/recall/F1 for
``number``, ``issued_on``, ``issuer``, ``signer_name``, and how often a wrong answer fell below the review
threshold.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify import classify_text  # noqa: E402
from classify.doctypes import by_code  # noqa: E402
from classify.training import SyntheticDoc, load_sentences, make_doc  # noqa: E402
from sohoa.record import PageWords  # noqa: E402

TYPES = (
    "QĐ", "TB", "CV", "BB", "KH", "BC", "TTr", "GM", "GGT", "HĐ", "NQ", "CT", "HD", "GUQ", "CĐ", "SY",
    "HT-GKS", "HT-TLKT", "HT-GCNKH", "HT-XNTTHN", "HT-TLKS", "HT-TLKH",
)  # fmt: skip
FIELDS = ("number", "issued_on", "issuer", "signer_name")
REVIEW_THRESHOLD = 0.6


def _samples_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "samples" / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module
    spec.loader.exec_module(module)
    return module


def render(doc: SyntheticDoc, path: Path, dpi: int, poor: bool, rng: random.Random) -> None:
    ms = _samples_module()
    header = ms.Header(
        doc.issuer, doc.number, doc.place, doc.day, doc.month, doc.year, parent=doc.parent,
        vv=f"V/v {doc.vv}" if doc.vv else "",
    )  # fmt: skip
    blocks: list[Any] = []
    if doc.code == "CV":
        blocks.append(ms.Para((("r", "Kính gửi: Sở Tư pháp."),), size=14, align="center", indent_mm=0, after_pt=10))
    if doc.title:
        blocks += [ms.title(doc.title, after_pt=3), ms.title(doc.subject), ms.Rule()]
    blocks += [ms.p(row) for row in doc.civil_rows]
    blocks += [ms.p(par) for par in doc.paragraphs[:3]]
    if doc.code == "BB":
        first, second = " ".join(doc.signer_name.split()[:3]), " ".join(doc.signer_name.split()[3:])
        closing = ms.Closing(left=ms.signer("THƯ KÝ", name=first, seal=False), right=ms.signer("CHỦ TỌA", name=second))
    else:
        closing = ms.Closing(
            left=ms.noi_nhan(*(f"- {r};" for r in doc.recipients)),
            right=ms.signer(*doc.signer_titles, name=doc.signer_name),
        )
    spec = ms.DocSpec(path.name, doc.code, dpi, header, tuple(blocks), closing, (), (0.0,), "pdf")
    pages = ms.Renderer(spec, rng).render()
    scans = [ms.degrade(pg, rng, rng.uniform(-1.0, 1.0), dpi, 8.0 if poor else 2.0, 0.7) for pg in pages]
    if poor:
        scans[0].save(path.with_suffix(".jpg"), "JPEG", dpi=(dpi, dpi), quality=35)
    else:
        scans[0].save(path, "PDF", save_all=True, append_images=scans[1:], resolution=float(dpi))


def truth(doc: SyntheticDoc) -> dict[str, str]:
    signer = " ".join(doc.signer_name.split()[3:]) if doc.code == "BB" else doc.signer_name
    return {
        "doc_type": doc.code,
        "number": doc.number,
        "issued_on": doc.issued_on,
        "issuer": " ".join(doc.issuer),
        "signer_name": signer,
    }


def ocr_read(source: Path, cache: Path) -> tuple[str, list[PageWords]]:
    """Text and first/last-page word boxes of a scan (cached as JSON in --work)."""
    if cache.exists():
        data = json.loads(cache.read_text(encoding="utf-8"))
        return data["text"], [PageWords.model_validate(page) for page in data["layout"]]
    import ocr

    result = ocr.ocr_document(source, source.with_name(source.stem + ".ocr.pdf"), workers=1)
    data = {"text": result.text, "layout": [page.model_dump(mode="json") for page in result.layout]}
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return result.text, result.layout


# how the two-column header and closing are read: from the word boxes (what `sohoa process` does) or from
# Tesseract's reading order alone (a text file, `sohoa classify notes.txt`)
MODES = ("word positions", "reading order")


def run(good: int, poor: int, work: Path, seed: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sentences = [s for s in load_sentences() if len(s) < 160]
    types = by_code()
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    for quality, count in (("good", good), ("poor", poor)):
        for i in range(count):
            code = TYPES[(i * 7 + (0 if quality == "good" else 3)) % len(TYPES)]
            doc = make_doc(types[code], rng, sentences)
            doc.date_in_words = False
            # the seed is in the name: the cached OCR of another seed's document is not this one's
            stem = f"s{seed}-{quality}-{i:03d}-{code.replace('Đ', 'D')}"
            source = work / f"{stem}.pdf"
            if not (work / f"{stem}.ocr.json").exists():
                render(doc, source, 200 if quality == "poor" else 300, quality == "poor", random.Random(seed + i))
            scan = source.with_suffix(".jpg") if quality == "poor" else source
            text, layout = ocr_read(scan, work / f"{stem}.ocr.json")
            for mode in MODES:
                result = classify_text(text, layout=layout if mode == "word positions" else ())
                got = {
                    "doc_type": result.doc_type,
                    "number": result.number,
                    "issued_on": result.issued_on.isoformat() if result.issued_on else None,
                    "issuer": result.issuer,
                    "signer_name": result.signer_name,
                }
                rows.append(
                    {"mode": mode, "quality": quality, "truth": truth(doc), "got": got, "confidence": result.confidence}
                )
                print(f"  {stem} ({mode}): {got['doc_type']} {got['number']} conf {result.confidence}", file=sys.stderr)
    return {"rows": rows, "seconds": round(time.monotonic() - started, 1)}


def report(rows: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for mode, quality in [(m, q) for m in MODES for q in ("good", "poor")]:
        subset = [r for r in rows if r["quality"] == quality and r.get("mode", MODES[0]) == mode]
        if not subset:
            continue
        per_type: dict[str, list[bool]] = defaultdict(list)
        for r in subset:
            per_type[r["truth"]["doc_type"]].append(r["got"]["doc_type"] == r["truth"]["doc_type"])
        correct = sum(sum(v) for v in per_type.values())
        out.append(
            f"\n{quality} scans, columns by {mode}: {len(subset)} documents, type accuracy {correct / len(subset):.1%}"
        )
        out.append("  " + "  ".join(f"{t} {sum(v)}/{len(v)}" for t, v in sorted(per_type.items())))
        out.append(f"  {'field':<12} {'precision':>9} {'recall':>7} {'F1':>6}")
        for name in FIELDS:
            predicted = [r for r in subset if r["got"][name]]
            right = [r for r in predicted if r["got"][name] == r["truth"][name]]
            precision = len(right) / len(predicted) if predicted else 0.0
            recall = len(right) / len(subset)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out.append(f"  {name:<12} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f}")
        wrong = [r for r in subset if any(r["got"][k] != r["truth"][k] for k in ("doc_type", "number", "issued_on"))]
        flagged = [r for r in wrong if r["confidence"] < REVIEW_THRESHOLD]
        out.append(
            f"  wrong type/number/date: {len(wrong)}; of those below the review threshold {REVIEW_THRESHOLD}: "
            f"{len(flagged)}" + (f" ({len(flagged) / len(wrong):.0%})" if wrong else "")
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--good", type=int, default=22)
    parser.add_argument("--poor", type=int, default=11)
    parser.add_argument("--work", type=Path, default=Path("/tmp/sohoa-classify-bench"))
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    result = run(args.good, args.poor, args.work, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(result["rows"]))
    print(f"\n{len(result['rows']) // len(MODES)} documents in {result['seconds']} s (OCR cached in {args.work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
