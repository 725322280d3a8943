"""Search benchmark: index build time, query latency in-process and over HTTP, RSS.

Run: ``.venv/bin/python bench/search.py [--docs 50000] [--queries 300] [--pg URL]``.
Builds a throw-away SQLite database (and a throw-away PostgreSQL database on the server of
``--pg``), fills it with the synthetic corpus of ``content.corpus``, and prints each figure
beside the issue's target. It stops by itself; nothing outside the temporary databases is
touched (but the instance folder's cache, which the server fills as it always does).

The HTTP figures and the RSS come from the server itself: ``gongkai run`` started as its own
process on the bench's database, asked the queries over HTTP, then made to warm the kiosk
keyboard (``/kiosk/ime`` until it is no longer "pending", a few keys timed) and to render a
kiosk search page and an article; its VmRSS and VmHWM (peak) are read from
``/proc/<pid>/status`` and shown beside the target.

While iterating on search: ``--keep DIR`` builds the SQLite database in DIR and leaves it
there; ``--reuse DIR`` then measures queries on it without loading or indexing again
(``--rebuild`` times a fresh index build on it too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from bench.hall_clients import free_port, wait_port  # noqa: E402
from content.corpus import CORPUS_AGENCIES, CORPUS_CATEGORIES, generate_policies  # noqa: E402
from content.models import Agency, Category, Policy, Validity  # noqa: E402
from content.search import SearchFilters, reindex_all, search  # noqa: E402
from content.search.pinyin import syllables  # noqa: E402
from hall.app import create_app  # noqa: E402
from hall.config import normalise_url  # noqa: E402
from hall.extensions import db  # noqa: E402

TARGETS = {"in-process p95 ms": 5.0, "http p95 ms": 15.0, "build s (50k)": 30.0, "rss MB": 200.0}
WORDS = ["社保", "执照", "低保", "补贴", "医保", "养老", "就业", "公开", "救助", "招生", "征地",
         "住房", "农田", "调解", "培训", "监管", "预算", "援助"]
BATCH = 2000
#: keys timed on the kiosk keyboard once its index is ready.
IME_KEYS = ["zhengfu", "zfxx", "zhang", "xian", "zh", "zhengfuxinxigongkai", "shenqingbiao"]


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def load_corpus(n: int) -> list[dict[str, Any]]:
    """Insert agencies, categories and ``n`` policies with bulk inserts; return the rows."""
    db.session.execute(insert(Agency), [dict(a) for a in CORPUS_AGENCIES])
    codes: dict[str, int] = {}
    for row in CORPUS_CATEGORIES:
        cat = Category(code=row["code"], name=row["name"], position=row["position"],
                       parent_id=codes.get(row["parent"] or ""))
        db.session.add(cat)
        db.session.flush()
        codes[row["code"]] = cat.id
    agencies = {name: ident for name, ident in db.session.execute(select(Agency.name, Agency.id))}
    docs: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC)
    for doc in generate_policies(n, seed=0):
        docs.append({k: doc[k] for k in ("title", "doc_number", "issued_on", "category")})
        batch.append({
            "title": doc["title"], "doc_number": doc["doc_number"],
            "issuer_id": agencies[doc["issuer"]], "category_id": codes[doc["category"]],
            "issued_on": dt.date.fromisoformat(doc["issued_on"]),
            "validity": Validity(doc["validity"]), "summary": doc["summary"],
            "body_html": doc["body_html"], "source_url": "", "created_at": now, "updated_at": now,
        })
        if len(batch) >= BATCH:
            db.session.execute(insert(Policy), batch)
            batch = []
    if batch:
        db.session.execute(insert(Policy), batch)
    db.session.commit()
    for doc in docs:
        doc["category_id"] = codes[doc["category"]]
    return docs


def make_queries(docs: list[dict[str, Any]], count: int, seed: int = 1) -> list[tuple[str, str,
                                                                                     SearchFilters]]:
    """A mix of (label, query, filters): words, phrases, 文号, pinyin, filtered searches."""
    rng = random.Random(seed)
    out: list[tuple[str, str, SearchFilters]] = []
    for i in range(count):
        doc = rng.choice(docs)
        title = doc["title"]
        kind = i % 6
        if kind == 0:
            out.append(("word", rng.choice(WORDS), SearchFilters()))
        elif kind == 1:
            start = rng.randrange(max(1, len(title) - 5))
            out.append(("phrase", title[start : start + rng.choice((4, 5, 6))], SearchFilters()))
        elif kind == 2:
            number = doc["doc_number"]
            out.append(("doc_number", number if rng.random() < 0.5 else number[-8:],
                        SearchFilters()))
        elif kind in (3, 4):
            start = rng.randrange(max(1, len(title) - 4))
            syls = syllables(title[start : start + 4])
            if not all(syls):
                syls = ("zheng", "fu", "xin", "xi")
            query = "".join(s[0] for s in syls) if kind == 3 else "".join(syls)
            out.append(("initials" if kind == 3 else "full_pinyin", query, SearchFilters()))
        else:
            filters = rng.choice([
                SearchFilters(year=int(doc["issued_on"][:4])),
                SearchFilters(category_id=doc["category_id"]),
                SearchFilters(validity="有效"),
            ])
            out.append(("filtered", rng.choice(WORDS), filters))
    return out


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return cut[49], cut[94], cut[98]


def show(label: str, samples_ms: list[float], target: float | None = None) -> float:
    p50, p95, p99 = percentiles(samples_ms)
    goal = f"   target p95 ≤ {target:g} ms {'OK' if p95 <= target else 'MISSED'}" if target else ""
    print(f"  {label:<24} p50 {p50:7.2f}  p95 {p95:7.2f}  p99 {p99:7.2f} ms{goal}")
    return p50


def throughput(label: str, samples_ms: list[float], p95_target_ms: float) -> None:
    """Queries per second one after another (one client); no target of its own, so the
    one implied by the p95 target (every query that fast) is shown beside it."""
    rate = len(samples_ms) / (sum(samples_ms) / 1000)
    goal = 1000 / p95_target_ms
    print(f"  {label + ' throughput':<24} {rate:7.0f} queries/s (one client)   "
          f"implied target ≥ {goal:.0f}/s {'OK' if rate >= goal else 'MISSED'}")


def time_calls(calls: list[Callable[[], Any]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def http_get(conn: http.client.HTTPConnection, query: str, filters: SearchFilters) -> int:
    params = {"q": query, "limit": "10"}
    if filters.year:
        params["year"] = str(filters.year)
    if filters.category_id:
        params["category"] = str(filters.category_id)
    if filters.validity:
        params["validity"] = filters.validity
    conn.request("GET", "/api/search?" + urllib.parse.urlencode(params))
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {query!r}")
    return response.status


def like_scan(query: str) -> int:
    """The naive baseline: a LIKE scan over the same entries, newest first, with a count."""
    pattern = f"%{query}%"
    where = ("title LIKE :p OR doc_number LIKE :p OR issuer_name LIKE :p OR body LIKE :p")
    total = db.session.execute(text(f"SELECT COUNT(*) FROM search_entry WHERE {where}"),
                               {"p": pattern}).scalar() or 0
    db.session.execute(text(f"SELECT id FROM search_entry WHERE {where} "
                            "ORDER BY issued_on DESC LIMIT 10"), {"p": pattern}).all()
    return int(total)


def loaded_docs() -> list[dict[str, Any]]:
    """What ``load_corpus`` returned, read back from a database it filled (same order)."""
    rows = db.session.execute(select(Policy.title, Policy.doc_number, Policy.issued_on,
                                     Policy.category_id).order_by(Policy.id))
    return [{"title": t, "doc_number": n, "issued_on": d.isoformat(), "category_id": c}
            for t, n, d, c in rows]


def build_index(docs_count: int) -> None:
    started = time.perf_counter()
    count = reindex_all()
    build = time.perf_counter() - started
    scaled = build * 50_000 / max(1, docs_count)
    print(f"  index build: {count} entries in {build:.1f} s "
          f"(≈ {scaled:.1f} s per 50,000; target ≤ 30 s "
          f"{'OK' if scaled <= 30 else 'MISSED'})")


def prepare(docs_count: int, reuse: bool, rebuild: bool) -> list[dict[str, Any]]:
    """The corpus's rows: loaded and indexed now, or (``reuse``) read from the database."""
    upgrade()
    if reuse:
        docs = loaded_docs()
        print(f"  reusing {len(docs)} policies")
        if rebuild:
            build_index(len(docs))
        return docs
    started = time.perf_counter()
    docs = load_corpus(docs_count)
    print(f"  loaded {docs_count} policies in {time.perf_counter() - started:.1f} s")
    build_index(docs_count)
    return docs


