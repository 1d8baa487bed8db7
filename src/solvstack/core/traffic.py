"""Read a chat request the way real clients send it: who wrote what, and what kind of request it is.

The proxy does not see clean questions. Beside each chat, Open WebUI sends background *tasks* built from
its own templates (title, tags, follow-ups, search queries, autocomplete, ...); IDE agents (Cline, Roo,
Continue's agent, aider) send tool loops, pasted files, diffs and test output wrapped in their own
scaffolding. :func:`read_request` finds in all of that:

- the **kind** of request: ``chat``; ``task`` (a client's background task: ``task`` names which);
  ``agent`` (a turn that carries tool output: it continues the task a human started earlier);
  ``context`` (the client already put retrieved documents in the request, e.g. Open WebUI's RAG template);
- the **human's own words**: the latest text a person wrote, without tool results, ``<environment_details>``,
  pasted files, code blocks, diffs, logs and stack traces (those are what the human asks *about*);
- whether the request carries **private material** (code, files, diffs, traces, tool output, agent
  scaffolding): then no automatic web search may run (:mod:`solvstack.core.decide`).

Recognition is structural (message roles, tool calls, tag blocks, transcript-plus-output-format shapes),
not a list of exact template strings, because users customise the templates. Stateless: the same request
reads the same on every proxy replica.

>>> read_request({"messages": [{"role": "user", "content": "```py\\nx = 1\\n```\\nwhy is x one?"}]}).human
'why is x one?'
>>> r = read_request({"messages": [{"role": "user", "content": "### Task:\\nGenerate a concise title for "
...     "the chat history.\\n### Output:\\nJSON format: { \\"title\\": \\"...\\" }\\n<chat_history>\\nUSER: hi"
...     "\\n</chat_history>"}]})
>>> (r.kind, r.task, r.human)
('task', 'title', '')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from solvstack.core.messages import text_of

CHAT, TASK, AGENT, CONTEXT = "chat", "task", "agent", "context"

# -- how much text is read: the head and tail of a big message carry the question and the structure ----
_HEAD, _TAIL = 6000, 3000
_TASK_HEAD = 2500  # a task template states its task near the top
_PRIVATE_MACHINE_CHARS = 160  # more machine-written text than this in a turn makes it private
_EDGE = 4000  # a tool result is searched for the human's feedback in its first and last this many chars
_PASTED_CHARS = 1500  # a human turn longer than this carries pasted material (a document, a mail...)
_BULK = 400  # a code block or run of machine lines longer than this is bulk: the classifier skips it

# -- tool results and agent scaffolding ------------------------------------------------------------------
# Cline / Roo / Kilo put a tool's result in a user turn: "[read_file for 'src/a.py'] Result:" (+ the output).
_XML_TOOL_RESULT = re.compile(r"^\s*\[[^\]\n]{1,300}\] Result:", re.IGNORECASE)
# Tags whose content a human wrote, inside agent turns: the task, feedback on a tool, an answer to a question.
_HUMAN_TAGS = ("task", "feedback", "answer", "user_message", "user_query", "user_request", "query", "question")
_TAG_OPEN = re.compile(r"<([A-Za-z_][\w.-]{0,40})(?:\s[^<>\n]{0,300})?>")
_SHORT_TAG_BLOCK = 200  # shorter tagged blocks are kept as words (e.g. <b>..</b> or a short <path>)
_AGENT_SYSTEM = re.compile(
    r"\bTOOL USE\b|# Tool Use Formatting|<tool_call>|\btool(?:s)? (?:use|call)s? (?:is|are) formatted|"
    r"\bSEARCH/REPLACE\b|\bsearch/replace blocks?\b|\bYou are in agent mode\b",
    re.IGNORECASE)
# Clients that are IDE agents name themselves in headers (X-Title, User-Agent, HTTP-Referer).
_IDE_CLIENT = re.compile(r"\b(?:cline|roo[- ]?code|roo-cline|kilo[- ]?code|continue|aider|cursor|windsurf)\b",
                         re.IGNORECASE)

# -- code, diffs, logs -------------------------------------------------------------------------------------
_FENCE = re.compile(r"(```|~~~)[^\n]*\n.*?(?:\n\1[^\n]*(?=\n|\Z)|\Z)", re.DOTALL)
_MACHINE_LINE = re.compile(
    r"""^(?!\s*(?:\\[\[(]|\$|\\begin|\\frac))(?:   # LaTeX is a human's formula, not code
        \s{2,}\S                                             # indented (code, traces, tables)
      | \t
      | [+\-]{3}\s | @@\s | diff\s--git | index\s[0-9a-f]{6} # diffs
      | [+\-<>](?!\s*$)(?=\S)(?![A-Za-z]{2,}\s+[a-z])        # diff / quote lines, not "-just a dash"
      | Traceback\s\(most\srecent | File\s"[^"]+",\sline\s\d | at\s[\w$.<>]+\(  # stack traces
      | [\w.]*(?:Error|Exception|Warning|Interrupt|Exit)(?::|\s*$)           # ...and the exception line
      | (?:E|FAILED|PASSED|ERROR|WARN(?:ING)?|INFO|DEBUG|TRACE|FATAL)\b[\s:\[]  # test / log output
      | \[?\d{4}-\d\d-\d\d[T\s]\d\d:\d\d                     # timestamps
      | (?:def|class|import|from|return|if|elif|for|while|const|let|var|function|fn|pub|func|package|
         \#include|public|private|protected|static|async|await|export|interface|type|struct|impl|use)\s
         [^\n]*[(){}\[\]=:;<>]                               # a code statement
      | [^\n]*[;{}]\s*$                                      # ends like C / JS / Java
      | [\w.\[\]'"]+\s*(?:[-+*/|&]?=|:=)\s*\S                  # an assignment
      | [\w.]+\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\)\s*$          # a call on its own line
      | [\w.\-/]+\.\w{1,5}:\d+                               # path:line
      | [$#>]\s                                              # shell prompt
      | [^\w\s]{3,}                                          # rules, ascii art
    )""", re.VERBOSE)
_DIFF_OR_TRACE = re.compile(r"^(?:diff --git|@@ .+ @@|Traceback \(most recent call last\))", re.MULTILINE)

# -- client background tasks -----------------------------------------------------------------------------
_TRANSCRIPT_TAG = re.compile(r"<(?:chat_history|conversation|history|messages|chat|dialogue|transcript)>",
                             re.IGNORECASE)
_ROLE_LINE = re.compile(r"^\s*(?:#+\s*)?(USER|ASSISTANT|HUMAN|AI|BOT|SYSTEM|User|Assistant|Human)\s*:?\s*$|"
                        r"^\s*(?:USER|ASSISTANT|User|Assistant|Human|AI|Bot)\s*:\s*\S", re.MULTILINE)
_TASK_HEADER = re.compile(r"^\s*#{1,4}\s*(?:Task|Instructions?|Guidelines)\s*:?\s*$|^\s*(?:Your )?task is to\b",
                          re.IGNORECASE | re.MULTILINE)
_JSON = re.compile(r"\bJSON\b")
_LEADING_HEADER = re.compile(r"\s*#{1,4}\s*\S[^\n]{0,40}\n")
_OUTPUT_SPEC = re.compile(
    r"JSON format|\bjson object\b|\braw JSON\b|\b(?:only|just) (?:return|output|reply with|respond with|the)\b|"
    r"\b(?:return|output|reply|respond|answer)\b[^\n.]{0,30}\bonly\b|"
    r"\b(?:no more than|max(?:imum)?) \d+ (?:words|characters)\b|"
    r"\b\d+\s*(?:-|to)\s*\d+\s*words\b|\b\d+ words? or (?:less|fewer)\b|\b\d+-word\b|\bone[- ]line\b|"
    r"\bwithout any (?:introductory|additional|extra)\b|"
    r"\bdo not (?:add|include) (?:any )?(?:explanations?|commentary)\b",
    re.IGNORECASE)
_TASK_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in (
    ("fim", r"<\|?fim[_▁](?:prefix|begin|middle|suffix)|\{\{FILL_HERE\}\}|<FILL_ME>|\bHOLE FILLER\b|<PRE>\s|<SUF>"),
    ("commit_message", r"\bcommit messages?\b"),
    ("autocomplete", r"\bauto-?complet\w*\b|\bcontinue the text\b|\bcompletion type\b"),
    ("follow_ups", r"\bfollow[- _]?ups?\b(?: questions| prompts)?|"
                   r"\bmessages? (?:this|the) user (?:might|may|could|would)\b"),
    ("tool_choice", r"\bAvailable Tools:|"
                    r"\b(?:choose|select|pick)\b[^\n]{0,30}\btools?\b[^\n]{0,30}\b(?:query|request)\b"),
    ("queries", r"\bsearch quer(?:y|ies)\b|\bgenerat\w* (?:\w+ )?quer(?:y|ies)\b|\"queries\""),
    ("tags", r"\btags?\b[^\n]{0,60}\b(?:categoriz|classif|themes?|topics?)|"
             r"\b(?:categoriz|classif)\w*[^\n]{0,60}\btags?\b|\"tags\""),
    ("title", r"\btitle\b|\bheadline\b|\bname for (?:this|the) (?:chat|conversation)\b"),
    ("emoji", r"\bemoji\b"),
    ("image_prompt", r"\bimage (?:generation )?prompt\b|\bprompt\b[^\n.]{0,30}\bimage\b"),
    ("moa", r"\bresponses from (?:various|several|multiple|different) models\b"),
    ("summary", r"\bsummar(?:y|ize|ise|ization)\b[^\n]{0,80}\b(?:conversation|chat|history|dialogue|messages)\b|"
                r"\b(?:conversation|chat|history|dialogue)\b[^\n]{0,40}\bsummar\w*"),
))
# Every pattern above needs one of these words (lower case) to match; an ASCII instruction holding none of
# them is no task we know by its words, so the twelve searches are skipped (most chat turns). Non-ASCII text
# is always searched (IGNORECASE folds some non-ASCII letters onto ASCII ones). Add a word with a pattern.
_TASK_TRIGGERS = ("fim", "fill_here", "fill_me", "hole filler", "<pre>", "<suf>", "commit message", "complet",
                  "continue the text", "follow", "user", "tool", "quer", "tag", "title", "headline", "name for",
                  "emoji", "image", "responses from", "summar")
_META_VERB = re.compile(r"\b(?:generate|suggest|create|write|provide|produce|give|summari[sz]e|analy[sz]e|"
                        r"return|reply|respond|continue|reflect|determine|propose|craft|compose|synthesi[sz]e)\b",
                        re.IGNORECASE)

# -- retrieved context a client already added --------------------------------------------------------------
_CONTEXT_BLOCK = re.compile(r"<context>\s*(?:<source\b|<document\b|\[\d+\]|Source:)", re.IGNORECASE)
_SOURCE_TAG = re.compile(r"<source\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What the decision needs from one request (see the module docstring)."""

    kind: str
    human: str = ""                       # the human's own words in the anchor turn (prose only)
    question: str = ""                    # what the classifier reads: the words plus short snippets
    anchor: int | None = None             # index of the message holding them (overrides live there)
    earlier: tuple[str, ...] = field(default_factory=tuple)  # earlier human turns as the classifier reads them
    earlier_words: tuple[str, ...] = field(default_factory=tuple)  # ...and as prose only (search queries)
    assistant: str = ""                   # the assistant reply before the anchor turn (head only)
    private: bool = False                 # code, files, diffs, traces, tool output or agent scaffolding
    task: str | None = None               # for kind "task": which one (title, tags, commit_message, ...)


def read_request(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Reading:
    """Read a chat-completions request body (and its HTTP headers, if known)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return Reading(CHAT)
    last = _last_user(messages, len(messages))
    if last is None:
        return Reading(CHAT)
    system = _system_text(messages)
    after = messages[last + 1:]
    tool_tail = any(isinstance(m, dict) and (m.get("role") in ("tool", "function") or m.get("tool_calls"))
                    for m in after)
    last_text = text_of(messages[last].get("content"))
    if not tool_tail and not _XML_TOOL_RESULT.match(_first_text(messages[last])):
        if task := _task_of(system, last_text):
            return Reading(TASK, task=task, private=True)
        if _CONTEXT_BLOCK.search(system[:_HEAD]) or _CONTEXT_BLOCK.search(last_text[:_HEAD]):
            question = _question_of(last_text)
            return Reading(CONTEXT, question, question, last, private=True)
    anchor, (human, question, private) = _anchor(messages, last)
    agent = tool_tail or anchor != last
    earlier = [_read_text(text_of(messages[i].get("content"))) for i in _earlier_users(messages, anchor, 2)]
    assistant = _assistant_before(messages, anchor)
    # Tool definitions alone say little (Open WebUI puts its built-in tools on every chat); an agent's
    # system prompt or an IDE client's headers say the human is working on code. Cheapest checks first.
    private = private or agent or _ide_client(headers) or bool(_AGENT_SYSTEM.search(system[:20000])) \
        or _carries_material(messages, anchor)
    return Reading(AGENT if agent else CHAT, human, question, anchor, earlier=tuple(e[1] for e in earlier),
                   earlier_words=tuple(e[0] for e in earlier), assistant=assistant, private=private)


# -- kinds -------------------------------------------------------------------------------------------------
def _task_of(system: str, text: str) -> str | None:
    """The background task a request is, or None. A task asks for something *about* given material
    (a transcript, a diff, a text to continue) in a fixed output shape, not a human question."""
    head = text[:_TASK_HEAD]
    instruction = system[:_TASK_HEAD] + "\n" + head
    names = _task_names(instruction)
    if "fim" in names:
        return "fim"
    window = text[:_HEAD]
    if not names:  # a template in words we do not know (translated, say): a quoted chat and an output shape
        quoted = bool(_TRANSCRIPT_TAG.search(window))
        return "other" if quoted and (_JSON.search(instruction) or _LEADING_HEADER.match(head)) else None
    transcript = bool(_TRANSCRIPT_TAG.search(window)) or len(_ROLE_LINE.findall(window)) >= 2
    diff = bool(_DIFF_OR_TRACE.search(window)) or "\n+++ " in window or window.lstrip().startswith("# Diffs")
    spec = bool(_OUTPUT_SPEC.search(instruction))
    header = bool(_TASK_HEADER.search(head)) or bool(system.strip()) and bool(_META_VERB.search(system[:400]))
    if "commit_message" in names and (diff or spec or header):
        return "commit_message"
    if not _META_VERB.search(instruction):
        return None
    if spec or header or transcript and names[0] in ("summary", "moa"):
        return names[0]
    return None


def _task_names(instruction: str) -> list[str]:
    """The tasks whose words the instruction holds, the earliest first (the task statement comes first)."""
    if instruction.isascii():
        lowered = instruction.lower()
        if not any(word in lowered for word in _TASK_TRIGGERS):
            return []
    found = sorted((m.start(), name) for name, rx in _TASK_WORDS if (m := rx.search(instruction)))
    return [name for _, name in found]


def _question_of(text: str) -> str:
    """The user's question in a message that carries retrieved context: after the context block, or tagged."""
    for tag in ("user_query", "query", "question"):
        inner = _inner(text, tag)
        if inner is not None:
            return _read_text(inner)[0]
    end = text.lower().rfind("</context>")
    return _read_text(text[end + len("</context>"):] if end >= 0 else _SOURCE_TAG.split(text)[0])[0]


def _ide_client(headers: Mapping[str, str] | None) -> bool:
    if not headers:
        return False
    for key in ("x-title", "user-agent", "http-referer", "referer"):
        for k, v in headers.items():
            if isinstance(k, str) and k.lower() == key and isinstance(v, str) and _IDE_CLIENT.search(v):
                return True
    return False


# -- the human's turn ----------------------------------------------------------------------------------------
def _anchor(messages: list[Any], last: int) -> tuple[int, tuple[str, str, bool]]:
    """The latest user turn with words a human wrote: its index, and (words, question, private) of it;
    private is true when it or a later turn carried machine material (tool output, code...)."""
    private = False
    i: int | None = last
    while i is not None:
        words, question, machine = _human_part(messages[i])
        private = private or machine
        if words or question:
            return i, (words, question, private)
        i = _last_user(messages, i)
    return last, ("", "", private)


def _human_part(message: Any) -> tuple[str, str, bool]:
    """(words, question, private) of one user message: tool output in it counts only for what the human
    said inside it (feedback on a tool, an answer to a question)."""
    if not isinstance(message, dict):
        return "", "", False
    content = message.get("content")
    parts = [content] if isinstance(content, str) else [
        p["text"] for p in content or [] if isinstance(p, dict) and isinstance(p.get("text"), str)] \
        if isinstance(content, list) else []
    words: list[str] = []
    questions: list[str] = []
    private = False
    in_result = False
    for part in parts:
        if _XML_TOOL_RESULT.match(part):
            in_result, private = True, True
        if in_result:  # the human's words sit at the head or the tail of a tool result, never deep inside
            edges = part if len(part) <= 2 * _EDGE else part[:_EDGE] + "\n" + part[-_EDGE:]
            for tag in _HUMAN_TAGS:
                if (inner := _inner(edges, tag)) is not None:
                    w, q, _ = _read_text(inner)
                    words.append(w)
                    questions.append(q)
            if part.lstrip().startswith("<environment_details>"):
                in_result = False
            continue
        w, q, machine = _read_text(part)
        private = private or machine
        words.append(w)
        questions.append(q)
    return "\n".join(filter(None, words)).strip(), "\n".join(filter(None, questions)).strip(), private


def _read_text(text: str) -> tuple[str, str, bool]:
    """Read one piece of text a user turn holds. Returns

    - the **words**: prose only, no code blocks, scaffolding tags, diffs, logs or traces (search queries
      are built from these);
    - the **question** the classifier reads: scaffolding gone, and bulk (a long code block, a run of
      machine lines) gone, but a short snippet or formula kept, since it says what kind of question it is;
    - whether the text carried more than a little machine-written material (code, files, logs...).
    """
    clipped = len(text) > _HEAD + _TAIL
    if clipped:
        text = text[:_HEAD] + "\n" + text[-_TAIL:]
    text, machine = _strip_blocks(text)
    fenced = False
    words: list[str] = []
    question: list[str] = []
    run: list[str] = []  # consecutive machine lines: kept for the classifier unless they are bulk

    def close_run() -> None:
        if run and sum(map(len, run)) <= _BULK:
            question.extend(run)
        run.clear()

    for chunk, fence in _segments(text):
        for line in chunk.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if _MACHINE_LINE.match(line) and not _looks_like_prose(stripped):
                run.append(stripped)
                machine += len(line)
            else:
                close_run()
                words.append(stripped)
                question.append(stripped)
        if fence:
            fenced = True
            close_run()
            if len(fence) <= _BULK:
                question.append(fence.strip())
    close_run()
    prose = " ".join(words).strip()
    private = clipped or fenced or machine > _PRIVATE_MACHINE_CHARS or len(prose) > _PASTED_CHARS
    return prose, "\n".join(question).strip(), private


def _segments(text: str) -> Iterator[tuple[str, str]]:
    """(text before a fenced code block, the block) pairs; the last pair has no block."""
    pos = 0
    if "```" in text or "~~~" in text:
        for m in _FENCE.finditer(text):
            yield text[pos:m.start()], m.group(0)
            pos = m.end()
    yield text[pos:], ""


def _looks_like_prose(line: str) -> bool:
    """A sentence that happens to start like code ('if you can, ...', '> quoted question?')."""
    words = line.split()
    if len(words) < 4:
        return False
    alpha = sum(w.isalpha() for w in words) / len(words)
    return alpha > 0.75 and not line.rstrip().endswith((";", "{", "}", ")", ":"))


def _strip_blocks(text: str) -> tuple[str, int]:
    """Remove tagged blocks that are not a human's words (``<environment_details>``, ``<file_content>``,
    ``<source>`` ...), keeping the inner text of human tags (``<task>``, ``<feedback>`` ...). Returns the text
    and how many characters went."""
    if "<" not in text:
        return text, 0
    out: list[str] = []
    pos, removed = 0, 0
    for m in _TAG_OPEN.finditer(text):
        if m.start() < pos:
            continue
        name = m.group(1)
        close = text.find(f"</{name}>", m.end())
        if close < 0:
            continue
        if name.lower() in _HUMAN_TAGS:
            out.append(text[pos:m.start()])
            out.append("\n" + text[m.end():close] + "\n")
        elif close - m.end() >= _SHORT_TAG_BLOCK or "\n" in text[m.end():close]:
            out.append(text[pos:m.start()])
            removed += close - m.start()
        else:
            continue
        pos = close + len(name) + 3
    out.append(text[pos:])
    return "".join(out), removed


def _inner(text: str, tag: str) -> str | None:
    start = text.find(f"<{tag}>")
    if start < 0:
        return None
    end = text.find(f"</{tag}>", start)
    return text[start + len(tag) + 2:end if end >= 0 else len(text)]


def _carries_material(messages: list[Any], upto: int) -> bool:
    """Whether earlier turns pasted code, files, diffs or traces (cheap substring checks, no parsing)."""
    for m in messages[:upto]:
        if isinstance(m, dict) and m.get("role") == "user":
            text = text_of(m.get("content"))
            if "```" in text or "<file_content" in text or "\ndiff --git" in text or "Traceback (most recent" in text:
                return True
    return False


# -- small readers -----------------------------------------------------------------------------------------------
def _last_user(messages: list[Any], before: int) -> int | None:
    for i in range(min(before, len(messages)) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, dict) and m.get("role") == "user":
            return i
    return None


def _earlier_users(messages: list[Any], anchor: int, count: int) -> list[int]:
    """Indexes of up to ``count`` earlier user turns that a human wrote (not tool results), oldest first."""
    found: list[int] = []
    i = _last_user(messages, anchor)
    while i is not None and len(found) < count:
        if not _XML_TOOL_RESULT.match(_first_text(messages[i])):
            found.append(i)
        i = _last_user(messages, i)
    return found[::-1]


def _assistant_before(messages: list[Any], anchor: int) -> str:
    for m in reversed(messages[:anchor]):
        if isinstance(m, dict) and m.get("role") == "assistant":
            return text_of(m.get("content"))[:2000]
    return ""


def _system_text(messages: list[Any]) -> str:
    return "\n".join(text_of(m.get("content")) for m in messages[:2]
                     if isinstance(m, dict) and m.get("role") in ("system", "developer"))


def _first_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content[:400]
    if isinstance(content, list):
        for p in content:
            if isinstance(p, dict) and isinstance(p.get("text"), str):
                return p["text"][:400]
    return ""
