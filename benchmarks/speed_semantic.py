"""The semantic part of ``speed.py`` (issue 11): derived vectors, query overhead, throughput.

Embedding 100k listings with the real model would take hours (about ten a second on two
cores), so the listings get *derived* vectors written straight into the embedding cache: the
real model embeds one text per levensgebied (its name and description), and each listing gets
its first levensgebied's vector plus Gaussian noise, normalised. Query vectors are real. The
similarity distribution is therefore realistic enough for the floor and the fusion to do their
normal work, while the set-up takes seconds.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from sociale_kaart.models import Embedding, ServiceEmbedding
from sociale_kaart.search.semantic import embedding_text, to_bytes
from sociale_kaart.search.vocabulary import CATEGORY_BITS

NOISE = 0.35
CHUNK = 5000


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _topic_vectors(embedder) -> dict[int, np.ndarray]:
    from sociale_kaart.services.taxonomy import terms_by_facet

    terms = terms_by_facet()["levensgebied"]
    codes = [c for c in CATEGORY_BITS if c in terms]
    texts = [f"{terms[c].name}. {terms[c].description or ''}" for c in codes]
    vectors = embedder.embed_passages(texts)
    return {CATEGORY_BITS[c]: v for c, v in zip(codes, vectors, strict=True)}


def write_derived_vectors(db, search, embedder, say) -> float:
    """Give every listing waiting for a vector a derived one; returns seconds taken."""
    t = time.perf_counter()
    semantic = search.semantic
    topics = _topic_vectors(embedder)
    fallback = np.mean(np.stack(list(topics.values())), axis=0)
    search.engine._refresh()
    columns = search.engine._columns
    category_of = {}
    for docnum, service_id in enumerate(columns.ids):
        bits = int(columns.categories[docnum])
        category_of[service_id] = (bits & -bits).bit_length() - 1 if bits else -1
    rows = []
    seen = set()
    for service_id, text_hash in semantic.missing():
        if text_hash in seen:
            continue
        seen.add(text_hash)
        rng = np.random.default_rng(int(hashlib.md5(text_hash.encode()).hexdigest()[:8], 16))
        base = topics.get(category_of.get(service_id, -1), fallback)
        vector = base + NOISE * rng.standard_normal(semantic.dim).astype(np.float32) / \
            np.sqrt(semantic.dim) * 4
        vector /= np.linalg.norm(vector)
        rows.append({"text_hash": text_hash, "model": semantic.model, "dim": semantic.dim,
                     "vector": to_bytes(vector)})
    # Thesaurus phrases (used to bridge queries in other languages): derived the same way.
    for text_hash, _phrase in semantic.missing_phrases().items():
        rng = np.random.default_rng(int(text_hash[:8], 16))
        vector = fallback + rng.standard_normal(semantic.dim).astype(np.float32) * 0.05
        rows.append({"text_hash": text_hash, "model": semantic.model, "dim": semantic.dim,
                     "vector": to_bytes(vector / np.linalg.norm(vector))})
    for start in range(0, len(rows), CHUNK):
        with db.session() as session:
            session.execute(insert(Embedding), rows[start:start + CHUNK])
    semantic.load()
    semantic.load_phrases()
    seconds = time.perf_counter() - t
    say(f"semantic: {len(seen)} derived listing vectors (+ {len(rows) - len(seen)} phrases) "
        f"written and loaded in {seconds:.1f}s; {len(semantic)} listings have a vector")
    return seconds


def measure_semantic(n, corpus, db, search, options, result, say, run_query) -> None:
    from speed import query_mix

    from sociale_kaart.search import embedder as embedder_module
    from sociale_kaart.search.embedder import load_embedder

    embedder = load_embedder()
    result["semantic_setup_s"] = write_derived_vectors(db, search, embedder, say)
    mix = query_mix(corpus, options.queries, options.seed)
    engine = search.engine
    semantic = engine.semantic
    # Embedding a query (first time; later searches for it come from the cache).
    embed_ms = []
    for _kind, args in mix:
        text = args.get("q", "")
        if not text.strip():
            continue
        semantic.forget_queries()
        t = time.perf_counter()
        semantic.query_vector(text, budget_ms=None)  # wait: this times the model itself
        embed_ms.append((time.perf_counter() - t) * 1000)
    for _kind, args in mix:  # warm-up of both paths (and every query's vector cached)
        for mode in (None, semantic):
            engine.semantic = mode
            run_query(search, args)
    timings = _interleaved(search, engine, semantic, mix, run_query, embedder_module)
    result["semantic"] = {**_figures(timings, "cached"),
                          "embed_query_p50": percentile(embed_ms, 50),
                          "embed_query_p95": percentile(embed_ms, 95)}
    for name, *_ in VARIANTS[1:]:
        result["semantic"].update({f"first_{name}_{key}": value
                                   for key, value in _figures(timings, name).items()})
    s = result["semantic"]
    say(f"semantic query overhead over {s['queries']} queries with words (query vectors "
        f"cached): lexical p50 {s['lexical_p50']:.1f} / p95 {s['lexical_p95']:.1f} ms, hybrid "
        f"p50 {s['hybrid_p50']:.1f} / p95 {s['hybrid_p95']:.1f} ms, added per query p50 "
        f"{s['added_p50']:.1f} / p95 {s['added_p95']:.1f} ms (process CPU time: p50 "
        f"{s['added_cpu_p50']:.1f} / p95 {s['added_cpu_p95']:.1f} ms)")
    say(f"embedding a new query (not cached): p50 {s['embed_query_p50']:.1f} ms, p95 "
        f"{s['embed_query_p95']:.1f} ms")
    for name, overlap, threads, _ in VARIANTS[1:]:
        f = _figures(timings, name)
        say(f"semantic, each query searched for the first time ({name.replace('_', ' ')}: "
            f"{'overlapped with' if overlap else 'before'} the lexical work, query embedding "
            f"on {threads} thread{'s' * (threads > 1)}): hybrid p50 {f['hybrid_p50']:.1f} / "
            f"p95 {f['hybrid_p95']:.1f} ms, added per query p50 {f['added_p50']:.1f} / p95 "
            f"{f['added_p95']:.1f} ms (process CPU time: p50 {f['added_cpu_p50']:.1f} / p95 "
            f"{f['added_cpu_p95']:.1f} ms); {f['late']} of {f['queries']} vectors came too "
            f"late (budget {semantic.budget_ms} ms: answered lexically)")
    # Throughput of the real model on real listing texts of this corpus.
    from sociale_kaart.search.documents import documents_for

    session = db.Session()
    try:
        ids = [sid for sid, _ in search.semantic.missing()] or None
        if ids is None:
            ids = [row for row in session.scalars(select(ServiceEmbedding.service_id)
                                                  .limit(options.embed_sample))]
        texts = [embedding_text(doc) for _sid, doc in documents_for(session, ids[
            :options.embed_sample]) if doc is not None]
    finally:
        session.close()
    t = time.perf_counter()
    for start in range(0, len(texts), 8):
        embedder.embed_passages(texts[start:start + 8])
    seconds = time.perf_counter() - t
    result["embed_rate"] = len(texts) / seconds if seconds else float("nan")
    say(f"embedding throughput (real model, {len(texts)} listing texts, batches of 8): "
        f"{result['embed_rate']:.1f} listings/s")


#: The hybrid searches timed against the lexical one: (name, overlap the embedding with the
#: lexical work, OpenMP threads of the query embedding, query vector searched for the first
#: time). ``cached`` first; the others search each query as if it were new.
VARIANTS = [("cached", True, 1, False), ("old_order", False, 1, True),
            ("overlapped", True, 1, True), ("overlapped_2_threads", True, 2, True)]


def _interleaved(search, engine, semantic, mix, run_query, embedder_module) -> dict:
    """Each query with words lexical-only and in every variant, back to back and in a rotating
    order, so the machine's load (which changes from second to second on a shared box) weighs
    on all of them alike. Added time is measured against the same query's lexical time."""
    default_threads = embedder_module.QUERY_THREADS
    runs = [("lexical", None, None, False), *VARIANTS]
    timings: dict[str, dict[str, list]] = {
        name: {"wall": [], "cpu": [], "late": []} for name, *_ in runs}
    queries = [args for _kind, args in mix if args.get("q", "").strip()]
    try:
        for i, args in enumerate(queries):
            semantic.query_vector(args["q"], budget_ms=None)  # cached for the "cached" run
            for name, overlap, threads, first_time in runs[i % len(runs):] + runs[:i % len(runs)]:
                engine.semantic = None if name == "lexical" else semantic
                engine.overlap_query_embedding = overlap is not False
                embedder_module.QUERY_THREADS = threads or default_threads
                if first_time:
                    semantic.forget_queries()
                t, c = time.perf_counter(), time.process_time()
                run_query(search, args)
                timings[name]["wall"].append((time.perf_counter() - t) * 1000)
                timings[name]["cpu"].append((time.process_time() - c) * 1000)
                # Still embedding: the budget ran out and the search answered lexically. Let
                # it finish before the next run, which would otherwise share the cores with it.
                timings[name]["late"].append(semantic.pending_queries() > 0)
                semantic.query_vector(args["q"], budget_ms=None)
    finally:
        engine.semantic = semantic
        engine.overlap_query_embedding = True
        embedder_module.QUERY_THREADS = default_threads
    return timings


