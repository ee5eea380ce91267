"""Local text generation through llama.cpp: in-process, or on llama-server nodes."""

from appliance.llm.engine import ChatEngine, ChatMessage, GenerationParams, LlamaEngine

__all__ = ["ChatEngine", "ChatMessage", "GenerationParams", "LlamaEngine"]
