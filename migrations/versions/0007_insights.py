"""insights: reply times, who handled, recommendations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 22:11:49

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recommendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('bot', 'seller')", name=op.f('ck_recommendation_source')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_recommendation_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_recommendation_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation'))
    )
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_product_id'), ['product_id'], unique=False)

    op.create_table('reply_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('responder', sa.String(length=8), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('first', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("responder IN ('bot', 'seller')", name=op.f('ck_reply_event_responder')),
    sa.CheckConstraint('seconds >= 0', name=op.f('ck_reply_event_seconds')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_reply_event_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], name=op.f('fk_reply_event_seller_id_seller'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_event'))
    )
    with op.batch_alter_table('reply_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_event_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_event_seller_id'), ['seller_id'], unique=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_shopper_message_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('awaiting_reply_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_response_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_response_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_responder', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('bot_replied', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('seller_replied', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_conversation_created_at'), ['created_at'], unique=False)

    # What the store keeps from now on, taken from the messages of earlier conversations (their later
    # reply times were not recorded: response-time figures start at this upgrade).
    op.execute(
        "UPDATE conversation SET"
        " first_shopper_message_at = (SELECT MIN(m.created_at) FROM message m"
        "   WHERE m.conversation_id = conversation.id AND m.sender_kind = 'shopper'),"
        " bot_replied = EXISTS (SELECT 1 FROM message m"
        "   WHERE m.conversation_id = conversation.id AND m.sender_kind = 'bot'),"
        " seller_replied = EXISTS (SELECT 1 FROM message m"
        "   WHERE m.conversation_id = conversation.id AND m.sender_kind = 'seller')"
    )
    first_reply = (
        "FROM message m WHERE m.conversation_id = conversation.id AND m.sender_kind IN ('bot', 'seller')"
        " AND m.created_at >= conversation.first_shopper_message_at"
    )
    op.execute(
        f"UPDATE conversation SET first_response_at = (SELECT MIN(m.created_at) {first_reply}),"
        f" first_responder = (SELECT m.sender_kind {first_reply} ORDER BY m.seq LIMIT 1)"
        " WHERE first_shopper_message_at IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        seconds = "CAST(EXTRACT(EPOCH FROM (first_response_at - first_shopper_message_at)) AS INTEGER)"
    else:
        seconds = "CAST(ROUND((julianday(first_response_at) - julianday(first_shopper_message_at)) * 86400) AS INTEGER)"
    op.execute(f"UPDATE conversation SET first_response_seconds = {seconds} WHERE first_response_at IS NOT NULL")

    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_applied_at'), ['applied_at'], unique=False)

    with op.batch_alter_table('offer_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_redemption_redeemed_at'), ['redeemed_at'], unique=False)

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_paid_at'), ['paid_at'], unique=False)



def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_paid_at'))

    with op.batch_alter_table('offer_redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_redemption_redeemed_at'))

    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_applied_at'))

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_created_at'))
        batch_op.drop_column('seller_replied')
        batch_op.drop_column('bot_replied')
        batch_op.drop_column('first_responder')
        batch_op.drop_column('first_response_seconds')
        batch_op.drop_column('first_response_at')
        batch_op.drop_column('awaiting_reply_since')
        batch_op.drop_column('first_shopper_message_at')

    with op.batch_alter_table('reply_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_event_seller_id'))
        batch_op.drop_index(batch_op.f('ix_reply_event_created_at'))
        batch_op.drop_index(batch_op.f('ix_reply_event_conversation_id'))

    op.drop_table('reply_event')
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_product_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_created_at'))
        batch_op.drop_index(batch_op.f('ix_recommendation_conversation_id'))

    op.drop_table('recommendation')
