"""A finding's message made by SQLite's own functions (registry.message_sql) is recorded exactly
as registry.i18n's Python functions record it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.context import Context
from checks.found import copy_found, create_found_table
from checks.registry import CheckSpec
from registry import db as store
from registry import i18n
from registry.message_sql import compile_messages, quote
from tests.conftest import new_registry

NAMES = ("a", "b", "title")
FOUND = "temp.messages_found"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    db = store.connect(new_registry(tmp_path_factory.mktemp("messages") / "registry.db"))
    create_found_table(db.conn, FOUND)
    yield Context(db, {}, date(2026, 12, 5))
    db.conn.close()


def recorded(ctx: Context, sql: str, **params) -> tuple[str, str]:
    """The message and evidence a check whose query is ``sql`` records, through ``copy_found``."""
    spec = CheckSpec(code="ZZ01", title="A test's check", severity="low", family="DQ", criterion="-", source="-",
                     source_url=None, function=lambda c: c.found(sql, **params))
    ctx.conn.execute(f"DELETE FROM {FOUND}")
    copy_found(ctx, spec, FOUND)
    return ctx.conn.execute(f"SELECT message, evidence FROM {FOUND}").fetchone()


def by_python(template: str, evidence: str, values: dict) -> tuple[str, str]:
    """What registry.i18n's Python functions make of the same message."""
    message = i18n.message_sql(template, *[item for pair in values.items() for item in pair])
    return i18n.recorded_message(message), i18n.recorded_evidence(message, evidence)


def query(template_sql: str, names) -> str:
    pairs = "".join(f", {quote(name)}, :{name}" for name in names)
    return (f"SELECT 'agreements' AS subject_table, 'x' AS subject_id, registry_message({template_sql}{pairs}) AS message, "
            "json_object('status', 'active', 'ends_on', :ends_on) AS evidence")


literal_text = st.text(st.characters(blacklist_characters="{}\x00", blacklist_categories=("Cs",)), max_size=12)
field = st.sampled_from(NAMES + ("missing",)).map(lambda name: "{" + name + "}")
escaped = st.sampled_from(["{{", "}}", "{{a}}"])
with_spec = st.sampled_from(["{a:.3f}", "{b:.1f}", "{title:.0f}",  # a fixed number of decimals: SQLite's printf
                             "{a:>4}", "{b!r}", "{title:.2}"])  # any other format: Python
templates = st.lists(st.one_of(literal_text, field, escaped, with_spec), max_size=6).map("".join)
values = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False),
                   st.integers(-10**6, 10**6).map(lambda n: n / 1000), st.integers(-10**6, 10**6).map(lambda n: n / 2000),
                   st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
                   st.sampled_from(["'", '"', "{a}", "{}", "Ö & ü", "日本", "\\", "\n\t", "\x7f\u2028",
                                   "\x1e", "a\x1fb", "\x1f\x1e"]))  # the separators of a compiled message


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=templates, given_values=st.fixed_dictionaries({name: values for name in NAMES}),
       ends_on=st.one_of(st.none(), st.just("2027-01-31")))
def test_sql_renders_a_message_as_python_does(ctx, template, given_values, ends_on):
    evidence = json.dumps({"status": "active", "ends_on": ends_on}, separators=(",", ":"))
    want_message, want_evidence = by_python(template, evidence, {name: given_values[name] for name in NAMES})
    sql = query(quote(template), NAMES)
    if not want_message:  # a finding has a message
        with pytest.raises(ValueError, match="a finding may not have"):
            recorded(ctx, sql, **given_values, ends_on=ends_on)
        return
    message, recorded_evidence = recorded(ctx, sql, **given_values, ends_on=ends_on)
    assert message == want_message
    assert json.loads(recorded_evidence) == json.loads(want_evidence)
    assert recorded_evidence == want_evidence


@pytest.mark.parametrize("status, template", [
    ("active", 'Agreement "{title}" ends {a}.'),
    ("draft", "{title} is only a draft ({b} parties)."),
])
def test_a_template_chosen_by_case_is_rendered_by_sql(ctx, status, template):
    active, draft = quote('Agreement "{title}" ends {a}.'), quote("{title} is only a draft ({b} parties).")
    chooser = f"CASE WHEN :status = 'active' THEN {active} ELSE {draft} END"
    sql = query(chooser, NAMES).replace("'active', 'ends_on'", ":status, 'ends_on'")
    values = {"a": "soon", "b": 2, "title": "Oslo's exchange"}
    assert "|| char(31) || CASE WHEN" in compile_messages(sql)
    message, evidence = recorded(ctx, sql, **values, status=status, ends_on=None)
    assert (message, evidence) == by_python(template, json.dumps({"status": status, "ends_on": None},
                                                                 separators=(",", ":")), values)


@pytest.mark.parametrize("call", [
    "registry_message(:template, 'a', 1)",  # a template given as a parameter
    "registry_message('{a:>4}', 'a', 1.5)",  # a format other than a fixed number of decimals
    "registry_message('{a}', 'a', json_group_array(x))",  # JSON, which SQLite would embed as JSON
    "registry_message('{a}', 'a', ?)",  # an anonymous parameter, which would be bound once per use
    "registry_message('{a}', name, 1)",  # a name that is not a literal
    "registry_message('{a}', 'a')",  # a name without a value: Python says so
])
def test_calls_sql_cannot_make_by_itself_stay_with_python(call):
    sql = f"SELECT {call} AS message FROM t"
    assert compile_messages(sql) == sql


