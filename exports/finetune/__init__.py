"""Conversations as fine-tuning files (Gemini and OpenAI chat JSONL), personal data replaced."""
