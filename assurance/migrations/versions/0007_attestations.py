"""Attestations: statements an organisation attests to, with evidence hash and expiry.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attestation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_code", sa.String(8), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("statement", sa.String(120), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("attested_by", sa.String(120), nullable=False),
        sa.Column("attested_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.Column("evidence_name", sa.String(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attestation_org_statement", "attestation", ["org_code", "statement"])


def downgrade() -> None:
    op.drop_index("ix_attestation_org_statement", table_name="attestation")
    op.drop_table("attestation")
