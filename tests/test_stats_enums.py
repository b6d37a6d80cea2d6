"""Statuses are enums; every not-assessed reason prints one plain sentence."""

from __future__ import annotations

import pytest

from cdrp_lib.stats import enums
from cdrp_lib.stats.enums import ImprovementDirection, NotAssessedReason, Polarity, flip_polarity

REQUIRED_REASONS = {
    "no_target", "target_not_in_force", "insufficient_data", "missing_months", "source_late",
    "no_population", "not_in_peer_group", "denominator_too_small", "suppressed",
    "monitor_only", "target_too_small",
}


def test_required_reasons_exist() -> None:
    assert REQUIRED_REASONS.issubset({r.value for r in NotAssessedReason})


@pytest.mark.parametrize("reason", list(NotAssessedReason))
def test_every_reason_is_one_sentence(reason: NotAssessedReason) -> None:
    s = reason.sentence
    assert s[0].isupper() and s.endswith(".") and s.count(". ") == 0


def test_no_target_sentence_as_in_methods() -> None:
    assert NotAssessedReason.NO_TARGET.sentence == (
        "Performance cannot be assessed because no target has been set.")


def test_sentences_are_distinct() -> None:
    sentences = [r.sentence for r in NotAssessedReason]
    assert len(set(sentences)) == len(sentences)


def test_json_values_of_statuses() -> None:
    assert [s.value for s in enums.PastMonth] == ["above", "in_line", "below"]
    assert [s.value for s in enums.TrajectoryStatus] == ["below", "on", "above"]
    assert [s.value for s in enums.Rag] == ["G", "A", "R"]
    assert enums.PastMonth.ABOVE.words == "Above Expected Level"
    assert enums.PeerPosition.BELOW.words == "Significantly Below"


def test_polarity_is_re_exported_and_flips() -> None:
    assert enums.Polarity is Polarity
    assert flip_polarity(Polarity.LOWER_IS_BETTER) is Polarity.HIGHER_IS_BETTER
    assert flip_polarity(Polarity.HIGHER_IS_BETTER) is Polarity.LOWER_IS_BETTER


def test_improvement_direction_from_polarity() -> None:
    assert ImprovementDirection.from_polarity(None) is ImprovementDirection.NEUTRAL
    assert ImprovementDirection.from_polarity(Polarity.HIGHER_IS_BETTER) is \
        ImprovementDirection.INCREASE
    assert ImprovementDirection.from_polarity(Polarity.LOWER_IS_BETTER) is \
        ImprovementDirection.DECREASE
