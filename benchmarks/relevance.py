"""Relevance benchmark: nDCG@10, Recall@10, MRR, success@3 and zero-result rate.

Imports an HSDS data set (default: ``../shared/sample-data``) into a temporary instance, runs
every query of ``queries.jsonl`` through the same search service the API uses, and scores the
results against ``qrels.tsv`` (``qid<TAB>service_id<TAB>grade``). Prints the figures overall
and per query kind, beside a plain baseline: Whoosh with its default analyzer over name and
description, BM25F, no synonyms, no filters.

With the embedding model installed it also embeds the listings (vectors are kept in a cache
file between runs, by text hash) and prints lexical only, semantic only (cosine over the same
filtered candidates) and hybrid side by side, overall, per query kind and, on the translated
queries of ``benchmarks/data/queries-multilingual.jsonl`` (judged with the public judgments of
the Dutch original), per language.

    python benchmarks/relevance.py [--data DIR] [--today YYYY-MM-DD] [--per-query]
                                   [--weight W] [--floor F] [--margin M] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from werkzeug.datastructures import MultiDict

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sociale_kaart.config import load_settings  # noqa: E402
from sociale_kaart.db import Database  # noqa: E402
from sociale_kaart.search import SearchService  # noqa: E402
from sociale_kaart.search.params import parse_params  # noqa: E402
from sociale_kaart.services.imports import import_paths  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "sample-data"
MULTILINGUAL = REPO / "benchmarks" / "data" / "queries-multilingual.jsonl"
VECTOR_CACHE = Path(tempfile.gettempdir()) / "sociale-kaart-bench-vectors.npz"
K = 10


def load_queries(data: Path) -> list[dict]:
    with open(data / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_qrels(data: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(data / "qrels.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                qid, service_id, grade = line.rstrip("\n").split("\t")
                qrels[qid][service_id] = int(grade)
    return qrels


def hsds_source(data: Path) -> Path:
    for candidate in (data / "hsds" / "services.json", data / "services.json", data / "hsds"):
        if candidate.exists():
            return candidate
    raise SystemExit(f"no HSDS data found in {data}")


def dcg(grades: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def metrics(ranked: list[str], judged: dict[str, int]) -> dict[str, float]:
    grades = [judged.get(doc, 0) for doc in ranked[:K]]
    ideal = dcg(sorted(judged.values(), reverse=True)[:K])
    relevant = {doc for doc, g in judged.items() if g >= 1}
    rr = 0.0
    for i, doc in enumerate(ranked):
        if judged.get(doc, 0) >= 2:
            rr = 1 / (i + 1)
            break
    return {
        "ndcg@10": dcg(grades) / ideal if ideal else 0.0,
        "recall@10": len(relevant & set(ranked[:K])) / len(relevant) if relevant else 0.0,
        "mrr": rr,
        "success@3": 1.0 if any(judged.get(d, 0) >= 2 for d in ranked[:3]) else 0.0,
        "zero": 1.0 if not ranked else 0.0,
    }


def query_args(query: dict) -> MultiDict:
    args = MultiDict({"q": query["q"], "per_page": "100"})
    for key, value in (query.get("filters") or {}).items():
        if key == "free":
            args["free"] = "1" if value else "0"
        else:
            args[key] = str(value)
    return args


def run_engine(service: SearchService, queries: list[dict]) -> dict[str, list[str]]:
    runs = {}
    for query in queries:
        result = service.search(parse_params(query_args(query)))
        runs[query["qid"]] = [hit.id for hit in result.hits]
    return runs


def run_baseline(db: Database, queries: list[dict], workdir: Path) -> dict[str, list[str]]:
    """Plain Whoosh: default analyzer, name + description, OR of the words, no filters."""
    from sqlalchemy import select
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser, OrGroup

    from sociale_kaart.models import Service

    schema = Schema(id=ID(stored=True, unique=True), name=TEXT, description=TEXT)
    folder = workdir / "baseline-index"
    folder.mkdir()
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    with db.session() as session:
        for service in session.scalars(select(Service)):
            writer.add_document(id=service.id, name=service.name,
                                description=service.description or "")
    writer.commit()
    parser = MultifieldParser(["name", "description"], schema, group=OrGroup)
    runs = {}
    with ix.searcher() as searcher:
        for query in queries:
            parsed = parser.parse(query["q"])
            runs[query["qid"]] = [hit["id"] for hit in searcher.search(parsed, limit=100)]
    return runs


def summarise(runs: dict[str, list[str]], queries: list[dict],
              qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
    for query in queries:
        scores = metrics(runs.get(query["qid"], []), qrels.get(query["qid"], {}))
        by_kind["all"].append(scores)
        by_kind[query.get("kind", "?")].append(scores)
    return {kind: {name: sum(s[name] for s in rows) / len(rows) for name in rows[0]}
            for kind, rows in by_kind.items()}


def print_table(title: str, table: dict[str, dict[str, float]], counts: dict[str, int]) -> None:
    print(f"\n{title}")
    print(f"{'kind':<14}{'n':>4}{'nDCG@10':>10}{'R@10':>8}{'MRR':>8}{'S@3':>8}{'zero':>8}")
    for kind in ["all"] + sorted(k for k in table if k != "all"):
        row = table[kind]
        print(f"{kind:<14}{counts[kind]:>4}{row['ndcg@10']:>10.3f}{row['recall@10']:>8.3f}"
              f"{row['mrr']:>8.3f}{row['success@3']:>8.3f}{row['zero']:>8.3f}")


# -- semantic and hybrid ------------------------------------------------------------------
def load_multilingual(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def prepare_vectors(service: SearchService, db: Database, cache: Path) -> float:
    """Embed every listing, reusing the vectors of earlier runs (by text hash). Returns the
    embedding throughput in listings per second (nan when everything came from the cache)."""
    import time

    import numpy as np

    from sociale_kaart.models import Embedding

    semantic = service.semantic
    if cache.exists():
        stored = np.load(cache)
        with db.session() as session:
            wanted = {h for _, h in semantic.missing()} | set(semantic.missing_phrases())
            for key in wanted & set(stored.files):
                session.add(Embedding(text_hash=key, model=semantic.model, dim=semantic.dim,
                                      vector=stored[key].astype("<f2").tobytes()))
        semantic.load()
        semantic.load_phrases()
    started = time.perf_counter()
    embedded = service.embed_missing()
    seconds = time.perf_counter() - started
    with db.session() as session:
        from sqlalchemy import select

        rows = session.execute(select(Embedding.text_hash, Embedding.vector)).all()
    # Written aside and renamed: another run reading the cache never sees half a file.
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial.npz")
    np.savez(partial, **{h: np.frombuffer(v, dtype="<f2") for h, v in rows})
    os.replace(partial, cache)
    return embedded / seconds if embedded else float("nan")


def allowed_ids(service: SearchService, query: dict) -> list[str]:
    """Every listing the filters and rules allow for this query (no words)."""
    args = query_args(query)
    args["q"] = ""
    ids: list[str] = []
    page = 1
    while True:
        args["page"] = str(page)
        result = service.search(parse_params(args))
        ids += [hit.id for hit in result.hits]
        if page >= result.pages:
            return ids
        page += 1


def run_semantic_only(service: SearchService, queries: list[dict]) -> dict[str, list[str]]:
    """Cosine similarity alone, over the same filtered candidates, best 100."""
    import numpy as np

    semantic = service.semantic
    runs = {}
    for query in queries:
        ids = allowed_ids(service, query)
        vector = semantic.query_vector(query["q"])
        sims = semantic.similarities(ids, object(), vector)
        order = np.argsort(-np.nan_to_num(sims, nan=-2.0), kind="stable")
        runs[query["qid"]] = [ids[i] for i in order[:100] if not np.isnan(sims[i])]
    return runs


def run_modes(service: SearchService, queries: list[dict]) -> dict[str, dict[str, list[str]]]:
    semantic = service.engine.semantic
    service.engine.semantic = None
    lexical = run_engine(service, queries)
    service.engine.semantic = semantic
    return {"lexical": lexical, "semantic": run_semantic_only(service, queries),
            "hybrid": run_engine(service, queries)}


def print_side_by_side(title: str, tables: dict[str, dict[str, dict[str, float]]],
                       counts: dict[str, int], rows: list[str]) -> None:
    print(f"\n{title}")
    names = list(tables)
    print(f"{'':<14}{'n':>4}" + "".join(f"{name + ' nDCG@10':>20}" for name in names)
          + "".join(f"{name + ' S@3':>16}" for name in names))
    for row in rows:
        print(f"{row:<14}{counts[row]:>4}"
              + "".join(f"{tables[name][row]['ndcg@10']:>20.3f}" for name in names)
              + "".join(f"{tables[name][row]['success@3']:>16.3f}" for name in names))


def multilingual_tables(runs: dict[str, list[str]], queries: list[dict],
                        qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Metrics per language; each translated query is judged as its Dutch original."""
    judged = {q["qid"]: qrels.get(q["judged_as"], {}) for q in queries}
    by_lang: dict[str, list[dict[str, float]]] = defaultdict(list)
    for query in queries:
        by_lang[query["lang"]].append(metrics(runs.get(query["qid"], []), judged[query["qid"]]))
    return {lang: {name: sum(s[name] for s in rows) / len(rows) for name in rows[0]}
            for lang, rows in by_lang.items()}


