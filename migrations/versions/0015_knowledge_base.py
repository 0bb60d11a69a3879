"""knowledge base: the shop's documents, their passages and the keyword index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: an FTS5 table over kb_chunks.terms (external content, kept in step by triggers).
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
    "terms, content='kb_chunks', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER kb_chunks_fts_insert AFTER INSERT ON kb_chunks BEGIN "
    "INSERT INTO kb_chunks_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN "
    "INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER kb_chunks_fts_update AFTER UPDATE OF terms ON kb_chunks BEGIN "
    "INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); "
    "INSERT INTO kb_chunks_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
# PostgreSQL: a GIN index over the 'simple' tsvector of the terms normalised in Python.
_POSTGRES_FTS = [
    "CREATE INDEX ix_kb_chunks_terms_fts ON kb_chunks "
    "USING gin (to_tsvector('simple'::regconfig, terms))",
]


def upgrade() -> None:
    op.create_table(
        "kb_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("characters", sa.BigInteger(), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source"),
    )
    op.create_table(
        "kb_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["kb_documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "position"),
    )
    with op.batch_alter_table("kb_chunks") as batch_op:
        batch_op.create_index("ix_kb_chunks_document_id", ["document_id"], unique=False)
    statements = _SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_chunks_fts")
    else:
        op.execute("DROP INDEX ix_kb_chunks_terms_fts")
    op.drop_table("kb_chunks")
    op.drop_table("kb_documents")
