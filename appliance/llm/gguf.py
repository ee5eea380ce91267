"""What a GGUF file says about itself, read from its header before llama.cpp loads it.

An administrator who brings a model (Llama 3.2 1B/3B Instruct, a fine-tune, a LoRA
adapter) gets a clear refusal for a file that is not a GGUF, is an adapter where a
model is expected (or the reverse), or has no chat template, instead of a crash or
a model that answers in the wrong format. The header is parsed with ``gguf``, the
reader maintained with llama.cpp (gguf-py), which memory-maps the file and reads
only the key-value metadata and tensor index.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import ModelError

if TYPE_CHECKING:
    from gguf import GGUFReader

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class GgufInfo:
    """A GGUF file's identity as its header states it.

    ``kind`` is "model" or "adapter" (a LoRA adapter, ``general.type = adapter``);
    ``context_length`` is the training context in tokens (None if the header has
    none); ``chat_template`` says whether ``tokenizer.chat_template`` is present;
    ``kv_bytes_per_token`` is the KV cache one token of context takes in llama.cpp's
    default f16 cache: layers x KV heads x (key + value head size) x 2 bytes (None when
    the header lacks one of them).
    """

    path: Path
    kind: str
    architecture: str
    name: str
    context_length: int | None
    chat_template: bool
    size: int
    kv_bytes_per_token: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "architecture": self.architecture,
            "name": self.name,
            "context_length": self.context_length,
            "chat_template": self.chat_template,
            "size": self.size,
            "kv_bytes_per_token": self.kv_bytes_per_token,
        }


def _field(reader: GGUFReader, key: str) -> Any:
    """The value of header field ``key`` (its type depends on the field), or None."""
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        return field.contents()
    except (ValueError, IndexError, TypeError):
        return None


def read_gguf(path: Path) -> GgufInfo:
    """The header of ``path``, read once per file version (path, size, modification
    time): gguf-py parses every metadata array, the tokenizer's too, which takes
    seconds of CPU for a 49k-token vocabulary.

    Raises :class:`ModelError` naming the file when it is missing, not a regular
    file, not a GGUF (bad magic), or its header cannot be parsed (truncated).
    """
    if not path.exists():
        raise ModelError(f"{path} not found.")
    if not path.is_file():
        raise ModelError(f"{path} is not a regular file.")
    stat = path.stat()
    return _read_header(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _read_header(path: Path, size: int, mtime_ns: int) -> GgufInfo:
    with path.open("rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise ModelError(
                f"{path} is not a GGUF file (its first bytes are not 'GGUF'). Convert the "
                "model with llama.cpp's convert_hf_to_gguf.py, or download its GGUF release."
            )
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
    except Exception as exc:  # the reader raises ValueError, struct errors, IndexError...
        raise ModelError(
            f"{path} has a GGUF header that cannot be read ({exc}); the file may be truncated."
        ) from exc
    architecture = str(_field(reader, "general.architecture") or "")
    kind = "adapter" if _field(reader, "general.type") == "adapter" else "model"
    context = _field(reader, f"{architecture}.context_length")
    return GgufInfo(
        path=path,
        kind=kind,
        architecture=architecture,
        name=str(_field(reader, "general.name") or path.stem),
        context_length=int(context) if context is not None else None,
        chat_template=bool(_field(reader, "tokenizer.chat_template")),
        size=size,
        kv_bytes_per_token=_kv_bytes_per_token(reader, architecture),
    )


def _kv_bytes_per_token(reader: GGUFReader, arch: str) -> int | None:
    """Bytes of f16 KV cache per token of context (llama.cpp's default cache type):
    ``block_count`` x ``attention.head_count_kv`` x (``attention.key_length`` +
    ``attention.value_length``) x 2; the head sizes default, as in llama.cpp, to
    ``embedding_length`` / ``attention.head_count``. None when a field is missing."""
    layers = _field(reader, f"{arch}.block_count")
    heads = _field(reader, f"{arch}.attention.head_count")
    kv_heads = _field(reader, f"{arch}.attention.head_count_kv") or heads
    width = _field(reader, f"{arch}.embedding_length")
    if not isinstance(layers, int) or not isinstance(kv_heads, int) or not kv_heads:
        return None  # also a per-layer list of KV heads (some architectures): not sized
    head = width // heads if isinstance(width, int) and isinstance(heads, int) and heads else None
    key = _field(reader, f"{arch}.attention.key_length") or head
    value = _field(reader, f"{arch}.attention.value_length") or head
    if not isinstance(key, int) or not isinstance(value, int):
        return None
    return layers * kv_heads * (key + value) * 2


def check_chat_model(path: Path) -> GgufInfo:
    """``path``'s header if it is a chat model llama.cpp can serve here, else
    :class:`ModelError` saying what is wrong and what to do."""
    info = read_gguf(path)
    if info.kind == "adapter":
        raise ModelError(
            f"{path} is a LoRA adapter, not a model: add the base model, then give the "
            "adapter with --lora."
        )
    if not info.architecture:
        raise ModelError(f"{path} names no architecture in its header; llama.cpp cannot load it.")
    if not info.chat_template:
        raise ModelError(
            f"{path} has no chat template (tokenizer.chat_template) in its header, so the "
            "appliance cannot tell it where a question starts and an answer ends. Use the "
            "model's Instruct/chat GGUF release, not the base model."
        )
    return info


def check_adapter(path: Path, base: GgufInfo) -> GgufInfo:
    """``path``'s header if it is a LoRA adapter for ``base``'s architecture."""
    info = read_gguf(path)
    if info.kind != "adapter":
        raise ModelError(f"{path} is a model, not a LoRA adapter (general.type is not 'adapter').")
    if info.architecture and base.architecture and info.architecture != base.architecture:
        raise ModelError(
            f"{path} is an adapter for {info.architecture!r} models; the base model is "
            f"{base.architecture!r}."
        )
    return info
