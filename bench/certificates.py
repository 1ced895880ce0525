"""Benchmark: certificate PDFs rendered per second on one core, with latency percentiles.

Renders a typical A4 landscape certificate (logo, badge, signature, QR code, two fields, the
signed credential attached and in the metadata) with the same renderer the job uses, then the
same page for names in Latin, Cyrillic, Greek, Arabic and CJK.
Run: make bench   (or .venv/bin/python bench/certificates.py --seconds 5)
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from datetime import date

from PIL import Image

from plaudit.certificates.render import (
    CertificateAssets,
    CertificateContent,
    CertificateRenderer,
    labels_for,
)
from plaudit.templates.layout import CertificateLayout

NAMES = {
    "Latin": "Ada Lovelace",
    "Cyrillic": "Анна Ахматова",
    "Greek": "Υπατία Αλεξάνδρεια",
    "Arabic": "مريم الأسطرلابي",
    "CJK": "山田 花子",
}
BADGE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
    b'<circle cx="50" cy="50" r="40" fill="#2a7"/></svg>'
)


def png(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def content(name: str, n: int) -> CertificateContent:
    return CertificateContent(
        title="Certificate of Achievement",
        intro="This certifies that",
        recipient_name=name,
        achievement_name="Python Foundations",
        achievement_description="Completed every module of the Python Foundations course.",
        issuer_name="Plaudit Academy",
        issued_on=date(2026, 11, 22),
        expires_on=date(2028, 11, 22),
        fields=[("Score", "93"), ("Course", "Python 101")],
        verification_url=f"https://plaudit.example/credentials/c{n:016d}",
        credential_id=f"c{n:016d}",
        lang="en",
        labels=labels_for("en"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    started = time.perf_counter()
    renderer = CertificateRenderer()
    print(f"Font scan: {(time.perf_counter() - started) * 1000:.0f} ms (once per process)")
    layout = CertificateLayout(signatory_name="Grace Hopper", signatory_title="Dean")
    assets = CertificateAssets(
        logo=png((200, 200), (30, 120, 200)), signature=png((300, 90), (0, 0, 0)), badge=BADGE
    )
    credential = json.dumps({"credential": "x" * 4000}).encode()  # a signed OB 3.0 is ~4 KB
    attachment = ("credential.json", credential, "application/vc+ld+json")

    def one(name: str, n: int) -> float:
        begin = time.perf_counter()
        renderer.render(layout, content(name, n), assets, attachment=attachment)
        return time.perf_counter() - begin

    one("warm up", 0)
    timings: list[float] = []
    begin = time.perf_counter()
    while time.perf_counter() - begin < args.seconds:
        timings.append(one(NAMES["Latin"], len(timings)))
    elapsed = time.perf_counter() - begin
    q = statistics.quantiles(timings, n=100)
    print("Certificate PDF, A4 landscape, one page, one core (one thread)")
    print(
        f"  {len(timings) / elapsed:,.0f} pages/s   latency ms: p50 {q[49] * 1000:.1f}"
        f"  p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}"
    )
    for script, name in NAMES.items():
        runs = [one(name, i) for i in range(50)]
        print(f"  {script:<9} {name:<20} p50 {statistics.median(runs) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
