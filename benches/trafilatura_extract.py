#!/usr/bin/env python3
"""Extract every page of an extraction corpus with trafilatura, for comparison.

Usage: trafilatura_extract.py DIR OUT.json

DIR holds pages/<id>.html.gz and ground-truth.json (the layout of
../shared/extraction-bench and ../shared/extraction-corpora/*). OUT.json maps each
page id to {"articleBody": text, "meta": {title, author, date, sitename, image}},
the shape score.py and extract_bench read. Settings are trafilatura's defaults
except comments, which no article body holds.
"""
import gzip
import json
import sys
from pathlib import Path

import trafilatura
from trafilatura.metadata import extract_metadata

FIELDS = ("title", "author", "date", "sitename", "image")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    preds = {}
    for pid, gold in truth.items():
        raw = gzip.decompress((root / "pages" / f"{pid}.html.gz").read_bytes())
        try:
            text = trafilatura.extract(raw, url=gold.get("url"), include_comments=False) or ""
            m = extract_metadata(raw, default_url=gold.get("url"))
            meta = {f: getattr(m, f, None) for f in FIELDS}
        except Exception as e:  # one bad page must not stop the run
            print(f"{pid}: {e}", file=sys.stderr)
            text, meta = "", {}
        preds[pid] = {"articleBody": text, "meta": meta}
    out.write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
    print(f"trafilatura {trafilatura.__version__}: {len(preds)} pages -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
