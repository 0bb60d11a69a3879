"""Language models behind one interface: offline (none), Gemini and Ollama.

The model only proposes: an understanding the state machine validates, a phrasing of a reply
whose numbers the grounding guard checks, the products read from a photo. Money and stock are
moved by code. Every call is bounded (timeouts, retries, a circuit breaker, a token budget)
and degrades to the offline path.
"""