def meaning_alone(service: SearchService, queries: list[dict],
                  qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Per language ("nl": the public set): hybrid hits that entered on meaning alone (the
    words did not find them), how many of those are judged relevant, how many stand in a top
    ten, and the mean number of results per query. Why: nDCG@10 does not see a result list
    padded with loosely related listings below the top ten; residents do."""
    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for query in queries:
        lang = query.get("lang", "nl")
        judged = qrels.get(query.get("judged_as", query["qid"]), {})
        result = service.search(parse_params(query_args(query)))
        row = found[lang]
        row["queries"] += 1
        row["results"] += result.total
        for rank, hit in enumerate(result.hits):
            if not (hit.why or {}).get("semantic_only"):
                continue
            relevant = judged.get(hit.id, 0) >= 1
            row["alone"] += 1
            row["alone relevant"] += relevant
            if rank < K:
                row["top ten"] += 1
                row["top ten relevant"] += relevant
    return found


def print_meaning_alone(found: dict[str, dict[str, float]]) -> None:
    print("\nListings on meaning alone (hybrid, up to 100 hits per query; judged relevant)")
    print(f"{'':<6}{'in the lists':>16}{'in a top ten':>16}{'results/query':>15}")
    for lang, row in found.items():
        print(f"{lang:<6}{row['alone']:>9.0f} ({row['alone relevant']:>3.0f})"
              f"{row['top ten']:>9.0f} ({row['top ten relevant']:>3.0f})"
              f"{row['results'] / row['queries']:>15.1f}")


def semantic_report(service: SearchService, db: Database, queries: list[dict],
                    qrels: dict[str, dict[str, int]], counts: dict[str, int],
                    args: argparse.Namespace) -> None:
    throughput = prepare_vectors(service, db, args.vector_cache)
    embedded, total = service.semantic.counts()
    print(f"\nembeddings: {embedded}/{total} listings; model {service.semantic.model}; "
          f"throughput this run: {throughput:.1f} listings/s (nan: all from the cache "
          f"{args.vector_cache})")
    config = service.engine.fusion
    print(f"fusion: {config}")
    if args.sweep:
        sweep(service, queries, qrels)
        return
    modes = run_modes(service, queries)
    tables = {name: summarise(runs, queries, qrels) for name, runs in modes.items()}
    kinds = ["all"] + sorted(k for k in counts if k != "all")
    print_side_by_side("Public set: lexical only, semantic only, hybrid", tables, counts, kinds)
    gain = tables["hybrid"]["all"]["ndcg@10"] - tables["lexical"]["all"]["ndcg@10"]
    worst = min(tables["hybrid"][k]["ndcg@10"] - tables["lexical"][k]["ndcg@10"] for k in kinds)
    print(f"\nhybrid - lexical nDCG@10: {gain:+.3f} overall; worst kind {worst:+.3f}")
    multilingual = load_multilingual(args.multilingual)
    if multilingual:
        ml_modes = run_modes(service, multilingual)
        ml_tables = {name: multilingual_tables(runs, multilingual, qrels)
                     for name, runs in ml_modes.items()}
        for name in ml_tables:
            ml_tables[name]["nl"] = tables[name]["all"]
        ml_counts: dict[str, int] = defaultdict(int)
        for query in multilingual:
            ml_counts[query["lang"]] += 1
        ml_counts["nl"] = counts["all"]
        langs = ["nl"] + sorted(k for k in ml_counts if k != "nl")
        print_side_by_side(f"Per language ({args.multilingual.name}; nl = the public set)",
                           ml_tables, ml_counts, langs)
        dutch = ml_tables["hybrid"]["nl"]["ndcg@10"]
        ratios = ", ".join(f"{lang} {ml_tables['hybrid'][lang]['ndcg@10'] / dutch:.2f}"
                           for lang in langs[1:])
        print(f"hybrid nDCG@10 per language / Dutch: {ratios}")
        if args.per_query:
            print("\nper translated query (lexical, semantic, hybrid nDCG@10, q):")
            judged = {q["qid"]: qrels.get(q["judged_as"], {}) for q in multilingual}
            for query in multilingual:
                values = [metrics(ml_modes[m][query["qid"]], judged[query["qid"]])["ndcg@10"]
                          for m in ("lexical", "semantic", "hybrid")]
                print(f"{query['qid']:<9}" + " ".join(f"{v:.3f}" for v in values)
                      + f"  {query['q']}")
    print_meaning_alone(meaning_alone(service, queries + multilingual, qrels))
    if args.per_query:
        print("\nper query (lexical, semantic, hybrid nDCG@10, q):")
        for query in queries:
            values = [metrics(modes[m][query["qid"]], qrels.get(query["qid"], {}))["ndcg@10"]
                      for m in ("lexical", "semantic", "hybrid")]
            print(f"{query['qid']} {query['kind']:<12} " + " ".join(f"{v:.3f}" for v in values)
                  + f"  {query['q']}")


def sweep(service: SearchService, queries: list[dict],
          qrels: dict[str, dict[str, int]]) -> None:
    """nDCG@10 of the hybrid for a grid of weights, floors and margins on the public set (how
    the defaults were chosen; the translated queries are not used for it)."""
    from dataclasses import replace

    base = service.engine.fusion
    print("\nsweep (Dutch queries; the foreign settings stay): weight floor margin  "
          "public-nDCG@10  worst-kind-delta")
    service.engine.semantic, semantic = None, service.engine.semantic
    lexical = summarise(run_engine(service, queries), queries, qrels)
    service.engine.semantic = semantic
    for weight in (0.2, 0.3, 0.45, 0.6):
        for floor in (0.79, 0.81):
            for margin in (0.05, 0.08, 0.12):
                service.engine.fusion = replace(base, semantic_weight=weight, floor=floor,
                                                margin=margin)
                table = summarise(run_engine(service, queries), queries, qrels)
                worst = min(table[k]["ndcg@10"] - lexical[k]["ndcg@10"] for k in table)
                print(f"{weight:>12.2f} {floor:.2f} {margin:.2f} {table['all']['ndcg@10']:>14.3f}"
                      f"{worst:>18.3f}", flush=True)
    service.engine.fusion = base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--today", default="2026-11-22",
                        help="reference date of the data set (the sample data's is 2026-11-22)")
    parser.add_argument("--per-query", action="store_true", help="print every query's figures")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the index after the import (adds the listing vocabulary)")
    parser.add_argument("--multilingual", type=Path, default=MULTILINGUAL,
                        help="translated queries (JSON Lines with qid, judged_as, lang, q)")
    parser.add_argument("--vector-cache", type=Path, default=VECTOR_CACHE,
                        help="file that keeps the listing vectors between runs (by text hash)")
    parser.add_argument("--weight", type=float, help="semantic weight (default: the setting)")
    parser.add_argument("--glossary-weight", type=float,
                        help="weight of the multilingual glossary's Dutch terms (0: off)")
    parser.add_argument("--floor", type=float, help="similarity floor")
    parser.add_argument("--margin", type=float, help="similarity margin below the best")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override any FusionConfig field (search/fusion.py), repeatable")
    parser.add_argument("--sweep", action="store_true",
                        help="only print a grid of weights/floors/margins on the public set")
    parser.add_argument("--lexical-only", action="store_true",
                        help="skip the semantic figures (semantic = off)")
    args = parser.parse_args()

    queries = load_queries(args.data)
    qrels = load_qrels(args.data)
    counts: dict[str, int] = defaultdict(int)
    for query in queries:
        counts["all"] += 1
        counts[query.get("kind", "?")] += 1
    from datetime import date

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "instance", today=date.fromisoformat(args.today),
                                 database_url="",
                                 semantic="off" if args.lexical_only else "auto")
        settings.database_url = f"sqlite:///{settings.database_path}"
        db = Database(settings.database_url)
        db.upgrade()
        service = SearchService(settings, db)
        if args.glossary_weight is not None:
            service.engine.planner.glossary_weight = args.glossary_weight
        if service.semantic is not None:
            service.semantic.budget_ms = None  # relevance, not speed: always wait for the model
            from dataclasses import replace

            overrides = {key: value for key, value in (
                ("semantic_weight", args.weight), ("floor", args.floor),
                ("margin", args.margin)) if value is not None}
            for item in args.set:
                key, value = item.split("=", 1)
                overrides[key] = type(getattr(service.engine.fusion, key))(value)
            service.engine.fusion = replace(service.engine.fusion, **overrides)
            semantic, service.engine.semantic = service.engine.semantic, None
        report = import_paths(db, [hsds_source(args.data)])
        if args.rebuild:
            service.rebuild()
        print(f"data: {args.data} ({report.summary()}); queries: {len(queries)}")
        engine_runs = run_engine(service, queries)  # the lexical engine (the former figures)
        baseline_runs = run_baseline(db, queries, Path(tmp))
        engine = summarise(engine_runs, queries, qrels)
        baseline = summarise(baseline_runs, queries, qrels)
        print_table("Sociale Kaart engine", engine, counts)
        print_table("Baseline (plain Whoosh, default analyzer, no synonyms, no filters)",
                    baseline, counts)
        gain = engine["all"]["ndcg@10"] - baseline["all"]["ndcg@10"]
        print(f"\nnDCG@10 gain over baseline: {gain:+.3f}")
        if service.semantic is not None:
            service.engine.semantic = semantic
            semantic_report(service, db, queries, qrels, counts, args)
        elif not args.lexical_only:
            print("\nsemantic search is off: the embedding model could not be loaded")
        if args.per_query and service.semantic is None:
            print("\nper query (nDCG@10, S@3, q):")
            for query in queries:
                m = metrics(engine_runs[query["qid"]], qrels.get(query["qid"], {}))
                print(f"{query['qid']} {query['kind']:<12} {m['ndcg@10']:.3f} "
                      f"{m['success@3']:.0f}  {query['q']}")
        db.dispose()
    # issue 12: the same run on PostgreSQL with the postgres search backend, printed beside.
    from relevance_pg import run_postgres

    pg_runs = run_postgres(args.data, args.today, args.rebuild, run_engine, queries,
                           hybrid=not args.lexical_only)
    for mode, mode_runs in (pg_runs or {}).items():
        pg = summarise(mode_runs, queries, qrels)
        print_table(f"Sociale Kaart engine, postgres backend, {mode} "
                    "(SOCIALE_KAART_SEARCH_BACKEND=postgres)", pg, counts)
        gap = pg["all"]["ndcg@10"] - engine["all"]["ndcg@10"]
        print(f"\nnDCG@10 postgres {mode} - whoosh lexical: {gap:+.3f}")


if __name__ == "__main__":
    main()