@pytest.mark.parametrize("value, asked", [
    ("'text'", False), ("CAST(julianday(:today) - julianday(ends_on) AS INTEGER)", False),
    ("cast ( x as text )", False), ("printf('%d/%d', :first, :first + 1)", False),
    ("CAST(x AS REAL)", True), ("CAST(x AS INTEGER) + 0.5", True), ("printf('%d', 1) * 1.5", True),
    ("CAST(a AS INTEGER) || CAST(b AS REAL)", True), ("title", True), (":days", True),
])
def test_the_type_is_asked_only_of_values_that_may_be_real(value, asked):
    """A value that is never a REAL (a literal, a whole CAST to INTEGER or TEXT, printf) is not
    evaluated once more to ask its type; any other decides between SQL and Python."""
    compiled = compile_messages(f"SELECT registry_message('{{a}}', 'a', {value}) AS message")
    assert (f"typeof({value})" in compiled) is asked
    assert ("registry_message('{a}'" in compiled) is asked  # the Python route is kept only where it may be taken


@given(days=st.one_of(st.none(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False)))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_value_cast_to_integer_is_rendered_as_python_does(ctx, days):
    evidence = json.dumps({"status": "active", "ends_on": None}, separators=(",", ":"))
    cast = None if days is None else int(days) if abs(days) < 2**63 else None
    if isinstance(days, float) and abs(days) >= 2**63:
        return  # SQLite clamps, Python would not: not a value a registry holds
    want = by_python("In {a} days", evidence, {"a": cast})
    sql = ("SELECT 'agreements' AS subject_table, 'x' AS subject_id, "
           "registry_message('In {a} days', 'a', CAST(:days AS INTEGER)) AS message, "
           "json_object('status', 'active', 'ends_on', :ends_on) AS evidence")
    assert recorded(ctx, sql, days=days, ends_on=None) == want


def test_only_the_calls_in_sql_are_compiled_not_their_look_alikes_in_strings_or_comments():
    sql = ("SELECT 'registry_message(''{a}'', ''a'', 1)' AS s, -- registry_message('{a}', 'a', 1)\n"
           "my_registry_message('{a}', 'a', 1) AS t, registry_message('{a}', 'a', 1) AS message")
    compiled = compile_messages(sql)
    assert compiled.startswith(sql[:sql.index("registry_message('{a}', 'a', 1) AS message")])
    assert compiled.endswith(" AS message") and f"json_object('key', '{i18n.template_key('{a}')}'" in compiled


@pytest.mark.parametrize("column, value", [("message", "''"), ("subject_id", "''"), ("subject_table", "''")])
def test_a_row_the_findings_table_would_refuse_is_refused_as_it_is_found(ctx, column, value):
    """Recording inserts with the findings table's CHECKs set aside: the columns a check makes
    are checked against the same CHECKs as its rows are copied, and the error names the check."""
    columns = {"subject_table": "'agreements'", "subject_id": "'x'", "message": "'Something is wrong.'", column: value}
    sql = f"SELECT {', '.join(f'{v} AS {k}' for k, v in columns.items())}, '{{}}' AS evidence"
    with pytest.raises(ValueError, match=r"check ZZ01 found a row a finding may not have \(CHECK constraint failed"):
        recorded(ctx, sql)


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_an_infinite_value_is_kept_as_its_text_in_the_evidence(ctx, value):
    """JSON has no infinity: the value is kept as the text the message shows (hypothesis found it)."""
    sql = query(quote("Ratio {title}"), NAMES)
    message, evidence = recorded(ctx, sql, a=None, b=None, title=value, ends_on=None)
    assert message == f"Ratio {value}"
    assert json.loads(evidence)["message"] == {"key": i18n.template_key("Ratio {title}"),
                                               "values": {"a": None, "b": None, "title": str(value)}}


def test_the_evidence_names_a_template_by_a_key_no_two_templates_of_the_checks_share():
    """A finding's evidence keeps its template's key, not its text (registry.i18n.TEMPLATE_KEY):
    the key is the template's, and it tells every template of the checks apart."""
    from checks.catalogue import MESSAGE, texts

    templates = {text for text, kind in texts() if kind == MESSAGE}
    assert len(templates) > 40
    assert len({i18n.template_key(template) for template in templates}) == len(templates)
    assert i18n.template_key("Ratio {title}") == i18n.template_key("Ratio {title}") != i18n.template_key("Ratio {a}")


@pytest.mark.parametrize("evidence_sql", [
    "NULL",  # no evidence: the message's members alone
    "json_object()",
    "json_object('a', 1, 'b', json_array('x', 'y'), 'c', 'ö \"q\"}')",
    "json_object('message', 'earlier')",  # a member of the message's name is replaced
    "json_object('inner', json_object('message', 1))",
    "json_object('note', 'the \"message\" was')",
    "json_array(1, 2)",  # not an object: left as it is
])
def test_a_compiled_messages_members_join_the_evidence_as_json_set_puts_them(ctx, evidence_sql):
    """A compiled message's key and values are appended to the evidence as text (checks.found),
    byte for byte what json_set makes of the check's evidence; evidence json_set would change
    otherwise than by appending goes through json_set."""
    sql = ("SELECT 'agreements' AS subject_table, 'x' AS subject_id, "
           f"registry_message('Agreement \"{{title}}\" ends.', 'title', 'Oslo') AS message, {evidence_sql} AS evidence")
    compiled_message, evidence = ctx.conn.execute(
        f"SELECT message, coalesce(evidence, '{{}}') FROM ({compile_messages(sql)})").fetchone()
    members = compiled_message[1:compiled_message.index("\x1f")]
    want = ctx.conn.execute("SELECT json_set(?, '$.message', json(?))", [evidence, members]).fetchone()[0]
    assert recorded(ctx, sql) == ('Agreement "Oslo" ends.', want)
