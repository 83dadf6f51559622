"""A partial index is declared on the model (``Indexed(where=...)``) and derived like every other index."""

from __future__ import annotations

import pytest

from registry import db as store
from registry import schema
from registry.schema_types import Indexed
from tests.test_migrations import with_column


def test_the_model_declares_the_partial_index_of_virtual_or_blended_terms():
    spec = store.specs()["mobility_terms"]
    assert schema.declared_indexes(spec)["idx_mobility_terms_agreement_where_virtual_blended"] == schema.Index(
        ("agreement",), '"virtual" = 1 OR "blended" = 1')
    assert ('CREATE INDEX IF NOT EXISTS "idx_mobility_terms_agreement_where_virtual_blended" ON "mobility_terms"("agreement") '
            'WHERE "virtual" = 1 OR "blended" = 1') in schema.index_sql(spec)
    # beside the column's other indexes: the key's leading column gets no plain index of its own
    assert not any(index.columns == ("agreement",) and not index.where for index in schema.declared_indexes(spec).values())


def test_a_partial_index_is_named_after_its_columns_and_its_conditions_columns_and_may_lead_with_more():
    spec = with_column(store.specs()["agreements"], "kind",
                       partial_indexes=[Indexed(then=("id",), where="{status} = 'draft' AND {ends_on} IS NULL")])
    assert schema.declared_indexes(spec)["idx_agreements_kind_id_where_status_ends_on"] == schema.Index(
        ("kind", "id"), """"status" = 'draft' AND "ends_on" IS NULL""")
    assert "idx_agreements_kind_title_id" in schema.declared_indexes(spec)  # the column's own index stays


@pytest.mark.parametrize("where", ["{nowhere} = 1", "virtual = 1"])
def test_a_partial_index_must_name_columns_of_its_table(where):
    spec = with_column(store.specs()["mobility_terms"], "agreement", partial_indexes=[Indexed(where=where)])
    with pytest.raises(ValueError, match="partial index"):
        schema.index_sql(spec)
