"""ChainedQuerySets: parts read in turn as one list — slices across parts, counts, the queries."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from accounts.models import Account
from core.chained_querysets import ChainedQuerySets
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Accounts a0..a4 (first part, by name), then b0..b2 (second part, by name, reversed)."""
    for n in range(5):
        factories.AccountFactory(external_id=f"a{n}", name=f"A {n}")
    for n in range(3):
        factories.AccountFactory(external_id=f"b{n}", name=f"B {n}")
    first = Account.objects.filter(name__startswith="A").order_by("name")
    second = Account.objects.filter(name__startswith="B").order_by("-name")
    return ChainedQuerySets(first, second, whole=Account.objects.all())


EVERY = ["a0", "a1", "a2", "a3", "a4", "b2", "b1", "b0"]


def ids(rows) -> list[str]:
    return [row.external_id for row in rows]


@pytest.mark.parametrize("start,stop", [(0, 8), (0, 3), (3, 7), (5, 8), (6, 8), (7, 20), (9, 12)])
def test_any_slice_is_the_slice_of_the_parts_read_in_turn(chain, start, stop):
    assert ids(chain[start:stop]) == EVERY[start:stop]


def test_a_slice_inside_the_first_part_is_one_query(chain, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert ids(chain[1:4]) == ["a1", "a2", "a3"]
    # Running out of the first part: one more query for the second.
    with django_assert_num_queries(2):
        assert ids(chain[3:6]) == ["a3", "a4", "b2"]
    # Starting past the first part: its length is counted first.
    with django_assert_num_queries(3):
        assert ids(chain[6:8]) == ["b1", "b0"]


def test_count_comes_from_the_whole_queryset_once(chain, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert chain.count() == len(chain) == 8
    parts_only = ChainedQuerySets(*chain.parts)
    with django_assert_num_queries(2):
        assert parts_only.count() == 8


def test_paginator_pages_and_iteration_agree(chain):
    paginator = Paginator(chain, 3)
    pages = [ids(paginator.page(n).object_list) for n in paginator.page_range]
    assert pages == [EVERY[0:3], EVERY[3:6], EVERY[6:8]]
    assert ids(chain.iterator(chunk_size=2)) == EVERY == ids(chain)


def test_bad_indexes_are_refused(chain):
    with pytest.raises(TypeError):
        chain[2]
    with pytest.raises(TypeError):
        chain[0:4:2]
    with pytest.raises(ValueError):
        chain[-2:]
    with pytest.raises(ValueError):
        ChainedQuerySets()
