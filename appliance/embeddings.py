"""Sentence embedders run by onnxruntime, chosen by name.

* ``all-MiniLM-L6-v2`` (the default, English): texts are tokenised with the
  model's own ``tokenizer.json``, sorted by length and batched so each batch is
  padded only to its longest member (chromadb's stock function pads every input
  to 256 tokens). Vectors are mean-pooled over real tokens and L2-normalised, so
  a dot product is the cosine similarity.
* ``use-multilingual-v3`` (Google's universal-sentence-encoder-multilingual v3,
  16 languages, 512 dimensions): the ONNX graph takes strings and tokenises them
  itself (a SentencePiece operator from onnxruntime-extensions); its vectors are
  unit length already. The same SentencePiece model, read by the sentencepiece
  library, counts tokens.

Both satisfy :class:`Embedder`. A collection records the name of the embedder
its vectors come from; its questions are embedded by the same one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from appliance.errors import ModelError
from appliance.models import EMBEDDERS, EMBEDDING_DIR, MULTILINGUAL_EMBEDDING_DIR

if TYPE_CHECKING:
    from tokenizers import Encoding

DEFAULT_EMBEDDER = EMBEDDING_DIR  # "all-MiniLM-L6-v2"
MULTILINGUAL_EMBEDDER = MULTILINGUAL_EMBEDDING_DIR  # "use-multilingual-v3"
__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDERS",
    "MULTILINGUAL_EMBEDDER",
    "Embedder",
    "OnnxEmbedder",
    "UseEmbedder",
    "check_embedder_name",
    "load_embedder",
]


class Embedder(Protocol):
    """What ingestion and retrieval need of an embedder."""

    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), rows of unit length."""
        ...

    def embed_one(self, text: str) -> np.ndarray:
        """float32 vector (dimension,), unit length."""
        ...

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the encoder reads for ``texts``."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest passage in tokens the chunker should give it."""
        ...

    def token_count(self, text: str) -> int:
        """Tokens of ``text``, special tokens included, before any truncation."""
        ...

    def pieces_per_word(self, words: list[str]) -> float:
        """Vocabulary pieces per word (1.0 for no words)."""
        ...


def check_embedder_name(name: str) -> str:
    """``name`` if it is a known embedder; :class:`ModelError` naming the known ones."""
    if name not in EMBEDDERS:
        raise ModelError(f"unknown embedder {name!r}: choose one of {', '.join(EMBEDDERS)}.")
    return name