def _figures(timings: dict, name: str) -> dict:
    lexical, hybrid = timings["lexical"], timings[name]
    series = {"lexical": lexical["wall"], "hybrid": hybrid["wall"],
              "added": [h - x for h, x in zip(hybrid["wall"], lexical["wall"], strict=True)],
              "added_cpu": [h - x for h, x in zip(hybrid["cpu"], lexical["cpu"], strict=True)]}
    figures = {"queries": len(hybrid["wall"]), "late": sum(hybrid["late"])}
    for key, values in series.items():
        for p in (50, 95):
            figures[f"{key}_p{p}"] = percentile(values, p)
    return figures


def compare_import(n, corpus, options, result, say) -> None:
    """A bulk import with a commit-following SearchService (the CLI's set-up), semantic search
    on and off: the import records text hashes but never waits for the model."""
    from speed import TODAY

    from sociale_kaart.config import load_settings
    from sociale_kaart.db import Database
    from sociale_kaart.search import SearchService
    from sociale_kaart.services.imports import write_records

    records = corpus.records(n)
    times = {}
    for mode in ("off", "auto"):
        with tempfile.TemporaryDirectory(prefix="sk-import-") as tmp:
            settings = load_settings(Path(tmp) / "instance", today=TODAY, database_url="",
                                     semantic=mode)
            db = Database(settings.database_url)
            db.upgrade()
            SearchService(settings, db)  # follows commits, like `sociale-kaart import`
            t = time.perf_counter()
            for start in range(0, len(records), options.chunk):
                write_records(db, records[start:start + options.chunk], [])
            times[mode] = time.perf_counter() - t
            db.dispose()
    result["import_compare"] = times
    say(f"bulk import of {n} with a commit-following search: semantic off "
        f"{times['off']:.1f}s, semantic auto {times['auto']:.1f}s "
        f"({(times['auto'] / times['off'] - 1) * 100:+.1f} %)")


