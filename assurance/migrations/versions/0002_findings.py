"""Findings with a lifecycle, and their transition history.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(40), nullable=False, unique=True),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("pack", sa.String(), nullable=False),
        sa.Column("org_code", sa.String(8), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("labels", sa.String(), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(), nullable=True),
        sa.Column("consecutive_periods", sa.Integer(), nullable=False),
        sa.Column("first_breach_period", sa.String(), nullable=True),
        sa.Column("last_breach_period", sa.String(), nullable=True),
        sa.Column("last_period", sa.String(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("times_opened", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("facts", sa.String(), nullable=False),
        sa.Column("ack_by", sa.String(), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_note", sa.String(), nullable=True),
        sa.Column("action_owner", sa.String(), nullable=True),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("action_note", sa.String(), nullable=True),
        sa.Column("silenced_reason", sa.String(), nullable=True),
        sa.Column("silenced_by", sa.String(), nullable=True),
        sa.Column("silenced_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_finding_rule_id", "finding", ["rule_id"])
    op.create_index("ix_finding_org_code", "finding", ["org_code"])
    op.create_index("ix_finding_open", "finding", ["open"])
    op.create_table(
        "finding_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("period", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
    )
    op.create_index("ix_finding_event_finding_id", "finding_event", ["finding_id"])


def downgrade() -> None:
    op.drop_table("finding_event")
    op.drop_table("finding")
