"""One router per feature: sign-in, chat, documents, compliance, administration."""
