"""A review's documents, the reports Panel drafts and the partners' sign-offs (docs/domain.md §11)

- document and documentversion: files held on a review or referral, each upload a version; the
  file itself is in the file store, named by its SHA-256 (panel.documents).
- documenthit: what the anonymisation check found in a final report's version.
- reporttemplate: a partnership's section headings for the rapid review report and the terms of
  reference; reportdraft: each review's drafted document; signoff: each safeguarding partner's
  sign-off.
- agencyrequest.summary (an agency's summary for the rapid review) and agencyrequest.document_id
  (the document that answered the request).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:09:39.671099
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reporttemplate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'kind')
    )
    with op.batch_alter_table('reporttemplate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporttemplate_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('visibility', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_review_id'), ['review_id'], unique=False)

    op.create_table('reportdraft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'kind')
    )
    with op.batch_alter_table('reportdraft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reportdraft_review_id'), ['review_id'], unique=False)

    op.create_table('signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('partner', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('signed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'subject', 'partner')
    )
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_review_id'), ['review_id'], unique=False)

    op.create_table('documentversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'version_no')
    )
    with op.batch_alter_table('documentversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documentversion_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documentversion_sha256'), ['sha256'], unique=False)

    op.create_table('documenthit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['documentversion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documenthit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documenthit_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('agencyrequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_agencyrequest_document_id_document', 'document', ['document_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('agencyrequest', schema=None) as batch_op:
        batch_op.drop_constraint('fk_agencyrequest_document_id_document', type_='foreignkey')
        batch_op.drop_column('document_id')
        batch_op.drop_column('summary')

    with op.batch_alter_table('documenthit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documenthit_version_id'))

    op.drop_table('documenthit')
    with op.batch_alter_table('documentversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documentversion_sha256'))
        batch_op.drop_index(batch_op.f('ix_documentversion_document_id'))

    op.drop_table('documentversion')
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_review_id'))

    op.drop_table('signoff')
    with op.batch_alter_table('reportdraft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reportdraft_review_id'))

    op.drop_table('reportdraft')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_review_id'))
        batch_op.drop_index(batch_op.f('ix_document_referral_id'))
        batch_op.drop_index(batch_op.f('ix_document_partnership_id'))

    op.drop_table('document')
    with op.batch_alter_table('reporttemplate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporttemplate_partnership_id'))

    op.drop_table('reporttemplate')
