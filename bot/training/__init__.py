"""Training data and fine-tuning: importers (ChatGPT exports, session logs, another Qdrant collection), the
chat-format JSONL export, its validation, and fine-tuning jobs on any OpenAI-compatible API."""
