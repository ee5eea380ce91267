"""Multilingual retrieval: the English default embedder against use-multilingual-v3.

``--set gdpr`` (secondary: written by the team, not the figures of record), the
set in multilingual_gdpr.py: 14 GDPR topics, one short passage and one
question per topic in English, German, French, Italian and Polish (written for
this benchmark; see that file). Each question has one right topic. Scored per
question language:

* dense, same language: the question against the 14 passages of its language
  (the embedder's cosine alone);
* dense, all languages: against all 70 passages; a hit is a passage on the right
  topic in any language (cross-lingual matches count);
* appliance: the 70 passages ingested as 70 files into one collection by the real
  pipeline, ``app.retrieve(q, k=5)`` (dense + BM25 fused, relevance gate); the
  collection is then moved to the other embedder with ``reembed_collection`` and
  asked again. A question whose gate keeps fewer than k passages can miss.

recall@1: the first hit is on the right topic; recall@5: one of the first five.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_multilingual.py --set gdpr

``--set manpages`` (the default, the figures of record): text nobody on the team
wrote. Debian's manual pages of apropos, whatis, man, apt-cache, run-parts and
savelog in English, German, French, Italian and Polish (their authors' and
translators' text, GPL; bench/data/manpages_passages.jsonl, rebuilt by
manpages_build.py; 133-187 passages a language) and 29 questions in each
language (manpages_questions.py, frozen before either embedder ran on them).
Scored per question language, against that language's passages only:

* dense: the embedder's cosine alone, recall@1 / recall@5 (a hit: one of the
  question's gold passages);
* appliance: each language's passages ingested as one file each into a
  collection of their own by the real pipeline (default embedder), asked with
  ``app.retrieve(q, k=5)``, then moved with ``reembed_collection`` to
  use-multilingual-v3 and asked again.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_multilingual.py --set manpages
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import manpages_questions as mq
import numpy as np
from benchkit import make_appliance, model_dir, print_footer, print_header, table
from multilingual_gdpr import LANGUAGES, TOPICS, check

from appliance.embeddings import DEFAULT_EMBEDDER, EMBEDDERS, Embedder, load_embedder

K = 5


def _recall(ranked_topics: list[list[str]], wanted: list[str]) -> tuple[float, float]:
    at1 = sum(r[:1] == [w] for r, w in zip(ranked_topics, wanted, strict=True))
    at5 = sum(w in r[:K] for r, w in zip(ranked_topics, wanted, strict=True))
    return at1 / len(wanted), at5 / len(wanted)


def dense_scores(embedder: Embedder) -> dict[str, dict[str, tuple[float, float]]]:
    """{"same": {lang: (r@1, r@5)}, "all": {...}} by the embedder's cosine alone."""
    topics = list(TOPICS)
    passages = [(t, lang, TOPICS[t]["passage"][lang]) for t in topics for lang in LANGUAGES]
    pvecs = embedder.embed([p[2] for p in passages])
    out: dict[str, dict[str, tuple[float, float]]] = {"same": {}, "all": {}}
    for lang in LANGUAGES:
        qvecs = embedder.embed([TOPICS[t]["question"][lang] for t in topics])
        sims = qvecs @ pvecs.T
        same = [i for i, p in enumerate(passages) if p[1] == lang]
        ranked_same = [[passages[same[j]][0] for j in np.argsort(-row[same])] for row in sims]
        ranked_all: list[list[str]] = []
        for row in sims:
            seen: list[str] = []
            for j in np.argsort(-row):
                if passages[j][0] not in seen:
                    seen.append(passages[j][0])
            ranked_all.append(seen)
        out["same"][lang] = _recall(ranked_same, topics)
        out["all"][lang] = _recall(ranked_all, topics)
    return out