def load_embedder(
    name: str,
    model_dir: Path,
    *,
    max_tokens: int = 256,
    batch_size: int = 32,
    n_threads: int | None = None,
) -> Embedder:
    """The embedder ``name`` from its folder in ``model_dir``.

    Raises :class:`ModelError` for an unknown name or missing / unloadable files."""
    check_embedder_name(name)
    if name == MULTILINGUAL_EMBEDDER:
        return UseEmbedder(
            model_dir, max_tokens=max_tokens, batch_size=batch_size, n_threads=n_threads
        )
    return OnnxEmbedder(
        model_dir / name, max_tokens=max_tokens, batch_size=batch_size, n_threads=n_threads
    )


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (or any BERT-style ONNX encoder laid out the same way)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        max_tokens: int = 256,
        batch_size: int = 32,
        n_threads: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = model_dir / EMBEDDING_DIR if (model_dir / EMBEDDING_DIR).is_dir() else model_dir
        onnx_path = folder / "model.onnx"
        tok_path = folder / "tokenizer.json"
        for path in (onnx_path, tok_path):
            if not path.is_file():
                raise ModelError(
                    f"embedding model file {path} not found: run `appliance models install`."
                )
        self.name = folder.name
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tok_path))
        self._max_tokens = max_tokens
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        opts = ort.SessionOptions()
        if n_threads:
            opts.intra_op_num_threads = n_threads
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"onnxruntime could not load {onnx_path}: {exc}") from exc
        self._input_names = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1])
        # An InferenceSession may be shared across threads; the tokenizer's
        # truncation state is per object, so encode under a lock.
        self._tok_lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts; returns float32 array (len(texts), dimension), unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._tok_lock:
            encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._run([encodings[i] for i in idx])
        return out

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the encoder reads for ``texts`` (after truncation)."""
        with self._tok_lock:
            return sum(len(e.ids) for e in self._tokenizer.encode_batch(texts))

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector

    @property
    def max_tokens(self) -> int:
        """The encoder's window: longer texts are cut to this many tokens."""
        return self._max_tokens

    def token_count(self, text: str) -> int:
        """Tokens ``text`` takes in the encoder's window, special tokens included,
        before any truncation."""
        with self._tok_lock:
            self._tokenizer.no_truncation()
            try:
                return len(self._tokenizer.encode(text).ids)
            finally:
                self._tokenizer.enable_truncation(max_length=self._max_tokens)

    def pieces_per_word(self, words: list[str]) -> float:
        """Tokens the encoder's vocabulary needs per word of ``words`` (unknown words
        count as one). An encoder trained on English reads English words in one or
        two pieces and cuts Greek, Bulgarian or Polish words into letters; its
        similarities between texts it cuts up that way mean little. 1.0 for no words.
        """
        if not words:
            return 1.0
        with self._tok_lock:
            self._tokenizer.no_truncation()
            try:
                encodings = self._tokenizer.encode_batch(words, add_special_tokens=False)
            finally:
                self._tokenizer.enable_truncation(max_length=self._max_tokens)
        return sum(max(1, len(e.ids)) for e in encodings) / len(words)

    def _run(self, batch: list[Encoding]) -> np.ndarray:
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        types = np.zeros((len(batch), width), dtype=np.int64)
        for row, enc in enumerate(batch):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {k: v for k, v in feed.items() if k in self._input_names}
        hidden: np.ndarray = self._session.run(None, feed)[0]
        if hidden.ndim == 3:  # token states: mean over real tokens
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        else:
            pooled = hidden
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit


class UseEmbedder:
    """universal-sentence-encoder-multilingual v3 (quantised ONNX, 512 dimensions).

    ``model_dir`` is the appliance's model directory or the model's own folder
    (``model.onnx`` and ``sp.model``). ``max_tokens`` is what the chunker aims at:
    the encoder itself reads texts of any length."""

    name = MULTILINGUAL_EMBEDDER

    def __init__(
        self,
        model_dir: Path,
        *,
        max_tokens: int = 256,
        batch_size: int = 32,
        n_threads: int | None = None,
    ) -> None:
        import onnxruntime as ort
        import sentencepiece
        from onnxruntime_extensions import get_library_path

        own = model_dir / MULTILINGUAL_EMBEDDING_DIR
        folder = own if own.is_dir() else model_dir
        onnx_path, sp_path = folder / "model.onnx", folder / "sp.model"
        for path in (onnx_path, sp_path):
            if not path.is_file():
                raise ModelError(
                    f"embedding model file {path} not found: run `appliance models install`."
                )
        self.batch_size = batch_size
        self._max_tokens = max_tokens
        self._pieces = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))
        opts = ort.SessionOptions()
        opts.register_custom_ops_library(get_library_path())
        if n_threads:
            opts.intra_op_num_threads = n_threads
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"onnxruntime could not load {onnx_path}: {exc}") from exc
        self._input = self._session.get_inputs()[0].name
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts; returns float32 array (len(texts), dimension), unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = np.array(texts[start : start + self.batch_size], dtype=object)
            vectors: np.ndarray = self._session.run(None, {self._input: batch})[0]
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[start : start + len(batch)] = vectors / np.clip(norms, 1e-12, None)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector

    def count_tokens(self, texts: list[str]) -> int:
        """SentencePiece pieces of ``texts``."""
        return sum(len(ids) for ids in self._pieces.encode(list(texts)))

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def token_count(self, text: str) -> int:
        """SentencePiece pieces of ``text`` (the encoder adds no special tokens)."""
        return len(self._pieces.encode(text))

    def pieces_per_word(self, words: list[str]) -> float:
        """Pieces per word of ``words`` in the encoder's 128k-piece vocabulary, which
        covers its 16 languages (1.0 for no words)."""
        if not words:
            return 1.0
        return sum(max(1, len(ids)) for ids in self._pieces.encode(list(words))) / len(words)
