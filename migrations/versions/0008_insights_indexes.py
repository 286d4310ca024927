"""insights indexes: covering indexes for a period's replies, recommendations, conversations and orders

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 22:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # The insights count a period's replies by (responder, first, seller, seconds): with every column in
    # the index, SQLite and PostgreSQL read the period's range of the index and never the table.
    op.create_index(
        "ix_reply_event_period",
        "reply_event",
        ["created_at", "responder", "first", "seller_id", "seconds"],
        unique=False,
    )
    op.create_index(
        "ix_reply_event_grouped",
        "reply_event",
        ["responder", "first", "seller_id", "seconds", "created_at"],
        unique=False,
    )
    # Likewise for a period's recommendations counted by product, and its conversations counted by who
    # handled them and by seller.
    op.create_index("ix_recommendation_period", "recommendation", ["created_at", "product_id"], unique=False)
    op.create_index(
        "ix_order_period",
        "order",
        ["paid_at", "status", "conversation_id", "seller_id", "offer_id", "total", "refunded_total"],
        unique=False,
    )
    op.create_index(
        "ix_conversation_period",
        "conversation",
        ["created_at", "bot_replied", "seller_replied", "assignee_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_conversation_period", table_name="conversation")
    op.drop_index("ix_order_period", table_name="order")
    op.drop_index("ix_recommendation_period", table_name="recommendation")
    op.drop_index("ix_reply_event_grouped", table_name="reply_event")
    op.drop_index("ix_reply_event_period", table_name="reply_event")
