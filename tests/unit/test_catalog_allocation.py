"""The allocation arithmetic: exact to the øre, by hand on real data and by properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service_catalog.allocation import (
    AllocationError,
    Allocator,
    FixedKey,
    Member,
    MissingShare,
    WeightedKey,
    allocate_year,
    check_shares,
    check_weights,
    compute_weights,
    monthly_costs,
    split,
)
from service_catalog.official_municipalities import collaboration_members, reference_municipalities

YEAR = 2026
JOINED = date(2019, 1, 1)


def _ssikt(leaving: str | None = None, on: date | None = None) -> list[Member]:
    """Søre Sunnmøre IKT's seven members with SSB populations (1 Jan 2024)."""
    official = reference_municipalities()
    return [
        Member(
            m.number,
            official[m.number].population,
            JOINED,
            on if m.number == leaving else None,
        )
        for m in collaboration_members("Søre Sunnmøre IKT (SSIKT)")
    ]


def test_monthly_costs_round_down_and_december_takes_the_rest():
    assert monthly_costs(100_000_000) == [8_333_333] * 11 + [8_333_337]
    assert sum(monthly_costs(100_000_000)) == 100_000_000


def test_a_few_ore_per_year_never_make_december_negative():
    assert monthly_costs(6) == [0] * 11 + [6]


def test_hand_checked_ssikt_50_50_with_vanylven_leaving_1_july():
    """SSIKT's 50/50 key (cost_allocation.csv), its seven members, Vanylven leaving 1 July 2026.

    Annual cost 1 000 000.00 NOK = 100 000 000 øre.
    Months: 100 000 000 ÷ 12 = 8 333 333.33 → 8 333 333 øre Jan–Nov, December
    100 000 000 − 11 × 8 333 333 = 8 333 337 øre.

    Weight of member i: 0.5 ÷ n + 0.5 × population_i ÷ Σ population.

    January–June: n = 7, Σ population = 3026 + 2438 + 8968 + 8861 + 5322 + 10958
    + 11093 = 50 666. Quotas (8 333 333 × weight):
      1511 Vanylven  3026: 8 333 333 × (1/14 + 3026/101332)  = 844 090.020 → 844 090
      1514 Sande     2438: 795 734.123 → 795 734
      1515 Herøy     8968: 1 332 747.746 → 1 332 747 (+1: remainder .746, 1st) = 1 332 748
      1516 Ulstein   8861: 1 323 948.288 → 1 323 948
      1517 Hareid    5322: 1 032 908.286 → 1 032 908
      1520 Ørsta    10958: 1 496 401.209 → 1 496 401
      1577 Volda    11093: 1 507 503.328 → 1 507 503 (+1: remainder .328, 2nd) = 1 507 504
    The floors sum to 8 333 331; the 2 øre left go to the largest remainders
    (Herøy .746, Volda .328).

    July–November: n = 6 (Vanylven left on 1 July, so is not a member on the
    first day of July), Σ population = 47 640. Quotas of 8 333 333:
      1514: 907 675.586 → 907 675
      1515: 1 478 799.269 → 1 478 799
      1516: 1 469 440.887 → 1 469 441 (+1, remainder .887, 2nd)
      1517: 1 159 914.591 → 1 159 915 (+1, remainder .591, 4th)
      1520: 1 652 847.681 → 1 652 848 (+1, remainder .681, 3rd)
      1577: 1 664 654.985 → 1 664 655 (+1, remainder .985, 1st)
    Floors sum to 8 333 329; 4 øre left.

    December: 8 333 337 øre over the same six:
      1514: 907 676.022 → 907 676
      1515: 1 478 799.979 → 1 478 800 (+1, .979, 1st)
      1516: 1 469 441.593 → 1 469 442 (+1, .593, 3rd)
      1517: 1 159 915.148 → 1 159 915
      1520: 1 652 848.474 → 1 652 848 (.474, 4th: no øre left for it)
      1577: 1 664 655.784 → 1 664 656 (+1, .784, 2nd)
    Floors sum to 8 333 334; 3 øre left.

    Year: 6 × January + 5 × July + December, e.g. Volda 6 × 1 507 504 +
    5 × 1 664 655 + 1 664 656 = 19 032 955 øre = 190 329.55 NOK; Vanylven
    6 × 844 090 = 5 064 540 øre = 50 645.40 NOK. All seven sum to 100 000 000.
    """
    key = WeightedKey("SSIKT 50/50", Decimal("0.5"), Decimal("0.5"))
    members = _ssikt(leaving="1511", on=date(YEAR, 7, 1))
    allocator = Allocator.for_year(YEAR, members)

    _, january = allocator.split_month(key, 1, 8_333_333)
    assert january == [844_090, 795_734, 1_332_748, 1_323_948, 1_032_908, 1_496_401, 1_507_504]
    weights, july = allocator.split_month(key, 7, 8_333_333)
    assert weights.numbers == ("1514", "1515", "1516", "1517", "1520", "1577")
    assert july == [907_675, 1_478_799, 1_469_441, 1_159_915, 1_652_848, 1_664_655]
    _, december = allocator.split_month(key, 12, 8_333_337)
    assert december == [907_676, 1_478_800, 1_469_442, 1_159_915, 1_652_848, 1_664_656]

    totals = allocator.totals(100_000_000, key)
    assert totals == {
        "1511": 5_064_540,
        "1514": 10_220_455,
        "1515": 16_869_283,
        "1516": 16_760_335,
        "1517": 13_156_938,
        "1520": 18_895_494,
        "1577": 19_032_955,
    }
    assert sum(totals.values()) == 100_000_000


