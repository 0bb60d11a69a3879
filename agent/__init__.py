"""salesagent: a conversational sales agent for shops."""

__version__ = "0.1.0"
