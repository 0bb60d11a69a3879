"""Telegram through python-telegram-bot: a webhook with a secret token (or polling) in, the Bot
API out (from the outbox)."""