def appliance_scores(app, collection: str) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """recall per question language through ``app.retrieve`` (document = topic)."""
    topics = list(TOPICS)
    out = {}
    for lang in LANGUAGES:
        ranked = []
        for t in topics:
            hits = app.retrieve(TOPICS[t]["question"][lang], collection, K)
            ranked.append([topics[int(Path(h.source).stem.split("-")[1])] for h in hits])
        out[lang] = _recall(ranked, topics)
    return out


def main_gdpr() -> None:
    check()
    print_header("Multilingual retrieval: all-MiniLM-L6-v2 vs use-multilingual-v3")
    models = model_dir()
    rows = []
    speed = {}
    for name in EMBEDDERS:
        embedder = load_embedder(name, models, n_threads=2)
        texts = [TOPICS[t]["passage"][lang] for t in TOPICS for lang in LANGUAGES]
        embedder.embed(texts[:8])  # the first run of a session is slow: not timed
        start = time.perf_counter()
        embedder.embed(texts)
        speed[name] = len(texts) / (time.perf_counter() - start)
        scores = dense_scores(embedder)
        for lang in LANGUAGES:
            rows.append([name, lang, *scores["same"][lang], *scores["all"][lang]])
    print("### Dense only (the embedder's cosine)\n")
    print(
        table(
            ["embedder", "lang", "same-lang r@1", "same-lang r@5", "all-lang r@1", "all-lang r@5"],
            rows,
        )
    )
    print()
    for name, rate in speed.items():
        print(f"- {name}: {rate:.0f} passages/s embedded (70 passages, 2 threads)")

    with tempfile.TemporaryDirectory(prefix="bench-ml-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        # Neutral file names: a title naming the topic would give it away.
        for i, t in enumerate(TOPICS):
            for lang in LANGUAGES:
                (folder / f"doc-{i:02d}-{lang}.txt").write_text(TOPICS[t]["passage"][lang] + "\n")
        app = make_appliance(Path(tmp) / "data", embedding_model=DEFAULT_EMBEDDER)
        try:
            app.ingest([folder], "gdpr-ml")
            results = {}
            for name in EMBEDDERS:
                moved = app.reembed_collection("gdpr-ml", name)
                assert moved.after == name
                results[name] = appliance_scores(app, "gdpr-ml")
        finally:
            app.close()
    print("\n### Appliance retrieval (`app.retrieve`, k=5: dense + BM25 + relevance gate)\n")
    print(
        table(
            ["lang", *(f"{n} r@1" for n in EMBEDDERS), *(f"{n} r@5" for n in EMBEDDERS)],
            [
                [
                    lang,
                    *(results[n][lang][0] for n in EMBEDDERS),
                    *(results[n][lang][1] for n in EMBEDDERS),
                ]
                for lang in LANGUAGES
            ],
        )
    )
    print_footer()


def _recall_gold(ranked: list[list[str]], golds: list[list[str]]) -> tuple[float, float]:
    at1 = sum(bool(set(r[:1]) & set(g)) for r, g in zip(ranked, golds, strict=True))
    at5 = sum(bool(set(r[:K]) & set(g)) for r, g in zip(ranked, golds, strict=True))
    return at1 / len(golds), at5 / len(golds)


def main_manpages() -> None:
    passages = mq.load_passages()
    mq.check(passages)
    by_lang = {lang: [p for p in passages if p["lang"] == lang] for lang in mq.LANGUAGES}
    golds = [list(q["gold"]) for q in mq.QUESTIONS]

    def question(i: int, lang: str) -> str:
        return str(mq.QUESTIONS[i]["q"][lang])

    print_header("Multilingual retrieval on Debian manual pages: MiniLM vs use-multilingual-v3")
    print(
        f"- {len(mq.QUESTIONS)} questions a language; passages: "
        + ", ".join(f"{lang} {len(ps)}" for lang, ps in by_lang.items())
    )
    models = model_dir()
    dense: dict[str, dict[str, tuple[float, float]]] = {}
    speed = {}
    for name in EMBEDDERS:
        embedder = load_embedder(name, models, n_threads=2)
        embedder.embed([p["text"] for p in passages[:8]])  # first run of a session: not timed
        dense[name] = {}
        spent = 0.0
        for lang, ps in by_lang.items():
            start = time.perf_counter()
            pvecs = embedder.embed([p["text"] for p in ps])
            spent += time.perf_counter() - start
            qvecs = embedder.embed([question(i, lang) for i in range(len(golds))])
            sims = qvecs @ pvecs.T
            ranked = [[ps[j]["id"] for j in np.argsort(-row)[:K]] for row in sims]
            dense[name][lang] = _recall_gold(ranked, golds)
        speed[name] = len(passages) / spent
    print("\n### Dense only, same language (the embedder's cosine)\n")
    print(
        table(
            ["lang", *(f"{n} r@1" for n in EMBEDDERS), *(f"{n} r@5" for n in EMBEDDERS)],
            [
                [
                    lang,
                    *(dense[n][lang][0] for n in EMBEDDERS),
                    *(dense[n][lang][1] for n in EMBEDDERS),
                ]
                for lang in mq.LANGUAGES
            ],
        )
    )
    print()
    for name, rate in speed.items():
        print(f"- {name}: {rate:.0f} passages/s embedded ({len(passages)} passages, 2 threads)")

    results: dict[str, dict[str, tuple[float, float]]] = {n: {} for n in EMBEDDERS}
    short: dict[str, dict[str, int]] = {n: {} for n in EMBEDDERS}
    with tempfile.TemporaryDirectory(prefix="bench-ml-man-") as tmp:
        app = make_appliance(Path(tmp) / "data", embedding_model=DEFAULT_EMBEDDER)
        try:
            for lang, ps in by_lang.items():
                folder = Path(tmp) / f"docs-{lang}"
                folder.mkdir()
                # Neutral file names: the page and option would give the answer away.
                for i, p in enumerate(ps):
                    (folder / f"doc-{i:04d}.txt").write_text(p["text"] + "\n", encoding="utf-8")
                start = time.perf_counter()
                app.ingest([folder], f"man-{lang}")
                print(f"- ingested {len(ps)} {lang} files in {time.perf_counter() - start:.0f} s")
                for name in EMBEDDERS:
                    moved = app.reembed_collection(f"man-{lang}", name)
                    assert moved.after == name
                    ranked = []
                    for i in range(len(golds)):
                        hits = app.retrieve(question(i, lang), f"man-{lang}", K)
                        found = [int(Path(h.source).stem.split("-")[1]) for h in hits]
                        ranked.append([ps[j]["id"] for j in found])
                        short[name][lang] = short[name].get(lang, 0) + (len(hits) < K)
                    results[name][lang] = _recall_gold(ranked, golds)
        finally:
            app.close()
    print("\n### Appliance retrieval (`app.retrieve`, k=5: dense + BM25 + relevance gate)\n")
    print(
        table(
            [
                "lang",
                *(f"{n} r@1" for n in EMBEDDERS),
                *(f"{n} r@5" for n in EMBEDDERS),
                *(f"{n} <5 hits" for n in EMBEDDERS),
            ],
            [
                [
                    lang,
                    *(results[n][lang][0] for n in EMBEDDERS),
                    *(results[n][lang][1] for n in EMBEDDERS),
                    *(short[n][lang] for n in EMBEDDERS),
                ]
                for lang in mq.LANGUAGES
            ],
        )
    )
    print("\n(<5 hits: questions for which the relevance gate kept fewer than five passages.)")
    print_footer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--set",
        choices=("manpages", "gdpr"),
        default="manpages",
        help="manpages: public text (figures of record); gdpr: the team-written set",
    )
    if parser.parse_args().set == "gdpr":
        main_gdpr()
    else:
        main_manpages()


if __name__ == "__main__":
    main()
