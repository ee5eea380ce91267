"""Choosing a collection's embedder: the multilingual model, re-embedding a collection
(resumable after a kill), and retrieval that never mixes two embedders' vectors.
Real models (all-MiniLM-L6-v2 and use-multilingual-v3, ONNX), real Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from appliance.embeddings import DEFAULT_EMBEDDER, MULTILINGUAL_EMBEDDER, load_embedder
from appliance.errors import ModelError
from appliance.rag.spaces import space_of, vector_space
from tests.conftest import make_app, run_cli

# One file per passage: workplace rules in four EU languages. The questions share
# (almost) no words with their passage.
PASSAGES = {
    "kantine.txt": "Die Kantine im Erdgeschoss serviert werktags von 11:30 bis 14 Uhr warme "
    "Mahlzeiten für alle Beschäftigten.",
    "badge.txt": "Les visiteurs doivent porter un badge et être accompagnés par un employé "
    "dans tout le bâtiment.",
    "urlop.txt": "Urlop wypoczynkowy należy zgłosić przełożonemu co najmniej dwa tygodnie "
    "wcześniej przez system kadrowy.",
    "incendio.txt": "In caso di incendio usare le scale e raggiungere il punto di raccolta nel "
    "parcheggio; non prendere l'ascensore.",
}
QUESTIONS = [
    ("Wann bekomme ich im Haus etwas zu essen?", "kantine.txt"),
    ("Les invités peuvent-ils circuler seuls dans l'immeuble ?", "badge.txt"),
    ("Jak długo przed wyjazdem muszę poprosić szefa o wolne?", "urlop.txt"),
    ("Dove dobbiamo andare se suona l'allarme antincendio?", "incendio.txt"),
    # Across languages: an English question, a German passage.
    ("When is lunch served for staff?", "kantine.txt"),
]


def _write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in PASSAGES.items():
        (folder / name).write_text(text + "\n")
        paths.append(folder / name)
    return paths


@pytest.fixture(scope="module")
def multilingual(model_dir: Path):
    return load_embedder(MULTILINGUAL_EMBEDDER, model_dir)


def test_the_multilingual_embedder_reads_european_languages(multilingual) -> None:
    vectors = multilingual.embed(["Recht auf Löschung", "Droit à l'effacement", "Pogoda"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The same right in German and French lies closer than either to "weather" (pl).
    assert vectors[0] @ vectors[1] > max(vectors[0] @ vectors[2], vectors[1] @ vectors[2])
    # Its vocabulary holds German and Polish words whole or nearly so.
    assert multilingual.pieces_per_word(["Datenschutz", "przetwarzanie", "Löschung"]) <= 2.5
    assert multilingual.token_count("Recht auf Löschung") > 0


def test_a_multilingual_question_finds_its_passage(tmp_path: Path, embedder, engine) -> None:
    """A collection created while embedding_model is use-multilingual-v3 is embedded by it,
    and its questions in German, French, Polish, Italian and English find their passage
    by meaning (dense search alone, and through the appliance's retrieval)."""
    app = make_app(tmp_path / "data", embedder, engine, embedding_model=MULTILINGUAL_EMBEDDER)
    try:
        app.ingest(_write(tmp_path / "docs"), "rules")
        col = app.get_collection("rules")
        assert col.embedder == MULTILINGUAL_EMBEDDER
        assert app.index.count(space_of(col)) == len(PASSAGES)
        for question, wanted in QUESTIONS:
            dense = app.retriever.retrieve(question, col, 1, hybrid=False)
            assert dense and Path(dense[0].source).name == wanted, question
            hits = app.retrieve(question, "rules", k=3)
            assert hits and Path(hits[0].source).name == wanted, question
    finally:
        app.close()


def test_reembedding_switches_the_collection_and_its_questions(
    tmp_path: Path, embedder, engine
) -> None:
    app = make_app(tmp_path / "data", embedder, engine)  # default: all-MiniLM-L6-v2
    try:
        app.ingest(_write(tmp_path / "docs"), "rules")
        other = tmp_path / "other.txt"
        other.write_text("The archive room opens at nine and closes at five.")
        app.ingest([other], "english")
        col = app.get_collection("rules")
        assert col.embedder == DEFAULT_EMBEDDER and space_of(col) == "rules"
        before = app.index.vectors("rules", [f"{d.id}:0" for d in app.documents("rules")])
        assert {v.shape for v in before.values()} == {(384,)}

        result = app.reembed_collection("rules", MULTILINGUAL_EMBEDDER)
        assert (result.before, result.after) == (DEFAULT_EMBEDDER, MULTILINGUAL_EMBEDDER)
        assert (result.embedded, result.resumed, result.chunks) == (4, 0, 4)
        col = app.get_collection("rules")
        assert col.embedder == MULTILINGUAL_EMBEDDER and col.reembed_to is None
        space = vector_space("rules", MULTILINGUAL_EMBEDDER)
        after = app.index.vectors(space, [f"{d.id}:0" for d in app.documents("rules")])
        assert len(after) == 4 and {v.shape for v in after.values()} == {(512,)}
        assert app.index.count("rules") == 0  # the old space is gone
        # Questions are embedded by the collection's embedder: a 384-dimension query
        # against this space could not even be run, and the German passage comes first.
        assert app.retriever.embedder_for(col).name == MULTILINGUAL_EMBEDDER
        hits = app.retrieve("Wann bekomme ich im Haus etwas zu essen?", "rules", k=3)
        assert hits and Path(hits[0].source).name == "kantine.txt"
        assert hits[0].dense_similarity >= app.settings.multilingual_min_dense_similarity
        # Another collection keeps its own embedder and answers as before.
        assert app.get_collection("english").embedder == DEFAULT_EMBEDDER
        hits = app.retrieve("When does the archive room open?", "english", k=1)
        assert hits and "nine" in hits[0].text

        # New documents go into the collection's new space; deletion empties it.
        extra = tmp_path / "docs" / "parking.txt"
        extra.write_text("Das Parkhaus ist nur mit gültiger Parkkarte geöffnet.")
        added = app.ingest([extra], "rules")[0]
        assert app.index.count(space) == 5
        app.delete_document(added.document_id or "")
        assert app.index.count(space) == 4

        # Again with the same embedder: nothing to do. Back to the default: allowed.
        assert not app.reembed_collection("rules", MULTILINGUAL_EMBEDDER).changed
        back = app.reembed_collection("rules", DEFAULT_EMBEDDER)
        assert back.after == DEFAULT_EMBEDDER and app.index.count(space) == 0
        assert app.index.count("rules") == 4

        actions = [e for e in app.audit.records() if e["action"] == "collection.reembed"]
        assert len(actions) == 3
        first = actions[0]["detail"]
        assert first["before"] == DEFAULT_EMBEDDER and first["after"] == MULTILINGUAL_EMBEDDER
        assert first["documents_embedded"] == 4 and first["chunks"] == 4
        assert actions[0]["resource"] == "collection:rules"

        with pytest.raises(ModelError, match="unknown embedder"):
            app.reembed_collection("rules", "word2vec")
    finally:
        app.close()


def test_an_interrupted_reembedding_continues_where_it_stopped(
    tmp_path: Path, embedder, engine
) -> None:
    data = tmp_path / "data"
    docs = _write(tmp_path / "docs")
    assert (
        run_cli("ingest", *map(str, docs), "--collection", "rules", data_dir=data).returncode == 0
    )
    killed = run_cli(
        "collections",
        "reembed",
        "rules",
        "--embedder",
        MULTILINGUAL_EMBEDDER,
        data_dir=data,
        env={"APPLIANCE_CRASH_AT": "reembed-document"},
    )
    assert killed.returncode == 137, killed.stderr
    listed = run_cli("collections", "list", "--json", data_dir=data)
    rules = next(c for c in json.loads(listed.stdout) if c["name"] == "rules")
    assert rules["embedder"] == DEFAULT_EMBEDDER and rules["reembed_to"] == MULTILINGUAL_EMBEDDER

    app = make_app(data, embedder, engine)
    try:
        col = app.get_collection("rules")
        space = vector_space("rules", MULTILINGUAL_EMBEDDER)
        # One document was embedded before the kill; questions still use the old space.
        assert app.index.count(space) == 1 and app.index.count("rules") == 4
        hits = app.retrieve("Kantine Mahlzeiten Erdgeschoss", "rules", k=1)
        assert hits and Path(hits[0].source).name == "kantine.txt"
        assert app.retriever.embedder_for(col).name == DEFAULT_EMBEDDER

        result = app.reembed_collection("rules", MULTILINGUAL_EMBEDDER)
        assert (result.resumed, result.embedded, result.chunks) == (1, 3, 3)
        assert app.get_collection("rules").embedder == MULTILINGUAL_EMBEDDER
        assert app.index.count(space) == 4
        hits = app.retrieve("Dove dobbiamo andare se suona l'allarme antincendio?", "rules", k=3)
        assert hits and Path(hits[0].source).name == "incendio.txt"
    finally:
        app.close()


def test_cli_reembed_reports_and_refuses_an_unknown_embedder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    docs = _write(tmp_path / "docs")
    assert run_cli("ingest", str(docs[0]), "--collection", "rules", data_dir=data).returncode == 0
    proc = run_cli(
        "collections", "reembed", "rules", "--embedder", MULTILINGUAL_EMBEDDER, data_dir=data
    )
    assert proc.returncode == 0, proc.stderr
    assert f"embedder {DEFAULT_EMBEDDER} -> {MULTILINGUAL_EMBEDDER}" in proc.stdout
    assert "1 documents, 1 chunks embedded" in proc.stdout
    bad = run_cli("collections", "reembed", "rules", "--embedder", "word2vec", data_dir=data)
    assert bad.returncode == 2 and "word2vec" in bad.stderr
    listed = run_cli("collections", "list", data_dir=data)
    assert f"embedder {MULTILINGUAL_EMBEDDER}" in listed.stdout
