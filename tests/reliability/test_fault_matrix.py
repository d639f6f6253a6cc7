"""Each row of the fault table: the outcome, the traffic the site saw, the waits asked for.

The table (``fault_matrix.CASES``) is the suite's one set of end-to-end fault scenarios: every
fault the stand-in can play, on both clients, and through ``stream()`` where a row says so.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatgpt4o.testing import FAULTS
from tests.reliability.fault_matrix import (
    CASES,
    CLIENTS,
    ECHO,
    ROWS,
    WARM_UP,
    Case,
    Result,
    SitePool,
    describe,
    run_row,
)


@pytest.fixture(scope="module")
def pool() -> Iterator[SitePool]:
    with SitePool() as sites:
        yield sites


def test_the_table_covers_every_fault_on_both_clients_and_their_streams() -> None:
    assert {fault.name for case in CASES for fault in case.inject} == set(FAULTS)
    assert {client for _, client in ROWS} == set(CLIENTS)
    assert len({case.fault for case in CASES}) == len(CASES)
    for case in CASES:
        assert {"Client.create", "AsyncClient.create"} <= set(case.clients)


def _result(case: Case, outcome: str) -> Result:
    return Result(case, "Client.create", outcome, [], 1, case.posts, 1, [], None, [], [])


def test_the_printed_outcome_quotes_an_expected_reply_and_flags_a_wrong_one() -> None:
    warned = next(case for case in CASES if isinstance(case.expect, str) and case.expect != ECHO)
    plain = next(case for case in CASES if case.expect == ECHO and case.pages == case.posts == 1)
    expected = str(warned.expect)

    assert describe(_result(warned, expected)) == f"reply {expected!r}"
    assert describe(_result(warned, ECHO)) == f"wrong reply {ECHO!r}"
    assert describe(_result(plain, ECHO)) == "reply"


@pytest.mark.parametrize(
    ("case", "client"), ROWS, ids=[f"{case.fault} | {client}" for case, client in ROWS]
)
def test_row(pool: SitePool, case: Case, client: str) -> None:
    result = run_row(case, client, pool)

    if isinstance(case.expect, str):
        assert result.outcome == case.expect
    else:
        assert type(result.outcome) is case.expect, repr(result.outcome)
    if case.check is not None:
        case.check(result.outcome)
    assert result.earlier == [f"Echo: {WARM_UP}"] * len(result.earlier)
    assert (result.pages, result.posts) == (case.pages, case.posts)
    assert result.waits == list(case.waits)
    if case.pieces is not None and result.pieces is not None:
        assert result.pieces == case.pieces
    assert result.pending == []  # every fault met the request it was meant for
    assert result.site_errors == []
