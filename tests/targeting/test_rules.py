from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mainport.errors import ValidationFailed
from mainport.targeting.features import FEATURES, HISTORY_FEATURES
from mainport.targeting.rules import (
    RuleSyntaxError,
    apply_rules,
    evaluate,
    load_profiles,
    parse_condition,
    parse_profile,
)

FRAME = pd.DataFrame(
    {
        "place_of_loading": ["ECGYE", "CNSHA", "COCTG", None],
        "commodity_group": ["fresh_fruit", "fresh_fruit", "cocoa", "fresh_fruit"],
        "consignee_age_days": [10.0, 10.0, 500.0, None],
        "reefer": [1.0, 0.0, 0.0, 1.0],
        "routing_countries": ["EC|PA|NL", "CN|NL", "CO|NL", ""],
    }
)


def test_conditions_evaluate_row_by_row() -> None:
    cond = "place_of_loading in [ECGYE, COCTG] and commodity_group == fresh_fruit and consignee_age_days < 90"
    assert list(evaluate(parse_condition(cond), FRAME)) == [True, False, False, False]
    assert list(evaluate(parse_condition("not reefer or routing_countries has_any [CO]"), FRAME)) == [
        False,
        True,
        True,
        False,
    ]
    assert list(evaluate(parse_condition("place_of_loading not in ['CNSHA']"), FRAME)) == [
        True,
        False,
        True,
        True,
    ]
    assert list(evaluate(parse_condition("(reefer) and consignee_age_days >= 10"), FRAME)) == [
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "reefer and", "a == ", "x in [1, 2", "a == b) or c", "a ** 2 > 1"],
)
def test_unsafe_or_broken_conditions_are_refused(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_condition(text)


def test_unknown_feature_is_refused_at_evaluation() -> None:
    with pytest.raises(RuleSyntaxError, match="unknown feature"):
        evaluate(parse_condition("no_such_column > 1"), FRAME)


PROFILE = """
profile: test_profile
owner: risk-team
rules:
  - id: fruit-new
    version: 3
    rationale: New consignees of fruit from Ecuador.
    valid_from: 2025-01-01
    valid_to: 2025-06-30
    weight: 0.5
    when: place_of_loading == ECGYE and consignee_age_days < 90
  - id: reefer
    owner: j.jansen
    rationale: Reefers.
    valid_from: 2025-01-01
    weight: 0.2
    when: reefer
"""


def test_profile_rules_carry_owner_rationale_validity_and_named_hits() -> None:
    rules = parse_profile(PROFILE)
    assert [r.ref for r in rules] == ["fruit-new@v3", "reefer@v1"]
    assert rules[0].owner == "risk-team" and rules[1].owner == "j.jansen"
    result = apply_rules(rules, FRAME, on=date(2025, 3, 1))
    assert result.hits[0] == ["fruit-new@v3", "reefer@v1"]
    assert result.score[0] == pytest.approx(1 - 0.5 * 0.8)
    assert result.hits[1] == [] and result.score[1] == 0.0
    expired = apply_rules(rules, FRAME, on=date(2025, 7, 1))
    assert expired.hits[0] == ["reefer@v1"]  # fruit-new is no longer valid


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (PROFILE.replace("    rationale: Reefers.\n", ""), "misses rationale"),
        (PROFILE.replace("owner: risk-team\n", ""), "misses owner"),
        (PROFILE.replace("valid_to: 2025-06-30", "valid_to: someday"), "not a date"),
        (PROFILE.replace("weight: 0.5", "weight: 3"), "weight"),
        ("just text", "needs `profile:`"),
    ],
)
def test_incomplete_profiles_are_refused(broken: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        parse_profile(broken)


def test_shipped_profiles_load_and_use_only_known_features() -> None:
    rules = load_profiles(
        known_features=[*FEATURES, *HISTORY_FEATURES, "routing_countries", "place_of_loading"]
    )
    assert len(rules) >= 8
    # every hub has rules of its own: the flower auctions' road exports and Schiphol's air cargo too
    assert {"flower_auction_exports", "schiphol_air_cargo"} <= {r.profile for r in rules}
    assert all(r.owner and r.rationale for r in rules)
