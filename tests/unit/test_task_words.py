"""The cheap word check in front of the task patterns never changes which tasks are found."""

from __future__ import annotations

import random

from solvstack.core import traffic

# One phrase per alternative of every task pattern (each is checked to match its own pattern).
PHRASES = {
    "fim": ["<|fim_prefix|>", "<fim▁begin>", "{{FILL_HERE}}", "<FILL_ME>", "HOLE FILLER", "<PRE> x"],
    "commit_message": ["write a commit message"],
    "autocomplete": ["autocompletion", "auto-complete", "continue the text", "completion type"],
    "follow_ups": ["follow-up questions", "followups", "messages the user might send"],
    "tool_choice": ["Available Tools:", "choose the right tool for the query"],
    "queries": ["search queries", "generate 3 queries", 'return "queries"'],
    "tags": ["tags that categorize", "classify it with tags", '"tags"'],
    "title": ["a title", "a headline", "a name for this chat"],
    "emoji": ["one emoji"],
    "image_prompt": ["an image generation prompt", "a prompt for the image"],
    "moa": ["responses from several models"],
    "summary": ["summarize the conversation", "chat history summary"],
}
FILLER = ["please", "help", "me", "with", "this", "question", "about", "the", "weather", "in", "Oslo", "and", "my",
          "code", "today"]


def reference(instruction: str) -> list[str]:
    found = sorted((m.start(), name) for name, rx in traffic._TASK_WORDS if (m := rx.search(instruction)))
    return [name for _, name in found]


def test_every_phrase_matches_its_pattern():
    patterns = dict(traffic._TASK_WORDS)
    assert set(PHRASES) == set(patterns), "a new task pattern needs phrases here and a word in _TASK_TRIGGERS"
    for name, phrases in PHRASES.items():
        for phrase in phrases:
            assert patterns[name].search(phrase), (name, phrase)


def test_the_word_check_finds_the_same_tasks_as_the_patterns():
    rng = random.Random(7)
    phrases = [p for ps in PHRASES.values() for p in ps]
    for _ in range(3000):
        words = rng.sample(FILLER, rng.randint(0, 8))
        if rng.random() < 0.6:
            words.insert(rng.randint(0, len(words)), rng.choice(phrases))
        text = " ".join(words)
        text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
        assert traffic._task_names(text) == reference(text), text


def test_non_ascii_text_is_searched_by_the_patterns():
    # U+017F (long s) is folded onto "s" by IGNORECASE: the patterns must still run on it
    text = "ſummarize the conversation"
    assert traffic._task_names(text) == reference(text) == ["summary"]
