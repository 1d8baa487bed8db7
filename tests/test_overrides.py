"""In-prompt commands: what counts, what is stripped, and what is left alone."""

import pytest

from solvstack.core.levels import Level
from solvstack.core.overrides import parse_overrides


@pytest.mark.parametrize(("text", "think", "search", "clean"), [
    ("/think is 91 prime?", Level.HIGH, None, "is 91 prime?"),
    ("/think high is 91 prime?", Level.HIGH, None, "is 91 prime?"),
    ("/think low is 91 prime?", Level.LOW, None, "is 91 prime?"),
    ("is 91 prime? /no_think", Level.NO, None, "is 91 prime?"),
    ("/THINK loud", Level.HIGH, None, "loud"),
    ("a /think b", Level.HIGH, None, "a b"),
    ("/search who won yesterday", None, True, "who won yesterday"),
    ("/no_search what is 2+2", None, False, "what is 2+2"),
    ("/search /think low compare", Level.LOW, True, "compare"),
    ("x /think /no_think", Level.NO, None, "x"),  # the last command wins
    ("/think\nline two", Level.HIGH, None, "line two"),
])
def test_commands(text, think, search, clean):
    ov = parse_overrides(text)
    assert (ov.think, ov.search, ov.text) == (think, search, clean)


@pytest.mark.parametrize("text", [
    "rm -rf /think/cache",
    "see /tmp/think",
    "use `/no_think` to disable",
    "```\n/think\n```",
    "an url http://x.io/think",
    "word/think",
    "",
    "no slash at all",
])
def test_not_commands_are_left_alone(text):
    ov = parse_overrides(text)
    assert (ov.think, ov.search, ov.text) == (None, None, text)


def test_text_inside_fence_survives_while_outside_command_is_stripped():
    text = "fix this:\n```sh\necho /no_think\n```\n/think"
    ov = parse_overrides(text)
    assert ov.think is Level.HIGH
    assert ov.text == "fix this:\n```sh\necho /no_think\n```"


def test_only_whitespace_next_to_a_command_changes():
    ov = parse_overrides("keep  double  spaces /think and\ttabs")
    assert ov.text == "keep  double  spaces and\ttabs"
