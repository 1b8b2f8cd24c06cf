"""Build the shipped type model: ``python -m classify.make_model [PER_TYPE]``.

Generates ``PER_TYPE`` synthetic documents per type (classify/training.py: templates + sentences from
``../shared/corpora/vi-text/legal-docs``; deterministic seed), trains the model (classify/model.py) and writes
``classify/data/type-model.joblib`` (format 3, a zip archive despite its name: classify/model.py; kept under 2 MB)."""

from __future__ import annotations

import sys
import time

from classify.model import shipped_model_path, train
from classify.training import examples


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    per_type = int(args[0]) if args else 50
    started = time.monotonic()
    pairs = list(examples(per_type))
    model = train([t for t, _ in pairs], [label for _, label in pairs], name="shipped-synthetic")
    path = model.save(shipped_model_path())
    size = path.stat().st_size
    print(
        f"{path}: {len(pairs)} examples, {len(model.labels)} types, {size:,} bytes, {time.monotonic() - started:.1f} s"
    )
    return 0 if size < 2_000_000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