def run(app: Flask, label: str, docs_count: int, queries_count: int, *, reuse: bool = False,
        rebuild: bool = False) -> None:
    print(f"\n== {label} ==")
    with app.app_context():
        docs = prepare(docs_count, reuse, rebuild)
        queries = make_queries(docs, queries_count)
        for _label, q, f in queries[:20]:  # warm caches (pinyin tables, page cache)
            search(q, f)
        by_label: dict[str, list[float]] = {}
        all_samples: list[float] = []
        for qlabel, q, f in queries:
            sample = time_calls([partial(search, q, f)])[0]
            by_label.setdefault(qlabel, []).append(sample)
            all_samples.append(sample)
        print("  in-process search():")
        for qlabel, samples in by_label.items():
            if len(samples) >= 2:
                show(qlabel, samples, TARGETS["in-process p95 ms"])
        fts_p50 = show("all", all_samples, TARGETS["in-process p95 ms"])
        throughput("in-process", all_samples, TARGETS["in-process p95 ms"])
        plain = [q for lbl, q, _ in queries if lbl in ("word", "phrase", "doc_number")][:30]
        like = time_calls([partial(like_scan, q) for q in plain])
        like_p50 = show("LIKE '%q%' scan", like)
        print(f"  LIKE scan p50 / index p50 = {like_p50 / max(fts_p50, 1e-6):.0f}×")
        current, peak = rss_mb()
        print(f"  bench process RSS now {current:.0f} MB, peak {peak:.0f} MB (holds the corpus "
              "and build buffers; not the server's figure)")
        url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
        db.engine.dispose()
    serve_and_measure(url, queries)


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of process ``pid`` in MB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


