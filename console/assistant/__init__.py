"""The staff assistant: a question in plain Spanish or English read as one of a fixed set of
read-only queries (never free SQL), answered with a table and, where it helps, a chart."""
