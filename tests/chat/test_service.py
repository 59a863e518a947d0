"""The chat service end to end: real services, a real git project, the test model server."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
from pathlib import Path

import pytest

from aiide_tui.chat.session import ChatError
from aiide_tui.errors import AiideError, WorkspaceError
from tests.chat.conftest import CALC, IGNORED_MARK, SECRET

CHAT = "/api/chat"

TWO_HUNKS = (
    "I will change both functions.\n\n"
    "calc.py\n```python\n<<<<<<< SEARCH\n"
    "def add(a, b):\n    return a + b\n=======\n"
    "def add(a, b):\n    return b + a\n>>>>>>> REPLACE\n```\n\n"
    "calc.py\n```python\n<<<<<<< SEARCH\n"
    "def sub(a, b):\n    return a - b\n=======\n"
    "def sub(a, b):\n    return -(b - a)\n>>>>>>> REPLACE\n```\n"
)


async def test_answer_streams_with_context_and_num_ctx(client, model_server):
    model_server.script(CHAT, text="The add function sums two numbers.", chunk_delay=0.01)
    events = []
    result = await client.chat_send("what does @calc.py do?", events.append)
    texts = [e["text"] for e in events if e["kind"] == "text"]
    assert len(texts) > 3 and "".join(texts) == result["answer"]
    assert events[0]["kind"] == "context"
    labels = [item["label"] for item in events[0]["context"]["items"]]
    assert "calc.py" in labels and "map" in labels
    (sent,) = model_server.requests_to(CHAT)
    assert sent.body["options"]["num_ctx"] == 8192
    assert "def add(a, b)" in sent.body["messages"][-1]["content"]


async def test_blocks_arrive_whole_and_proposal_waits(client, model_server, project):
    model_server.script(CHAT, text=TWO_HUNKS, chunk_delay=0.002)
    events = []
    result = await client.chat_send("swap the operands", events.append)
    blocks = [e for e in events if e["kind"] == "block"]
    assert len(blocks) == 2
    assert all(b["text"].startswith("```python\n") and b["text"].endswith("```\n") for b in blocks)
    proposal = result["proposal"]
    assert proposal["files"][0]["hunks"] == 2
    assert (project / "calc.py").read_text() == CALC  # nothing written before a yes


async def test_accept_one_hunk_of_two_then_undo(client, model_server, project):
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap the operands"))["proposal"]
    first = await client.chat_decide(proposal["id"], "calc.py", 0, accept=True)
    assert first["written"] == []
    assert (project / "calc.py").read_text() == CALC
    second = await client.chat_decide(proposal["id"], "calc.py", 1, accept=False)
    assert second["written"] == ["calc.py"]
    text = (project / "calc.py").read_text()
    assert "return b + a" in text and "return a - b" in text and "-(b - a)" not in text
    assert await client.chat_undo() == ["calc.py"]
    assert (project / "calc.py").read_text() == CALC


async def test_an_accepted_proposal_keeps_the_files_line_endings(client, model_server, project):
    """A CRLF file edited through chat stays CRLF (the model and the diff see LF)."""
    (project / "calc.py").write_bytes(CALC.replace("\n", "\r\n").encode())
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap"))["proposal"]
    assert "\r" not in proposal["diff"]
    await client.chat_decide_all(proposal["id"], accept=True)
    data = (project / "calc.py").read_bytes()
    assert b"return -(b - a)\r\n" in data and data.count(b"\n") == data.count(b"\r\n")


async def test_slash_undo_reverts_a_whole_proposal(client, model_server, project):
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap"))["proposal"]
    written = await client.chat_decide_all(proposal["id"], accept=True)
    assert written["written"] == ["calc.py"]
    assert "-(b - a)" in (project / "calc.py").read_text()
    reply = await client.chat_send("/undo")
    assert reply["command"] == "Reverted `calc.py`."  # as code: `__init__.py` is not bold
    assert (project / "calc.py").read_text() == CALC


async def test_slash_undo_after_the_file_change_undo_says_it_is_undone_already(
    client, model_server, project
):
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap"))["proposal"]
    await client.chat_decide_all(proposal["id"], accept=True)
    assert await client.undo() == ["calc.py"]  # alt+z in the app
    assert (project / "calc.py").read_text() == CALC
    with pytest.raises(ChatError, match=f"chat proposal #{proposal['id']} was undone already"):
        await client.chat_send("/undo")
    assert (project / "calc.py").read_text() == CALC


async def test_slash_undo_behind_a_newer_save_names_that_save(client, model_server, project):
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap"))["proposal"]
    await client.chat_decide_all(proposal["id"], accept=True)
    await client.write("notes.md", "later\n")  # the user saves another file
    with pytest.raises(ChatError, match=r"but a newer one \(edit of notes\.md\)"):
        await client.chat_send("/undo")
    assert "-(b - a)" in (project / "calc.py").read_text()  # nothing undone


async def test_stale_search_text_is_applied_with_a_note(client, model_server):
    stale = (  # indented one level too deep, as if copied from inside a class
        "calc.py\n```\n<<<<<<< SEARCH\n    def sub(a, b):  \n        return a - b\n=======\n"
        "    def sub(a, b):\n        return a - b - 0\n>>>>>>> REPLACE\n```\n"
    )
    model_server.script(CHAT, text=stale)
    result = await client.chat_send("change sub")
    proposal = result["proposal"]
    assert proposal is not None and "whitespace" in proposal["notes"][0]
    assert "+    return a - b - 0" in proposal["diff"]


async def test_failed_edit_is_offered_back_once_and_repaired(client, model_server):
    wrong = (
        "calc.py\n```\n<<<<<<< SEARCH\ndef mul(a, b):\n    return a * b\n=======\n"
        "def mul(a, b):\n    return b * a\n>>>>>>> REPLACE\n```\n"
    )
    fixed = wrong.replace("def mul(a, b):\n    return a * b", "def sub(a, b):\n    return a - b")
    model_server.script(CHAT, text=wrong)
    model_server.script(CHAT, text=fixed)
    events = []
    result = await client.chat_send("fix it", events.append)
    first, repair = model_server.requests_to(CHAT)
    asked = repair.body["messages"][-1]["content"]
    assert "did not apply" in asked and "not in calc.py" in asked
    assert repair.body["messages"][: len(first.body["messages"])] == first.body["messages"]
    assert result["proposal"] is not None and result["problems"] == []
    assert any(e["kind"] == "notice" and "repair" in e["text"] for e in events)


async def test_an_edit_of_the_prompts_example_path_lands_in_the_file_holding_its_lines(
    client, model_server, project
):
    """Small models copy `path/to/file.py` from the instructions; the SEARCH lines say which
    file they meant, so the edit is aimed there (with a note), not bounced to a repair."""
    copied = TWO_HUNKS.replace("calc.py\n```", "path/to/calc.py\n```", 1)
    model_server.script(CHAT, text=copied)
    result = await client.chat_send("swap the operands in @calc.py")
    assert len(model_server.requests_to(CHAT)) == 1  # no repair round
    proposal = result["proposal"]
    assert [f["path"] for f in proposal["files"]] == ["calc.py"]
    assert proposal["files"][0]["hunks"] == 2
    assert "path/to/calc.py does not exist: applied to calc.py" in proposal["notes"][0]
    assert not (project / "path").exists()


async def test_an_edit_that_stays_broken_is_reported_not_retried_forever(client, model_server):
    wrong = "calc.py\n```\n<<<<<<< SEARCH\nnope\n=======\nyes\n>>>>>>> REPLACE\n```\n"
    model_server.default(CHAT, text=wrong)
    result = await client.chat_send("fix it")
    assert len(model_server.requests_to(CHAT)) == 2
    assert result["proposal"] is None and "not in calc.py" in result["problems"][0]


async def test_stop_closes_the_model_stream(client, model_server):
    model_server.script(CHAT, text="one two three four five six", stall_after=2)
    started = asyncio.Event()

    def seen(event):
        if event["kind"] == "text":
            started.set()

    task = asyncio.create_task(client.chat_send("long answer please", seen))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    record = await model_server.settled(CHAT)
    assert record.outcome == "disconnected"


async def test_truncation_is_reported(client, model_server):
    model_server.script(CHAT, text="ok", prompt_tokens=12)
    events = []
    result = await client.chat_send("what does @calc.py do?", events.append)
    assert result["truncated"] is True
    assert any(e["kind"] == "notice" and "truncated" in e["text"] for e in events)


async def test_secrets_and_ignored_files_never_reach_the_model(client, model_server, project):
    model_server.default(CHAT, text="ok")
    (project / ".envrc").write_text(f"export API_KEY={SECRET}\n")
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET}\n-----END RSA PRIVATE KEY-----\n"
    (project / "notes.txt").write_text(f"the deploy key:\n{key}")  # a key, whatever its name
    await client.chat_send("/add .env build/generated.py calc.py notes.txt")
    await client.chat_send(
        "what is in @.env @.envrc @notes.txt and @build/generated.py and @debug.log? API_KEY"
    )
    await client.chat_send("show me the TOKEN and API_KEY definitions", open_file=None)
    files = await client.chat_files()
    assert ".env" not in files and "build/generated.py" not in files and "calc.py" in files
    requests = model_server.requests_to(CHAT)
    assert len(requests) == 2
    for request in requests:
        assert SECRET not in request.raw and IGNORED_MARK not in request.raw


async def test_prompt_prefix_is_byte_identical_across_turns(client, model_server):
    model_server.default(CHAT, text="An answer.")
    await client.chat_send("/add main.py")
    for question in ("what does add do?", "and sub?", "who calls @add?"):
        await client.chat_send(question)
    requests = [r.body["messages"] for r in model_server.requests_to(CHAT)]
    for before, after in itertools.pairwise(requests):
        assert after[: len(before)] == before
        assert after[0]["content"] == before[0]["content"]


async def test_whole_file_for_a_new_file_is_created_on_accept(client, model_server, project):
    model_server.script(
        CHAT, text="```python util/strings.py\ndef shout(s):\n    return s.upper()\n```\n"
    )
    proposal = (await client.chat_send("add a shout helper"))["proposal"]
    assert not (project / "util/strings.py").exists()
    await client.chat_decide(proposal["id"], "util/strings.py", 0, accept=True)
    assert (project / "util/strings.py").read_text() == "def shout(s):\n    return s.upper()\n"


async def test_unified_diff_edit(client, model_server):
    diff = (
        "```diff\n--- a/main.py\n+++ b/main.py\n@@ -1,3 +1,3 @@\n from calc import add\n"
        " \n-print(add(1, 2))\n+print(add(2, 3))\n```\n"
    )
    model_server.script(CHAT, text=diff)
    proposal = (await client.chat_send("use other numbers"))["proposal"]
    assert "+print(add(2, 3))" in proposal["diff"]


async def test_think_is_kept_apart_and_never_sent_back(client, model_server):
    model_server.script(CHAT, text="<think>secret plan</think>The answer is 3.")
    model_server.script(CHAT, text="Sure.")
    events = []
    first = await client.chat_send("what is add(1, 2)?", events.append)
    assert first["think"] == "secret plan" and first["answer"] == "The answer is 3."
    await client.chat_send("thanks")
    second = model_server.requests_to(CHAT)[1]
    assert "secret plan" not in second.raw and "The answer is 3." in second.raw


async def test_history_survives_a_restart(project, chat_config, model_server):
    from aiide_tui.services.client import ServicesClient

    model_server.default(CHAT, text="Remembered.")
    first = await ServicesClient.in_process(project, chat_config)
    try:
        await first.chat_send("my name is Ada")
    finally:
        await first.close()
    second = await ServicesClient.in_process(project, chat_config)
    try:
        await second.chat_send("what is my name?")
        markdown = await second.chat_export()
    finally:
        await second.close()
    last = model_server.requests_to(CHAT)[-1]
    assert "my name is Ada" in last.raw
    assert "my name is Ada" in markdown and "what is my name?" in markdown


def _record_run(project, argv, *, exit_code, stdout="", ago_s=0.0):
    from aiide_tui.sandbox import AuditStore

    audit = AuditStore.for_project(project)
    try:
        run_id = audit.start(argv=argv, requester="user", backend="docker", image="i", limits={})
        audit._db.execute(
            "UPDATE runs SET started_at = started_at - ? WHERE id = ?", (ago_s, run_id)
        )
        audit._db.commit()
        audit.finish(run_id, status="finished", exit_code=exit_code, duration_s=1.0, stdout=stdout)
    finally:
        audit._db.close()


async def test_a_recent_failing_run_joins_the_next_question_once(
    client, model_server, project, chat_config
):
    model_server.script(CHAT, text="The test expects 4.")
    failure = "FAILED test_calc.py::test_add - AssertionError: 3 != 4"
    _record_run(project, ["pytest", "-x"], exit_code=1, stdout=failure)
    first = await client.chat_send("why does it fail?", lambda event: None)
    labels = [item["label"] for item in first["context"]["items"]]
    assert any(label.startswith("$ pytest -x (exit 1") for label in labels)
    await client.chat_send("and now?", lambda event: None)
    from aiide_tui.services.client import ServicesClient

    other = await ServicesClient.in_process(project, chat_config)  # another aiide, same project
    try:
        await other.chat_send("unrelated question", lambda event: None)
    finally:
        await other.close()
    asked, again, elsewhere = model_server.requests_to(CHAT)
    assert failure in asked.body["messages"][-1]["content"]
    assert failure not in again.body["messages"][-1]["content"]  # offered once
    assert failure not in elsewhere.body["messages"][-1]["content"]  # once in all processes


async def test_passing_or_old_runs_stay_out_of_the_context(client, model_server, project):
    model_server.script(CHAT, text="Fine.")
    _record_run(project, ["pytest"], exit_code=1, stdout="OLD-FAILURE", ago_s=3600)
    _record_run(project, ["pytest"], exit_code=0, stdout="1 passed")
    await client.chat_send("all good?", lambda event: None)
    _record_run(project, ["make"], exit_code=2, stdout="STALE-FAILURE", ago_s=3600)
    await client.chat_send("and make?", lambda event: None)
    _record_run(project, ["sleep", "30"], exit_code=130, stdout="STOPPED-WITH-CTRL-C")
    await client.chat_send("and now?", lambda event: None)  # the user stopped it: no failure
    for request in model_server.requests_to(CHAT):
        sent = request.body["messages"][-1]["content"]
        assert "1 passed" not in sent and "OLD-FAILURE" not in sent
        assert "STALE-FAILURE" not in sent and "STOPPED-WITH-CTRL-C" not in sent


RESTATED = (
    "Here is the function with a docstring:\n\n```python\ndef add(a, b):\n"
    '    """Sum of a and b."""\n    return a + b\n```\n'
)


NEW_FUNCTION = "Here it is:\n\n```python\ndef mul(a, b):\n    return a * b\n```\n"


async def test_code_asked_for_a_named_file_goes_at_its_end(client, model_server, project):
    """Small models answer "add ... to @file" with just the new function, naming no file."""
    model_server.script(CHAT, text=NEW_FUNCTION)
    proposal = (await client.chat_send("add a mul function to @calc.py"))["proposal"]
    assert [item["path"] for item in proposal["files"]] == ["calc.py"]
    await client.chat_decide_all(proposal["id"], accept=True)
    assert (project / "calc.py").read_text() == CALC + "\n\ndef mul(a, b):\n    return a * b\n"


async def test_an_example_in_an_answer_to_a_question_is_not_a_proposal(
    client, model_server, project
):
    events: list[dict] = []
    model_server.script(CHAT, text=NEW_FUNCTION)
    result = await client.chat_send("how would mul look in @calc.py?", events.append)
    assert result["proposal"] is None and (project / "calc.py").read_text() == CALC
    assert not any(e["kind"] == "notice" for e in events)
    model_server.script(CHAT, text="Like this:\n\n```python\nprint(mul(2, 3))\n```\n")
    await client.chat_send("add a call to mul in @calc.py", events.append)  # not definitions
    notices = [e["text"] for e in events if e["kind"] == "notice"]
    assert any("names no file, so nothing was proposed" in text for text in notices)


async def test_a_restated_function_becomes_a_proposal(client, model_server, project):
    """Small models often answer with the changed function instead of a SEARCH/REPLACE
    block: it replaces the one definition with that first line in the files asked about."""
    model_server.script(CHAT, text=RESTATED)
    proposal = (await client.chat_send("add a docstring to add in @calc.py"))["proposal"]
    assert [item["path"] for item in proposal["files"]] == ["calc.py"]
    assert (project / "calc.py").read_text() == CALC  # nothing written before a yes
    await client.chat_decide_all(proposal["id"], accept=True)
    expected = CALC.replace("def add(a, b):\n", 'def add(a, b):\n    """Sum of a and b."""\n')
    assert (project / "calc.py").read_text() == expected


async def test_a_restated_function_needs_a_file_in_question_and_one_match(
    client, model_server, project
):
    model_server.script(CHAT, text=RESTATED)
    assert (await client.chat_send("how would add look with a docstring?"))["proposal"] is None
    (project / "more.py").write_text("def add(a, b):\n    return b + a\n")
    ambiguous = await client.chat_send("add a docstring to add in @calc.py and @more.py")
    assert ambiguous["proposal"] is None  # `def add(a, b):` is in both: no guess


async def test_a_whole_file_restated_without_its_path_becomes_a_proposal(
    client, model_server, project
):
    """Small models also print the whole changed file with no path: when it is plainly the
    file asked about, the changed lines are the proposal."""
    changed = CALC.replace("def sub(a, b):\n", 'def sub(a, b):\n    """a less b."""\n')
    model_server.script(CHAT, text=f"Here it is:\n\n```python\n{changed}```\n")
    proposal = (await client.chat_send("add a docstring to sub in @calc.py"))["proposal"]
    assert [(f["path"], f["hunks"]) for f in proposal["files"]] == [("calc.py", 1)]
    await client.chat_decide_all(proposal["id"], accept=True)
    assert (project / "calc.py").read_text() == changed


async def test_a_restated_function_counts_a_file_an_earlier_turn_holds(client, model_server):
    model_server.script(CHAT, text="It adds its arguments.")
    await client.chat_send("what does add in @calc.py do?")
    model_server.script(CHAT, text=RESTATED)
    again = await client.chat_send("now add a docstring to add in @calc.py")
    assert "calc.py" in again["context"]["repeated"]  # not sent again, still the file asked about
    assert [item["path"] for item in again["proposal"]["files"]] == ["calc.py"]


async def test_replace_in_files_waits_for_review_and_undoes_in_one_step(client, project):
    proposal = await client.chat_replace("(a, b)", "(left, right)")
    assert [f["path"] for f in proposal["files"]] == ["calc.py"]
    assert proposal["files"][0]["hunks"] == 2  # add and sub, far apart
    assert (project / "calc.py").read_text() == CALC  # nothing written before a yes
    written = await client.chat_decide_all(proposal["id"], accept=True)
    assert written["written"] == ["calc.py"]
    assert (project / "calc.py").read_text() == CALC.replace("(a, b)", "(left, right)")
    last = await client.last_change()  # what alt+z will say it undoes
    assert last["label"] == "replace '(a, b)' with '(left, right)'"
    assert await client.chat_undo() == ["calc.py"]
    assert (project / "calc.py").read_text() == CALC


async def test_replace_with_a_regex_uses_its_groups(client, project):
    proposal = await client.chat_replace(r"/return x \* (\d)/", r"return \1 * x")
    await client.chat_decide_all(proposal["id"], accept=True)
    text = (project / "calc.py").read_text()
    assert "return 3 * x" in text and "return x *" not in text
    with pytest.raises(ChatError, match="Bad replacement"):
        await client.chat_replace(r"/def (add)/", r"def \2")
    assert await client.chat_replace("no such text anywhere", "x") is None


async def test_replace_leaves_secrets_alone_and_says_so(client, project):
    with pytest.raises(ChatError, match=r"\.env is a secrets file"):
        await client.chat_replace("API_KEY", "TOKEN")
    assert SECRET in (project / ".env").read_text()


async def test_a_hunk_that_cannot_be_written_waits_again(client, project):
    """Accepting `→` into a cp1252 file fails to encode: nothing is written, the hunk is not
    left 'decided' with the file unchanged, and rejecting it then ends the proposal."""
    (project / "latin.txt").write_bytes("caf\xe9 r\xe9sum\xe9\n".encode("latin-1"))
    subprocess.run(["git", "add", "latin.txt"], cwd=project, check=True)
    proposal = await client.chat_replace("résumé", "CV→")
    assert [f["path"] for f in proposal["files"]] == ["latin.txt"]
    with pytest.raises(WorkspaceError, match=r"cp1252.*'→' \(U\+2192, line 1\)"):
        await client.chat_decide(proposal["id"], "latin.txt", 0, accept=True)
    assert (project / "latin.txt").read_bytes() == "caf\xe9 r\xe9sum\xe9\n".encode("latin-1")
    reply = await client.chat_decide(proposal["id"], "latin.txt", 0, accept=False)
    assert reply["written"] == [] and reply["proposal"]["pending"] == 0


async def test_a_mistyped_slash_command_is_named_not_sent_to_the_model(client, model_server):
    with pytest.raises(ChatError, match=r"no command /undoo; did you mean /undo\?"):
        await client.chat_send("/undoo")
    assert model_server.requests_to(CHAT) == []
    model_server.script(CHAT, text="It lists the hosts.")
    reply = await client.chat_send("/etc/hosts: what is in it?")  # a path: a question
    assert reply["answer"].startswith("It lists the hosts.")


async def test_slash_export_writes_the_conversation_to_a_file(client, model_server, project):
    model_server.script(CHAT, text="It adds two numbers.")
    await client.chat_send("What does add do?")
    reply = await client.chat_send("/export")
    written = Path(reply["command"].split("`")[1])
    assert written.name == "what-does-add-do.md" and project not in written.parents
    text = written.read_text()
    assert "What does add do?" in text and "It adds two numbers." in text
    assert "what-does-add-do.md" not in await client.chat_files()  # never context
    reply = await client.chat_send("/export notes/add.md")  # into the project, as asked
    assert reply["command"] == "Wrote the conversation to `notes/add.md` in the project."
    assert (project / "notes/add.md").read_text() == text
    await client.chat_send("/clear")
    with pytest.raises(ChatError, match="nothing to export yet"):
        await client.chat_send("/export")


async def test_add_refuses_a_key_by_content_opens_folders_and_drop_says_what_it_did(
    client, project, model_server
):
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n"
    (project / "deploy").mkdir()
    (project / "deploy/server_key.txt").write_text(key)
    (project / "deploy/run.sh").write_text("echo deploy\n")
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    reply = (await client.chat_send("/add deploy/server_key.txt logo.png"))["command"]
    assert "Pinned" not in reply
    assert "`deploy/server_key.txt (it holds a private key: never sent to a model)`" in reply
    assert "logo.png (" in reply and "binary" in reply
    reply = (await client.chat_send("/add deploy"))["command"]  # a folder: its files
    assert reply.startswith("Pinned `deploy/run.sh`") and "server_key.txt (it holds" in reply
    reply = (await client.chat_send("/context"))["command"]
    assert reply == (
        "No question asked yet in this session. Pinned for the next one: `deploy/run.sh`."
    )
    reply = (await client.chat_send("/drop nothing.py deploy"))["command"]  # the folder too
    assert reply.startswith("Dropped `deploy`")
    assert "Not in the context: `nothing.py`" in reply
    model_server.script(CHAT, text="Fine.")
    await client.chat_send("/add deploy/run.sh")
    await client.chat_send("what does it do?")
    await client.chat_send("/drop deploy/run.sh")
    reply = (await client.chat_send("/context"))["command"]  # the last question's, then now
    assert reply.startswith("What went into the last question:\n")
    assert "- pinned: `deploy/run.sh` (" in reply  # as code: a `__init__.py` stays whole
    assert reply.endswith("Pinned for the next: nothing.")
    assert (await client.chat_send("/add"))["command"] == "Pinned: nothing"


async def test_a_question_no_model_answered_is_not_kept_and_a_broken_answer_says_so(
    client, model_server
):
    model_server.script(CHAT, status=500, error="the model crashed")
    with pytest.raises(AiideError):
        await client.chat_send("What does add do?")
    assert await client.chat_open() == []  # as if never asked: ask it again
    listed = await client.chat_conversations()
    assert all(item["title"] == "" for item in listed)
    model_server.script(CHAT, text="It adds two numbers and more words", drop_after=3)
    with pytest.raises(AiideError):
        await client.chat_send("What does sub do?")
    history = await client.chat_open()
    assert [message["role"] for message in history] == ["user", "assistant"]
    assert "*(cut short:" in history[1]["content"]