def test_ties_go_to_the_lowest_municipality_number():
    members = [Member(n, 0, JOINED) for n in ("1557", "1505", "1554")]
    weights = compute_weights(WeightedKey("equal", Decimal(1), Decimal(0)), members)
    # 100 øre ÷ 3 = 33⅓ each: the one øre left goes to 1505, the lowest number.
    assert dict(zip(weights.numbers, split(100, weights), strict=True)) == {
        "1505": 34,
        "1554": 33,
        "1557": 33,
    }


def test_population_part_is_shared_equally_when_no_population_is_known():
    members = [Member("1505", 0, JOINED), Member("1554", 0, JOINED)]
    weights = compute_weights(WeightedKey("k", Decimal("0.3"), Decimal("0.7")), members)
    assert split(1000, weights) == [500, 500]


def test_fixed_shares_are_renormalised_over_the_members_of_the_month():
    # IKT Agder's published 2019 ownership shares (29/17/15/10/9 %, the rest
    # not published): only the three municipalities among them here.
    key = FixedKey(
        "Agder", {"4203": Decimal("0.29"), "4202": Decimal("0.17"), "4223": Decimal("0.10")}
    )
    members = [Member(n, 1, JOINED) for n in ("4203", "4202", "4223")]
    weights = compute_weights(key, members)
    assert split(5600, weights) == [1700, 2900, 1000]


def test_fixed_shares_missing_a_member_names_the_municipality():
    key = FixedKey("Eierandeler", {"3403": Decimal("0.6"), "3413": Decimal("0.4")})
    members = [Member("3403", 1, JOINED), Member("3413", 1, JOINED), Member("3412", 1, JOINED)]
    with pytest.raises(MissingShare) as raised:
        compute_weights(key, members)
    assert raised.value.municipality == "3412"
    assert raised.value.key == "Eierandeler"


def test_weights_must_sum_to_exactly_one():
    check_weights(Decimal("0.333"), Decimal("0.667"))
    for equal, population in [("0.333", "0.666"), ("0.5", "0.501"), ("-0.1", "1.1")]:
        with pytest.raises(ValueError):
            check_weights(Decimal(equal), Decimal(population))


def test_hedmark_ikt_published_ownership_shares_do_not_sum_to_one():
    # Hamar 32.5, Stange 21.6, Løten 8.1, Kongsvinger 19.0, Grue 5.1, Nord-Odal 5.4,
    # Sør-Odal 8.4 (%) as published (cost_allocation.csv): 100.1 %, so refused.
    shares = ["0.325", "0.216", "0.081", "0.190", "0.051", "0.054", "0.084"]
    with pytest.raises(ValueError, match=r"1\.001"):
        check_shares({str(i): Decimal(s) for i, s in enumerate(shares)})


