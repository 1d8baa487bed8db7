# ruff: noqa: E501  (template lines are kept as the clients write them)
"""Request bodies in the shapes real clients send them, written for these tests.

Shapes and template texts were read from the clients' own code: Open WebUI 0.12.4 (``open_webui/config.py``
DEFAULT_*_PROMPT_TEMPLATE, ``utils/task.py`` renders ``{{MESSAGES:END:n}}`` as ``USER:``/``ASSISTANT:``
lines, ``utils/middleware.py`` puts the RAG template in the user turn), aider 0.86 (``prompts.py``:
commit message and history summary system prompts; ``history.py`` sends ``# USER`` / ``# ASSISTANT``),
Cline 3.17 (``[tool for 'x'] Result:`` user turns with ``<environment_details>``), Continue 1.3
(chat context items as fenced blocks with their path, the hole-filler autocomplete prompt, agent mode
with native ``tools``), LibreChat (title prompt). The conversations are our own. ``custom_*`` variants are
templates a user rewrote, with the same structure and other words.
"""

from __future__ import annotations

from typing import Any

MODEL = "qwen"
Body = dict[str, Any]

SECRET_CODE = '''def rotate_api_token(vault, tenant_id):
    """Rotate the ACME-internal token for one tenant."""
    old = vault.read(f"acme/tenants/{tenant_id}/token")
    new = vault.issue("acme-internal", ttl="72h")
    vault.write(f"acme/tenants/{tenant_id}/token", new)
    return old, new
'''
SECRET_MARKERS = ("rotate_api_token", "vault", "acme", "tenant_id", "ACME", "pytest", "assert", "Traceback")

HISTORY = ("USER: What's the difference between a process and a thread?\n"
           "ASSISTANT: A process has its own address space; threads share the address space of their process.")


def user(text: str) -> Body:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], "stream": False}


def owui_title(history: str = HISTORY) -> Body:
    return user(f"""### Task:
Generate a concise title summarizing the chat history.
### Guidelines:
- The title should clearly represent the main theme or subject of the conversation.
- Keep it short: 2-4 words is best.
- Your entire response must consist solely of the JSON object, without any introductory or concluding text.
### Output:
JSON format: {{ "title": "your concise title here" }}
### Examples:
- {{ "title": "Stock Trends" }},
- {{ "title": "Remote Work" }}
### Chat History:
<chat_history>
{history}
</chat_history>""")


def owui_tags(history: str = HISTORY) -> Body:
    return user(f"""### Task:
Generate 1-3 broad tags categorizing the main themes of the chat history, along with 1-3 more specific subtopic tags.

### Guidelines:
- Start with high-level domains (e.g. Science, Technology, Philosophy, Arts, Politics, Business, Health)
- Use the chat's primary language; default to English if multilingual

### Output:
JSON format: {{ "tags": ["tag1", "tag2", "tag3"] }}

### Chat History:
<chat_history>
{history}
</chat_history>""")


def owui_follow_ups(history: str = HISTORY) -> Body:
    return user(f"""### Task:
Predict 3-5 useful messages this user might naturally send next to advance their current objective.
### Guidelines:
- Write from the user's point of view, directed to the assistant.
- Response must be a JSON object with a "follow_ups" key containing an array of strings, no extra text or formatting.
### Output:
JSON format: {{ "follow_ups": ["Suggested next message 1", "Suggested next message 2"] }}
### Chat History:
<chat_history>
{history}
</chat_history>""")


def owui_queries(history: str) -> Body:
    return user(f"""### Task:
Analyze the chat history to determine the necessity of generating search queries, in the given language. By default, **prioritize generating 1-3 broad and relevant search queries** unless it is absolutely certain that no additional information is required.

### Guidelines:
- Respond **EXCLUSIVELY** with a JSON object. Any form of extra commentary, explanation, or additional text is strictly prohibited.
- Today's date is: 2026-11-30.

### Output:
Strictly return in JSON format:
{{
  "queries": ["query1", "query2"]
}}

### Chat History:
<chat_history>
{history}
</chat_history>
""")


def owui_autocomplete(typed: str) -> Body:
    return user(f"""### Task:
You are an autocompletion system. Continue the text in `<text>` based on the **completion type** in `<type>` and the given language.

### **Output Rules**:
- Respond only in JSON format: `{{ "text": "<your_completion>" }}`.

---
### Context:
<chat_history>
{HISTORY}
</chat_history>
<type>search query</type>
<text>{typed}</text>
#### Output:
""")


def owui_emoji(message: str) -> Body:
    return user("Your task is to reflect the speaker's likely facial expression through a fitting emoji. Interpret "
                "emotions from the message and reflect their facial expression using fitting, diverse emojis "
                f"(e.g., 😊, 😢, 😡, 😱).\n\nMessage: ```{message}```")


def owui_image_prompt() -> Body:
    return user(f"""### Task:
Generate a detailed prompt for am image generation task based on the given language and context.

### Output:
Strictly return in JSON format:
{{
    "prompt": "Your detailed description here."
}}

### Chat History:
<chat_history>
{HISTORY}
</chat_history>""")


def owui_moa(question: str) -> Body:
    return user(f'You have been provided with a set of responses from various models to the latest user query: '
                f'"{question}"\n\nYour task is to synthesize these responses into a single, high-quality response.'
                '\n\nResponses from models: "A: the 2026 release" "B: it was released this week"')


