#!/usr/bin/env python3
"""Build the shipped Dutch lexicon ``data/lexicon/nl-words.txt.gz`` from ``wordfreq``.

Why: the compound splitter (``sociale_kaart.search.compounds``) needs a list of Dutch words
with a frequency estimate. We generate it once, offline, and commit the result, so the
application never imports ``wordfreq`` at run time (it is a build-time dependency only).

Data source and licence
-----------------------
The words and frequencies come from the ``wordfreq`` Python package (Robyn Speer,
https://github.com/rspeer/wordfreq, version 3.x), list ``large_nl``. The wordfreq *code* is
Apache-2.0; its *data* is redistributable under Creative Commons Attribution-ShareAlike 4.0
(https://creativecommons.org/licenses/by-sa/4.0/). The Dutch list is aggregated from
Wikipedia, OPUS OpenSubtitles 2018 and SUBTLEX-NL (Keuleers, Brysbaert & New, 2010; the
SUBTLEX authors must be credited and it must remain clear that SUBTLEX is freely available
data), NewsCrawl/GlobalVoices, OSCAR web text and Twitter. The generated file is a derived
work and is therefore distributed under CC BY-SA 4.0 as well (see data/lexicon/README.md).
Cite: Robyn Speer (2022). rspeer/wordfreq: v3.0. Zenodo. doi:10.5281/zenodo.7199437.

Format
------
gzip-compressed UTF-8 text, one ``word<TAB>zipf`` per line, sorted by word. Words are folded
exactly like the search analyzer folds text (lower-case, diacritics removed: ``café`` ->
``cafe``); spellings that fold to the same word have their frequencies summed. Only purely
alphabetic words of length >= 3 are kept. Zipf = log10(frequency per billion words), rounded
to two decimals.

Rebuild
-------
    .venv/bin/pip install wordfreq        # build-time only
    .venv/bin/python scripts/build_lexicon.py [--top 150000] [--out data/lexicon/nl-words.txt.gz]
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sociale_kaart.search.analysis import fold  # noqa: E402

DEFAULT_TOP = 150_000
DEFAULT_OUT = ROOT / "data" / "lexicon" / "nl-words.txt.gz"


def build(top: int) -> dict[str, float]:
    """Return folded word -> zipf for the ``top`` most frequent Dutch wordfreq entries."""
    import wordfreq  # build-time dependency only

    freqs: dict[str, float] = {}
    for word in wordfreq.top_n_list("nl", top, wordlist="large"):
        folded = fold(word)
        if len(folded) < 3 or not folded.isalpha() or not folded.isascii():
            continue
        freq = wordfreq.word_frequency(word, "nl", wordlist="large")
        if freq <= 0:
            continue
        freqs[folded] = freqs.get(folded, 0.0) + freq
    # zipf = log10(frequency per billion words) = log10(freq) + 9
    return {w: round(math.log10(f) + 9, 2) for w, f in freqs.items()}


def write(lexicon: dict[str, float], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{w}\t{z:.2f}\n" for w, z in sorted(lexicon.items()))
    data = lines.encode("utf-8")
    if out.suffix == ".gz":
        # mtime=0 keeps the output byte-identical between rebuilds (clean git diffs).
        with open(out, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as fh:
            fh.write(data)
    else:
        out.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="wordfreq entries to read")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=".txt or .txt.gz")
    args = parser.parse_args(argv)
    lexicon = build(args.top)
    write(lexicon, args.out)
    print(f"wrote {len(lexicon)} words to {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