@contextmanager
def hall_server(url: str) -> Iterator[tuple[int, int]]:
    """``gongkai run`` (one process: Werkzeug's threaded server after ``ready_to_serve``) on
    the database ``url``; yields (port, pid) once it answers, stops it after."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "GONGKAI_SECRET_KEY": "bench"}
    command = [str(Path(sys.executable).parent / "gongkai"), "run", "--host", "127.0.0.1",
               "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            if not wait_port(port, 120):
                log.seek(0)
                raise RuntimeError("gongkai run did not start:\n"
                                   + log.read().decode(errors="replace")[-3000:])
            yield port, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {path}")
    return body


def warm_keyboard(conn: http.client.HTTPConnection) -> float:
    """Ask ``/kiosk/ime`` until the index is built (not "pending"); seconds it took."""
    started = time.perf_counter()
    while True:
        body = json.loads(get(conn, "/kiosk/ime?p=zhengfu"))
        if not body.get("pending"):
            return time.perf_counter() - started
        if time.perf_counter() - started > 300:
            raise RuntimeError("the kiosk keyboard's index was still pending after 300 s")


def serve_and_measure(url: str, queries: list[tuple[str, str, SearchFilters]]) -> None:
    """The figures of the server process itself: search over HTTP, the keyboard warmed and
    used, a kiosk search page and an article opened, then its VmRSS and VmHWM."""
    with hall_server(url) as (port, pid):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ready = proc_status(pid)
        for _label, q, f in queries[:20]:
            http_get(conn, q, f)
        samples = time_calls([partial(http_get, conn, q, f) for _, q, f in queries])
        print("  over HTTP (/api/search, keep-alive; the server is `gongkai run` in its own "
              "process):")
        show("all", samples, TARGETS["http p95 ms"])
        throughput("over HTTP", samples, TARGETS["http p95 ms"])
        ready_s = warm_keyboard(conn)
        print(f"  kiosk keyboard: index ready {ready_s:.1f} s after the first /kiosk/ime")
        for letters in IME_KEYS:
            timed = time_calls([partial(get, conn, f"/kiosk/ime?p={letters}&limit=8")] * 5)
            print(f"    /kiosk/ime?p={letters:<22} median {statistics.median(timed):6.2f} ms")
        found = json.loads(get(conn, "/api/search?" + urllib.parse.urlencode({"q": "社保"})))
        get(conn, "/kiosk/search?" + urllib.parse.urlencode({"q": "社保"}))
        get(conn, "/kiosk/search?" + urllib.parse.urlencode({"q": "zfxxgk"}))
        first = found.get("results", [{}])[0]
        get(conn, str(first.get("url") or "/kiosk/policies/1"))
        conn.close()
        figures = proc_status(pid)
    goal = TARGETS["rss MB"]
    print(f"  server RSS (pid {pid}): when ready {ready['VmRSS']:.0f} MB (peak "
          f"{ready['VmHWM']:.0f}); after search, "
          f"keyboard, pages: VmRSS {figures['VmRSS']:.0f} MB, VmHWM {figures['VmHWM']:.0f} MB;"
          f" target ≤ {goal:g} MB: now {'OK' if figures['VmRSS'] <= goal else 'MISSED'}, "
          f"peak {'OK' if figures['VmHWM'] <= goal else 'MISSED'}")


@contextmanager
def pg_database(url: str) -> Iterator[str]:
    server = normalise_url(url).rpartition("/")[0]
    name = f"gongkai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--pg", help="PostgreSQL URL; a temporary database is made beside it")
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--keep", metavar="DIR", help="build the SQLite database in DIR, keep it")
    keep.add_argument("--reuse", metavar="DIR", help="measure on the database --keep left in DIR")
    parser.add_argument("--rebuild", action="store_true", help="with --reuse: time a rebuild")
    args = parser.parse_args()
    config = {"SECRET_KEY": "bench", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.reuse or args.keep or tmp
        path = Path(folder) / "bench.sqlite3"
        if args.keep:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
        elif args.reuse and not path.exists():
            parser.error(f"no database in {args.reuse} (make one with --keep)")
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        app.instance_path = tmp
        run(app, f"SQLite ({args.docs} documents)", args.docs, args.queries,
            reuse=bool(args.reuse), rebuild=args.rebuild)
        if args.pg:
            with pg_database(args.pg) as url:
                app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
                app.instance_path = tmp
                run(app, f"PostgreSQL ({args.docs} documents)", args.docs, args.queries)


if __name__ == "__main__":
    main()
