"""one reminder document kind

Revision ID: 8d4e6f1a2b37
Revises: 3c1d9a7e5b20
Create Date: 2026-11-30 07:10:00

The 催办通知 had two kinds in the documents register: "reminder" (issued from a unit's page) and
"reminder-notice" (issued from /reminders). They become the one kind "reminder"; a numbered one issued from
a unit's page also gets its reminder_notice row, so /reminders lists every notice. Data only.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8d4e6f1a2b37'
down_revision = '3c1d9a7e5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE issued_document SET kind = 'reminder' WHERE kind = 'reminder-notice'")
    op.execute("""
        INSERT INTO reminder_notice (campaign_id, unit_id, number, document_id, created_at)
        SELECT d.campaign_id, d.unit_id, d.doc_number, d.id, d.created_at FROM issued_document d
        WHERE d.kind = 'reminder' AND d.doc_number IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM reminder_notice r WHERE r.document_id = d.id)
          AND NOT EXISTS (SELECT 1 FROM reminder_notice r WHERE r.campaign_id = d.campaign_id
                                                            AND r.number = d.doc_number)
    """)


def downgrade():
    # The rows added above cannot be told from the others: every listed notice goes back to "reminder-notice".
    op.execute("UPDATE issued_document SET kind = 'reminder-notice' "
               "WHERE id IN (SELECT document_id FROM reminder_notice)")
