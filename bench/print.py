"""Printing benchmark: slip → ESC/POS bytes, p50/p95 per mode, and bytes per slip.

Run: ``.venv/bin/python bench/print.py [--runs 300]``. Every ticket has its own number,
count and QR payload (as at a real kiosk), so the QR cache never helps; glyph caches warm up
as in a running server, and the first (cold) ticket of the process is reported apart.
Prints each figure beside the issue's target. Needs nothing but the printer package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printer.escpos import slip_bytes  # noqa: E402
from printer.profile import PrinterProfile  # noqa: E402
from printer.slip import Slip, policy_qr_slip, receipt_slip, test_slip, ticket_slip  # noqa: E402

TARGETS_MS = {"text": 5.0, "raster": 30.0}
MODES = {
    "text": {"chinese": "gb18030", "qr": "native"},
    "raster": {"chinese": "raster", "qr": "raster"},
}


def ticket(i: int, kiosk: int = 1) -> Slip:
    """The i-th ticket of the day at a kiosk (its QR payload is unique)."""
    number = f"{'ABCD'[i % 4]}{i % 1000:03d}"
    return ticket_slip(
        hall="某某县政务服务中心", service="社保医保综合窗口", number=number, ahead=i % 37,
        issued_at=dt.datetime(2024, 5, 1, 8, 30) + dt.timedelta(seconds=17 * i),
        qr_payload=f"https://hall.example.gov.cn/q/t/{number}?d=20240501&n={i}&k={kiosk}")


def others() -> dict[str, Slip]:
    """The other slip types, for bytes per slip."""
    return {
        "receipt": receipt_slip(
            hall="某某县政务服务中心", application_no="GK20240501-0007",
            received_on=dt.date(2024, 5, 1), deadline=dt.date(2024, 5, 30), applicant="张三",
            phone_masked="138****5678", id_masked="3301**********1234",
            qr_payload="https://hall.example.gov.cn/d/GK20240501-0007"),
        "policy": policy_qr_slip(
            title="某某县人民政府关于进一步优化营商环境的若干措施", doc_number="某政发〔2024〕12号",
            issuer="某某县人民政府", summary="为深入贯彻落实优化营商环境的决策部署，" * 8,
            qr_payload="https://hall.example.gov.cn/policies/4211"),
        "test": test_slip(),
    }


def timed(fn: Callable[[], bytes]) -> tuple[float, int]:
    """(milliseconds, bytes) of one call."""
    start = time.perf_counter()
    data = fn()
    return (time.perf_counter() - start) * 1000, len(data)


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="tickets per mode and width")
    args = parser.parse_args()
    out = sys.stdout
    cold_ms, _ = timed(lambda: slip_bytes(ticket(0), PrinterProfile.for_paper(
        58, chinese="raster", qr="raster")))
    out.write(f"first raster ticket of the process (font load, empty caches): {cold_ms:.1f} ms\n")
    out.write(f"{'ticket':<18}{'p50 ms':>8}{'p95 ms':>8}{'target':>9}{'bytes':>8}  verdict\n")
    failed = False
    for mode, options in MODES.items():
        for width in (58, 80):
            profile = PrinterProfile.for_paper(width, **options)
            times, sizes = [], []
            for i in range(1, args.runs + 1):
                ms, size = timed(partial(slip_bytes, ticket(i, width), profile))
                times.append(ms)
                sizes.append(size)
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18]
            ok = p95 <= TARGETS_MS[mode]
            failed |= not ok
            out.write(f"{mode + f' {width} mm':<18}{p50:>8.2f}{p95:>8.2f}"
                      f"{'≤ ' + format(TARGETS_MS[mode], 'g'):>9}{round(statistics.mean(sizes)):>8}"
                      f"  {'ok' if ok else 'MISSED'}\n")
    out.write(f"\n{'bytes per slip':<18}{'text 58':>9}{'text 80':>9}{'raster 58':>11}"
              f"{'raster 80':>11}\n")
    for name, slip in {"ticket": ticket(1), **others()}.items():
        sizes = [len(slip_bytes(slip, PrinterProfile.for_paper(width, **options)))
                 for options in MODES.values() for width in (58, 80)]
        out.write(f"{name:<18}{sizes[0]:>9}{sizes[1]:>9}{sizes[2]:>11}{sizes[3]:>11}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
