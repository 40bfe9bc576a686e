"""One import per (source, file SHA-256): two instances importing the same file at once
cannot both store it.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.create_unique_constraint("uq_import_batch_source_sha256", ["source", "sha256"])


def downgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_constraint("uq_import_batch_source_sha256", type_="unique")