def micro(sizes: list[int], repeats: int = 200) -> None:
    """The semantic signal's own cost per query at each size, without a corpus: similarity of a
    query vector to N listing vectors (the in-memory matrix), alignment with the index's
    documents (cached per index version) and the fusion with a lexical score. A lower bound of
    the added latency (the re-ranking of the fused candidates comes on top)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from sociale_kaart.search.fusion import fuse
    from sociale_kaart.search.semantic import SemanticIndex

    rng = np.random.default_rng(1)
    for n in sizes:
        index = SemanticIndex(db=None, model_name="micro", dim=384, embedder_factory=lambda: None)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"s{i}" for i in range(n)]
        for service_id, vector in zip(ids, vectors, strict=True):
            index._put(service_id, vector)
        index.version += 1
        key = object()
        lexical = np.where(rng.random(n) < 0.02, rng.random(n) * 10, 0).astype(np.float32)
        allowed = rng.random(n) < 0.8
        timings = []
        for _ in range(repeats):
            query = rng.standard_normal(384).astype(np.float32)
            query /= np.linalg.norm(query)
            t = time.perf_counter()
            sims = index.similarities(ids, key, query, within=allowed)
            fuse(lexical, lexical > 0, sims, allowed, trusted=True, foreign=False)
            timings.append((time.perf_counter() - t) * 1000)
        print(f"N={n}: similarity + fusion per query p50 {percentile(timings, 50):.2f} ms, "
              f"p95 {percentile(timings, 95):.2f} ms ({repeats} queries)")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=micro.__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    micro([int(s) for s in parser.parse_args().sizes.split(",")])
