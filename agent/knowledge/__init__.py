"""The shop's knowledge base: documents → passages with their headings → keyword index and,
optionally, vectors; searched by both and ranked together (README "Knowledge base")."""
