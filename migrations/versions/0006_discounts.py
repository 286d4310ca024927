"""discounts: offers, redemptions, settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 21:36:22

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discount_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_max_percent', sa.Integer(), nullable=False),
    sa.Column('seller_max_amount', sa.Integer(), nullable=False),
    sa.Column('manager_max_percent', sa.Integer(), nullable=False),
    sa.Column('manager_max_amount', sa.Integer(), nullable=False),
    sa.Column('default_expiry_hours', sa.Integer(), nullable=False),
    sa.Column('first_order_enabled', sa.Boolean(), nullable=False),
    sa.Column('first_order_percent', sa.Integer(), nullable=False),
    sa.Column('loyalty_enabled', sa.Boolean(), nullable=False),
    sa.Column('loyalty_percent', sa.Integer(), nullable=False),
    sa.Column('loyalty_min_orders', sa.Integer(), nullable=False),
    sa.Column('loyalty_min_spent', sa.Integer(), nullable=False),
    sa.Column('price_objection_enabled', sa.Boolean(), nullable=False),
    sa.Column('price_objection_percent', sa.Integer(), nullable=False),
    sa.Column('abandoned_cart_enabled', sa.Boolean(), nullable=False),
    sa.Column('abandoned_cart_percent', sa.Integer(), nullable=False),
    sa.Column('abandoned_cart_minutes', sa.Integer(), nullable=False),
    sa.Column('rule_period_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('default_expiry_hours BETWEEN 1 AND 8760', name=op.f('ck_discount_settings_expiry')),
    sa.CheckConstraint('first_order_percent BETWEEN 1 AND 100 AND loyalty_percent BETWEEN 1 AND 100 AND price_objection_percent BETWEEN 1 AND 100 AND abandoned_cart_percent BETWEEN 1 AND 100', name=op.f('ck_discount_settings_rule_percents')),
    sa.CheckConstraint('id = 1', name=op.f('ck_discount_settings_single_row')),
    sa.CheckConstraint('loyalty_min_orders >= 0 AND loyalty_min_spent >= 0 AND abandoned_cart_minutes BETWEEN 1 AND 1440 AND rule_period_days BETWEEN 1 AND 365', name=op.f('ck_discount_settings_rule_bounds')),
    sa.CheckConstraint('seller_max_amount >= 0 AND seller_max_amount <= manager_max_amount', name=op.f('ck_discount_settings_amount_caps')),
    sa.CheckConstraint('seller_max_percent BETWEEN 0 AND 100 AND manager_max_percent BETWEEN 0 AND 100 AND seller_max_percent <= manager_max_percent', name=op.f('ck_discount_settings_percent_caps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_settings'))
    )
    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('min_subtotal', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=24), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('usage_limit', sa.Integer(), nullable=True),
    sa.Column('times_used', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('dedupe_key', sa.String(length=80), nullable=True),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('percent', 'fixed')", name=op.f('ck_offer_kind')),
    sa.CheckConstraint("scope IN ('order', 'product', 'collection')", name=op.f('ck_offer_scope')),
    sa.CheckConstraint("source = 'shop' OR customer_id IS NOT NULL", name=op.f('ck_offer_personal')),
    sa.CheckConstraint("source IN ('seller', 'bot', 'shop')", name=op.f('ck_offer_source')),
    sa.CheckConstraint("status IN ('pending', 'active', 'declined', 'withdrawn')", name=op.f('ck_offer_status')),
    sa.CheckConstraint("value > 0 AND (kind = 'fixed' OR value <= 100)", name=op.f('ck_offer_value')),
    sa.CheckConstraint('min_subtotal >= 0', name=op.f('ck_offer_min_subtotal')),
    sa.CheckConstraint('times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)', name=op.f('ck_offer_usage')),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_offer_collection_id_collection'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_offer_conversation_id_conversation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['seller.id'], name=op.f('fk_offer_created_by_id_seller'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_offer_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['seller.id'], name=op.f('fk_offer_decided_by_id_seller'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_offer_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer')),
    sa.UniqueConstraint('code', name=op.f('uq_offer_code')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_offer_dedupe_key'))
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_customer_id'), ['customer_id'], unique=False)

    op.create_table('offer_redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('checkout_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('held', 'redeemed', 'released')", name=op.f('ck_offer_redemption_status')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_offer_redemption_amount')),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkout.id'], name=op.f('fk_offer_redemption_checkout_id_checkout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_offer_redemption_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_offer_redemption_offer_id_offer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_offer_redemption_order_id_order'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_redemption')),
    sa.UniqueConstraint('checkout_id', 'attempt', name='uq_offer_redemption_attempt')
    )
    with op.batch_alter_table('offer_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_redemption_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_redemption_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_redemption_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offer_applies', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_cart_offer_id_offer'), 'offer', ['offer_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checkout_offer_id_offer'), 'offer', ['offer_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_order_offer_id'), ['offer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_offer_id_offer'), 'offer', ['offer_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_order_line_discount_within_line'), 'discount >= 0 AND discount <= unit_price * quantity')



def downgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_line_discount_within_line'), type_='check')
        batch_op.drop_column('discount')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_offer_id_offer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_offer_id'))
        batch_op.drop_column('discount_code')
        batch_op.drop_column('offer_id')

    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkout_offer_id_offer'), type_='foreignkey')
        batch_op.drop_column('offer_id')

    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cart_offer_id_offer'), type_='foreignkey')
        batch_op.drop_column('offer_applies')
        batch_op.drop_column('offer_id')

    with op.batch_alter_table('offer_redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_redemption_order_id'))
        batch_op.drop_index(batch_op.f('ix_offer_redemption_offer_id'))
        batch_op.drop_index(batch_op.f('ix_offer_redemption_customer_id'))

    op.drop_table('offer_redemption')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_customer_id'))
        batch_op.drop_index(batch_op.f('ix_offer_created_at'))
        batch_op.drop_index(batch_op.f('ix_offer_conversation_id'))

    op.drop_table('offer')
    op.drop_table('discount_settings')
