"""conversations with the bot: status 'bot'

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 19:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_conversation_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_conversation_status'), "status IN ('bot', 'waiting', 'assigned', 'resolved')")


def downgrade():
    op.execute("UPDATE conversation SET status = 'waiting' WHERE status = 'bot'")
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_conversation_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_conversation_status'), "status IN ('waiting', 'assigned', 'resolved')")