def test_a_municipality_joining_on_the_second_of_a_month_pays_from_the_next():
    members = [Member("1505", 100, JOINED), Member("1554", 100, date(YEAR, 3, 2))]
    shares = allocate_year(
        YEAR, Decimal("1200.00"), WeightedKey("k", Decimal(1), Decimal(0)), members
    )
    months_paid = sorted({s.month for s in shares if s.number == "1554"})
    assert months_paid == list(range(4, 13))


# --- properties ---------------------------------------------------------------------

NUMBERS = sorted(reference_municipalities())


@st.composite
def memberships(draw: st.DrawFn) -> list[Member]:
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=25, unique=True))
    out = []
    for number in numbers:
        joined = draw(st.sampled_from([JOINED, date(YEAR, draw(st.integers(1, 12)), 1)]))
        left = draw(st.none() | st.integers(1, 12).map(lambda m: date(YEAR, m, 1)))
        if left is not None and left <= joined:
            left = None
        out.append(Member(number, draw(st.integers(0, 800_000)), joined, left))
    return out


weights_strategy = st.integers(0, 1000).map(
    lambda e: WeightedKey("w", Decimal(e) / 1000, 1 - Decimal(e) / 1000)
)


@st.composite
def fixed_keys(draw: st.DrawFn, members: list[Member]) -> FixedKey:
    raw = [draw(st.integers(0, 10_000)) for _ in members]
    if sum(raw) == 0:
        raw[0] = 1
    total = sum(raw)
    shares = [Decimal(r) / Decimal(total) for r in raw]
    # Decimal division may round: the largest share takes the rounding rest,
    # so the shares sum to exactly 1 as the API demands and none goes negative.
    largest = raw.index(max(raw))
    shares[largest] += 1 - sum(shares)
    return FixedKey("f", {m.number: s for m, s in zip(members, shares, strict=True)})


annual_costs = st.integers(0, 10**11)


@settings(max_examples=150, deadline=None)
@given(members=memberships(), key=weights_strategy, annual=annual_costs)
def test_every_month_sums_exactly_and_no_share_is_negative(members, key, annual):
    allocator = Allocator.for_year(YEAR, members)
    for month, cost in enumerate(monthly_costs(annual), start=1):
        weights, parts = allocator.split_month(key, month, cost)
        assert all(p >= 0 for p in parts)
        if weights.numbers:
            assert sum(parts) == cost


@settings(max_examples=100, deadline=None)
@given(data=st.data(), members=memberships(), annual=annual_costs)
def test_fixed_shares_also_sum_exactly_per_month(data, members, annual):
    key = data.draw(fixed_keys(members))
    allocator = Allocator.for_year(YEAR, members)
    for month, cost in enumerate(monthly_costs(annual), start=1):
        present = allocator.monthly_members[month - 1]
        if present and sum(key.shares[m.number] for m in present) == 0:
            # Only members with share 0 are left: nobody to charge, said loudly.
            with pytest.raises(AllocationError):
                allocator.split_month(key, month, cost)
            continue
        weights, parts = allocator.split_month(key, month, cost)
        assert all(p >= 0 for p in parts)
        if weights.numbers:
            assert sum(parts) == cost


@settings(max_examples=100, deadline=None)
@given(
    members=memberships(),
    key=weights_strategy,
    annual=annual_costs,
    leaving=st.integers(0, 24),
    month=st.integers(2, 12),
)
def test_a_member_leaving_mid_year_changes_only_the_months_from_then(
    members, key, annual, leaving, month
):
    who = members[leaving % len(members)]
    leaves_on = date(YEAR, month, 1)
    assume(who.left_on is None and who.joined_on < leaves_on)
    changed = [
        Member(m.number, m.population, m.joined_on, leaves_on) if m is who else m for m in members
    ]
    before = Allocator.for_year(YEAR, members)
    after = Allocator.for_year(YEAR, changed)
    for m, cost in enumerate(monthly_costs(annual), start=1):
        old, new = before.split_month(key, m, cost), after.split_month(key, m, cost)
        if m < month:
            assert new == old  # the months before the change are untouched
        else:
            # from then on the leaver pays nothing and the month still adds up
            assert who.number not in new[0].numbers
            assert sum(new[1]) == (cost if new[0].numbers else 0)
