"""Derive the label file (fashion/data/resources/real_photos_labels.csv) from real-photos' labels.csv.

python scripts/derive_photo_labels.py [../shared/real-photos/labels.csv]

Keeps every photo with a Fashion-MNIST class or "none" (hats, shorts, skirts); photos with no clear
class are left out. CORRECTIONS below move a photo to another class (or out, with class "") with the
reason; the reason column of the file says which rows were changed.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "fashion" / "data" / "resources" / "real_photos_labels.csv"
COLUMNS = ("file", "class", "source_sha256", "source_bytes", "reason")

# file -> (class or "" to leave the photo out, reason). None made yet: the shared labels are used as given.
CORRECTIONS: dict[str, tuple[str, str]] = {}


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "real-photos" / "labels.csv"
    with open(source, newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = []
    for row in rows:
        label, reason = row["label_name"], ""
        if row["file"] in CORRECTIONS:
            label, reason = CORRECTIONS[row["file"]]
        if label:
            kept.append((row["file"], label, row["source_sha256"], row["source_bytes"], reason))
    temporary = OUTPUT.with_suffix(".incomplete")
    with open(temporary, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(sorted(kept))
    os.replace(temporary, OUTPUT)
    print(f"{len(kept)} labelled photos written to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
