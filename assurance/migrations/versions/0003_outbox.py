"""The outbox: run-time subscriptions, notifications and per-channel finding threads.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("match", sa.String(), nullable=False),
        sa.Column("min_level", sa.String(40), nullable=True),
        sa.Column("repeat_every", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), nullable=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("finding_event.id"), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("subscription", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(40), nullable=True),
        sa.Column("provider_message_id", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("alert_for", sa.Integer(), sa.ForeignKey("notification.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notification_due", "notification", ["status", "next_attempt_at"])
    op.create_index("ix_notification_order", "notification", ["finding_id", "channel", "status"])
    op.create_index("ix_notification_recent", "notification", ["channel", "sent_at"])
    op.create_table(
        "thread",
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), primary_key=True),
        sa.Column("channel", sa.String(80), primary_key=True),
        sa.Column("provider_message_id", sa.String(), nullable=False),
        sa.Column("extra", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("thread")
    op.drop_index("ix_notification_recent", table_name="notification")
    op.drop_index("ix_notification_order", table_name="notification")
    op.drop_index("ix_notification_due", table_name="notification")
    op.drop_table("notification")
    op.drop_table("subscription")
