"""Each row of the fault matrix: the outcome, the traffic the site saw, and a bound on time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.fault_matrix import (
    BOUND,
    CASES,
    CLIENTS,
    ROWS,
    WARM_UP,
    Case,
    SitePool,
    run_row,
)


@pytest.fixture(scope="module")
def pool() -> Iterator[SitePool]:
    with SitePool() as sites:
        yield sites


def test_the_matrix_covers_both_clients_and_their_streams() -> None:
    assert {client for _, client in ROWS} == set(CLIENTS)
    assert len({case.fault for case in CASES}) == len(CASES)
    for case in CASES:
        assert {"Client.create", "AsyncClient.create"} <= set(case.clients)


@pytest.mark.parametrize(
    ("case", "client"), ROWS, ids=[f"{case.fault} | {client}" for case, client in ROWS]
)
def test_row(pool: SitePool, case: Case, client: str) -> None:
    result = run_row(case, client, pool)

    if isinstance(case.expect, str):
        assert result.outcome == case.expect
    else:
        assert type(result.outcome) is case.expect, repr(result.outcome)
    assert result.earlier == [f"Echo: {WARM_UP}"] * len(result.earlier)
    assert (result.pages, result.posts) == (case.pages, case.posts)
    assert result.waits == list(case.waits)
    assert result.seconds < BOUND
    if case.pieces is not None and result.pieces is not None:
        assert result.pieces == case.pieces
    assert result.pending == []  # every fault met the request it was meant for
    assert result.site_errors == []