def owui_rag(question: str) -> Body:
    return {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": f"""### Task:
Respond to the user query using the provided context, incorporating inline citations in the format [id] **only when the <source> tag includes an explicit id attribute** (e.g., <source id="1">).

### Guidelines:
- If you don't know the answer, clearly state that.
- Respond in the same language as the user's query.

<context>
<source id="1" name="handbook.pdf">Employees accrue 2.5 vacation days per month of service. Unused days expire on March 31.</source>
<source id="2" name="handbook.pdf">Vacation requests go to the team lead at least two weeks ahead.</source>
</context>

{question}"""}]}


def custom_title(history: str = HISTORY) -> Body:
    """A user's own title template: other words, same structure (a transcript and an output shape)."""
    return user(f"Create a short headline (max 6 words) for the conversation below. Reply with the headline "
                f"only, no quotes.\n\n<conversation>\n{history}\n</conversation>")


def custom_tags(history: str = HISTORY) -> Body:
    return user(f"## Instructions\nClassify this discussion into a few topic tags.\nReturn only a JSON list of "
                f"strings.\n\nTranscript:\n{history}")


def librechat_title(question: str) -> Body:
    return user("Provide a concise, 5-word-or-less title for the conversation, using title case conventions. "
                f"Only return the title itself.\n\nConversation:\nUser: {question}\nAI: Here is an overview.")


def aider_commit(diff: str) -> Body:
    return {"model": MODEL, "messages": [
        {"role": "system", "content": "You are an expert software engineer that generates concise, one-line Git "
         "commit messages based on the provided diffs.\nReview the provided context and diffs which are about to "
         "be committed to a git repo.\nReply only with the one-line commit message, without any additional text."},
        {"role": "user", "content": f"# Diffs:\n{diff}"}]}


def aider_summary() -> Body:
    return {"model": MODEL, "messages": [
        {"role": "system", "content": "*Briefly* summarize this partial conversation about programming.\nInclude "
         "less detail about older parts and more detail about the most recent messages.\nThe summary *MUST* "
         "include the function names, libraries, packages that are being discussed."},
        {"role": "user", "content": "# USER\nWhy does rotate_api_token fail for new tenants?\n# ASSISTANT\nThe "
         "vault path does not exist yet; create it first."}]}


def continue_fim(prefix: str, suffix: str) -> Body:
    return user("You are a HOLE FILLER. You are provided with a file containing holes, formatted as "
                "'{{HOLE_NAME}}'. Your TASK is to complete with a string to replace this hole with, inside a "
                f"<COMPLETION/> XML tag.\n\n<QUERY>\n{prefix}{{{{FILL_HERE}}}}{suffix}\n</QUERY>\nTASK: Fill the "
                "{{FILL_HERE}} hole. Answer only with the CORRECT completion, and NOTHING ELSE.")


def continue_chat_with_code(question: str) -> Body:
    return {"model": MODEL, "messages": [
        {"role": "system", "content": "Always include the language and file name in the info string when you "
         "write code blocks."},
        {"role": "user", "content": f"```python src/acme/tokens.py\n{SECRET_CODE}```\n{question}"}]}


CLINE_SYSTEM = ("You are Cline, a highly skilled software engineer.\n\n====\n\nTOOL USE\n\nYou have access to a set "
                "of tools that are executed upon the user's approval.\n\n# Tool Use Formatting\n\nTool use is "
                "formatted using XML-style tags.\n\n<read_file>\n<path>src/main.js</path>\n</read_file>\n")
ENV = ("<environment_details>\n# VSCode Visible Files\nsrc/acme/tokens.py\n\n# Current Time\n11/30/2026, 9:41:07 "
       "AM (UTC)\n\n# Current Working Directory (/home/dev/acme) Files\nsrc/\nsrc/acme/tokens.py\ntests/\n\n"
       "# Current Mode\nACT MODE\n</environment_details>")


def cline_task(task: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": CLINE_SYSTEM},
            {"role": "user", "content": [{"type": "text", "text": f"<task>\n{task}\n</task>"},
                                         {"type": "text", "text": ENV}]}]


def cline_tool_result(task: str, tool: str, output: str) -> Body:
    messages = [*cline_task(task),
                {"role": "assistant", "content": f"<thinking>Let me look.</thinking>\n\n<{tool}>\n</{tool}>"},
                {"role": "user", "content": [{"type": "text", "text": f"[{tool}] Result:"},
                                             {"type": "text", "text": output},
                                             {"type": "text", "text": ENV}]}]
    return {"model": MODEL, "messages": messages, "stream": False}


PYTEST_OUTPUT = """F.
=================================== FAILURES ===================================
____________________________ test_rotate_new_tenant ____________________________
    def test_rotate_new_tenant():
>       old, new = rotate_api_token(vault, "t-991")
E       KeyError: 'acme/tenants/t-991/token'
tests/test_tokens.py:12: KeyError
1 failed, 1 passed in 0.07s"""

TOOLS = [{"type": "function", "function": {"name": "run_terminal_command", "description": "Run a shell command.",
                                            "parameters": {"type": "object", "properties": {
                                                "command": {"type": "string"}}, "required": ["command"]}}}]


def native_loop(task: str, steps: int) -> Body:
    """Continue's agent mode: native ``tools``, ``tool_calls`` and ``role: tool`` results after the human task."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "<important_rules>\n  You are in agent mode.\n"
                                       "</important_rules>"}, {"role": "user", "content": task}]
    for i in range(steps):
        call = {"id": f"call_{i}", "type": "function",
                "function": {"name": "run_terminal_command", "arguments": '{"command": "pytest -q"}'}}
        messages += [{"role": "assistant", "content": "", "tool_calls": [call]},
                     {"role": "tool", "tool_call_id": f"call_{i}", "content": PYTEST_OUTPUT}]
    return {"model": MODEL, "messages": messages, "tools": TOOLS, "stream": False}
