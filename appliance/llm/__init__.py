"""Local text generation through llama.cpp."""

from appliance.llm.engine import ChatMessage, GenerationParams, LlamaEngine

__all__ = ["ChatMessage", "GenerationParams", "LlamaEngine"]
