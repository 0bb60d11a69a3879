"""What the agent may not do alone becomes a proposal a manager approves, edits or rejects.

`kinds` is the registry (what each kind changes and how it is applied), `asks` reads a
customer's request for one, `decisions` writes proposals and decides them (each decision with
its audit row, an approved effect applied in the same transaction, the customer told).
"""
