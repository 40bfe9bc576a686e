"""Interventions register: actions an organisation takes against an indicator, for evaluation.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intervention",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_code", sa.String(8), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("metric_id", sa.String(80), nullable=False),
        sa.Column("division", sa.String(55), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("peers", sa.String(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(), nullable=True),
    )
    op.create_index("ix_intervention_org_code", "intervention", ["org_code"])


def downgrade() -> None:
    op.drop_index("ix_intervention_org_code", table_name="intervention")
    op.drop_table("intervention")
