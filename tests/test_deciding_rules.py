"""The deciding chain is one ordered list of named rules, and docs/matching.md lists it as the code has it."""

from pathlib import Path

from registry.deciding import RULES, Decision, rule, rules_markdown, run_rules

DOCS = Path(__file__).resolve().parent.parent / "docs" / "matching.md"


def test_docs_list_the_chain_as_the_code_has_it():
    assert rules_markdown() in DOCS.read_text(encoding="utf-8"), (
        "docs/matching.md's deciding chain is stale: paste rules_markdown()'s table into it")


def test_rules_run_in_their_order_each_at_the_status_it_reads():
    assert [r.code for r in RULES][:3] == ["D1", "D2", "D3"] and len({r.code for r in RULES}) == len(RULES)
    # no candidate: the scores say new, and no rule that reads 'matched' or 'ambiguous' runs
    decision = run_rules(Decision("Nowhere Institute", "SE", [], resolver=None))
    assert (decision.status, decision.reason) == ("new", "no name in the registry or the reference comes close")
    assert decision.decided_by == ""  # the status never changed from "new"


def test_a_rule_code_is_registered_once():
    try:
        rule(code="D1", name="again", rationale="twice")(lambda d: None)
    except ValueError as error:
        assert "D1" in str(error)
    else:
        raise AssertionError("a second rule D1 was accepted")
