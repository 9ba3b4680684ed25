"""The one name/ref alphabet: the grammar, ops.yaml and the agent's schemas accept the same names."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.entry import ENVIRONMENT_INPUT, REF_INPUT, SERVICE_INPUT
from bot.commands.names import NAME_WORD, is_name, is_ref

_ALPHABET = st.text(st.sampled_from("aZ09._-/@;$( \n"), max_size=70)


@given(_ALPHABET)
def test_the_agents_name_schemas_and_the_grammar_agree(value: str) -> None:
    for schema in (SERVICE_INPUT, ENVIRONMENT_INPUT):
        valid = jsonschema.Draft202012Validator(schema).is_valid(value)
        if is_name(value):
            assert valid
        # The jsonschema library reads `$` as Python does, before a final newline too; the grammar doesn't.
        if valid and not value.endswith("\n"):
            assert is_name(value)


@given(_ALPHABET)
def test_a_ref_the_grammar_takes_passes_the_agents_ref_schema(value: str) -> None:
    if is_ref(value):
        assert jsonschema.Draft202012Validator(REF_INPUT).is_valid(value)


@pytest.mark.parametrize("ref", ["v1.2.3", "feature/login-fix", "0123abc"])
def test_branches_tags_and_shas_are_refs(ref: str) -> None:
    assert is_ref(ref)


@pytest.mark.parametrize("ref", ["../etc", "a..b", "main.lock", "main/", "main.", "a//b", "-x", "$(whoami)", ""])
def test_what_git_or_a_shell_would_misread_is_not_a_ref(ref: str) -> None:
    assert not is_ref(ref)


@pytest.mark.parametrize("name", ["api;rm", "", "-api", "a" * 64, "api\n", "api/x"])
def test_names_keep_to_the_alphabet(name: str) -> None:
    assert not is_name(name)


def test_a_name_in_prose_is_found_as_one_word() -> None:
    assert NAME_WORD.findall("is api-gateway.v2 down?") == ["is", "api-gateway.v2", "down"]
