"""Digests: a held finding message records the digest that carried it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column (no foreign key): SQLite adds it in place, without rebuilding the table.
    op.add_column("notification", sa.Column("digest_id", sa.Integer(), nullable=True))
    op.create_index("ix_notification_held", "notification",
                    ["status", "subscription", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_held", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("digest_id")
