"""Initial store: organisations, periods, imports, observations, survey questions, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("org_type", sa.String(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("ics", sa.String(), nullable=True),
        sa.Column("benchmark_group", sa.String(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "period",
        sa.Column("key", sa.String(24), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
    )
    op.create_index("ix_period_kind", "period", ["kind"])
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("superseded_observations", sa.Integer(), nullable=False),
        sa.Column("importer_version", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
    )
    op.create_index("ix_import_batch_source", "import_batch", ["source"])
    op.create_index("ix_import_batch_sha256", "import_batch", ["sha256"])
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=False),
        sa.Column("org_code", sa.String(8), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("period_key", sa.String(24), sa.ForeignKey("period.key"), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("group", sa.String(32), nullable=False),
        sa.Column("breakdown", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("scope", sa.String(120), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
    )
    op.create_index("ix_observation_import_id", "observation", ["import_id"])
    op.create_index("ix_observation_org_code", "observation", ["org_code"])
    op.create_index("ix_observation_metric_current", "observation", ["metric", "current"])
    op.create_index("ix_observation_scope_current", "observation", ["scope", "current"])
    op.create_table(
        "surveyquestion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("survey_year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=False),
        sa.Column("responses", sa.String(), nullable=False),
        sa.UniqueConstraint("survey_year", "code"),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(
        sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash")),
        [{"id": 1, "seq": 0, "hash": "0" * 64}],
    )


def downgrade() -> None:
    for table in ("audit_head", "audit_event", "surveyquestion", "observation",
                  "import_batch", "period", "organisation"):
        op.drop_table(table)
