"""An administrator brings a model: its GGUF header is read, bad files are refused with
a clear message, and the model is chosen per collection or as the default, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.errors import ModelError
from tests.conftest import run_cli


def _gguf(path: Path, *, arch: str = "llama", template: bool = False, adapter: bool = False):
    """A real GGUF file (llama.cpp's own writer): metadata, no weights."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("test model")
    writer.add_context_length(2048)
    if template:
        writer.add_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    if adapter:
        writer.add_type("adapter")
        writer.add_string("adapter.type", "lora")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_model_without_a_chat_template_is_refused_with_the_reason(app, tmp_path) -> None:
    base = _gguf(tmp_path / "base-model.gguf")
    with pytest.raises(ModelError, match="no chat template"):
        app.add_model(base)
    assert app.models_added() == {}


def test_a_file_that_is_not_a_gguf_is_refused(app, tmp_path) -> None:
    fake = tmp_path / "llama.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        app.add_model(fake)
    with pytest.raises(ModelError, match="not found"):
        app.add_model(tmp_path / "missing.gguf")


def test_an_adapter_is_not_a_model_and_must_match_the_base(app, tmp_path, model_dir) -> None:
    adapter = _gguf(tmp_path / "lora.gguf", adapter=True)
    with pytest.raises(ModelError, match="LoRA adapter, not a model"):
        app.add_model(adapter)
    other = _gguf(tmp_path / "lora-qwen.gguf", arch="qwen2", adapter=True)
    chat = model_dir / "SmolLM2-135M-Instruct.Q4_1.gguf"
    with pytest.raises(ModelError, match="adapter for 'qwen2' models"):
        app.add_model(chat, name="smol", lora=other)
    with pytest.raises(ModelError, match="is a model, not a LoRA adapter"):
        app.add_model(chat, name="smol", lora=chat)


def test_an_added_model_answers_its_collection_and_the_audit_names_it(
    app, tmp_path, model_dir
) -> None:
    """The default GGUF under another name stands in for a site's Llama 3.2: same code
    path, a real header, a real load."""
    site_model = tmp_path / "site-model.gguf"
    site_model.symlink_to(model_dir / "SmolLM2-135M-Instruct.Q4_1.gguf")
    info = app.add_model(site_model, name="site-llm")
    assert info.architecture == "llama" and info.context_length and len(info.sha256) == 64
    with pytest.raises(ModelError, match="exists"):
        app.add_model(site_model, name="site-llm")
    doc = tmp_path / "rules.txt"
    doc.write_text("Visitor rules.\n\nVisitor badges are returned to reception every evening.\n")
    app.ingest([doc], "visitors")
    app.use_model("site-llm", collection="visitors")
    assert app.model_for("visitors").name == "site-llm"
    assert app.model_for(None).name == app.settings.chat_model
    app.ask("Where are visitor badges returned?", "visitors").result()
    asked = list(app.audit.records(action="question.ask"))[-1]
    assert asked["detail"]["model"] == "site-llm"
    assert asked["detail"]["model_sha256"] == info.sha256
    added = list(app.audit.records(action="model.add"))[-1]
    assert added["detail"]["model_sha256"] == info.sha256
    changed = list(app.audit.records(action="model.change"))[-1]
    assert changed["resource"] == "collection:visitors" and changed["detail"]["previous"] is None
    # Back to the default; an unknown model is refused by name.
    app.use_model(None, collection="visitors")
    assert app.model_for("visitors").name == app.settings.chat_model
    with pytest.raises(ModelError, match="no model named 'nope'"):
        app.use_model("nope")


def test_the_cli_refuses_a_base_model_in_one_clear_line(tmp_path) -> None:
    base = _gguf(tmp_path / "Llama-3.2-3B.gguf")
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    result = run_cli("models", "add", str(base), data_dir=data)
    assert result.returncode != 0
    assert "no chat template" in result.stderr and "Traceback" not in result.stderr
