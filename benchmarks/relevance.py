"""Relevance benchmark: nDCG@10, Recall@10, MRR, success@3 and zero-result rate.

Imports an HSDS data set (default: ``../shared/sample-data``) into a temporary instance, runs
every query of ``queries.jsonl`` through the same search service the API uses, and scores the
results against ``qrels.tsv`` (``qid<TAB>service_id<TAB>grade``). Prints the figures overall
and per query kind, beside a plain baseline: Whoosh with its default analyzer over name and
description, BM25F, no synonyms, no filters.

    python benchmarks/relevance.py [--data DIR] [--today YYYY-MM-DD] [--per-query]
"""

from __future__ import annotations

import argparse
import json
import math
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--today", default="2026-11-22",
                        help="reference date of the data set (the sample data's is 2026-11-22)")
    parser.add_argument("--per-query", action="store_true", help="print every query's figures")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the index after the import (adds the listing vocabulary)")
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
                                 database_url="")
        settings.database_url = f"sqlite:///{settings.database_path}"
        db = Database(settings.database_url)
        db.upgrade()
        service = SearchService(settings, db)
        report = import_paths(db, [hsds_source(args.data)])
        if args.rebuild:
            service.rebuild()
        print(f"data: {args.data} ({report.summary()}); queries: {len(queries)}")
        engine_runs = run_engine(service, queries)
        baseline_runs = run_baseline(db, queries, Path(tmp))
        engine = summarise(engine_runs, queries, qrels)
        baseline = summarise(baseline_runs, queries, qrels)
        print_table("Sociale Kaart engine", engine, counts)
        print_table("Baseline (plain Whoosh, default analyzer, no synonyms, no filters)",
                    baseline, counts)
        gain = engine["all"]["ndcg@10"] - baseline["all"]["ndcg@10"]
        print(f"\nnDCG@10 gain over baseline: {gain:+.3f}")
        if args.per_query:
            print("\nper query (nDCG@10, S@3, q):")
            for query in queries:
                m = metrics(engine_runs[query["qid"]], qrels.get(query["qid"], {}))
                print(f"{query['qid']} {query['kind']:<12} {m['ndcg@10']:.3f} "
                      f"{m['success@3']:.0f}  {query['q']}")
        db.dispose()


if __name__ == "__main__":
    main()
