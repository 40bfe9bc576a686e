"""Divisions and departments of an organisation, each with an accountable owner (a role).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "division",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_code", sa.String(8), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("code", sa.String(55), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("parent", sa.String(55), nullable=True),
        sa.Column("owner", sa.String(120), nullable=True),
        sa.UniqueConstraint("org_code", "code", name="uq_division_org_code"),
    )
    op.create_index("ix_division_org_code", "division", ["org_code"])


def downgrade() -> None:
    op.drop_index("ix_division_org_code", table_name="division")
    op.drop_table("division")
