"""Search with known answers, through the API, the CLI and the service."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from aiide_tui.bus import Router, connect_in_process
from aiide_tui.index.embedder import Embedder
from aiide_tui.services.index_service import IndexService

QUESTIONS = {
    "verify a user's login secret": {
        "shop.security.check_password", "shop.security.hash_password", "shop.users.UserStore.login",
    },
    "quote a string for the shell": {"shop.shell.quote_arg", "shop.shell.command_line"},
    "parse the http request line": {"web.http.parseHttpHeader", "web.app.Router"},
    "how much does the cart cost in total": {
        "shop.cart.Cart.total_cents", "shop.cart.Cart.checkout",
    },
}  # fmt: skip


def test_natural_language_questions_find_the_code(index):
    top = index.search("find the function that quotes a string for a shell", k=3)
    assert top[0].symbol == "shop.shell.quote_arg"
    assert top[0].path == "shop/shell.py" and (top[0].start_line, top[0].end_line) == (7, 13)
    assert "bm25" in top[0].parts and top[0].score == sum(top[0].parts.values())
    assert index.search("parseHttpHeader")[0].symbol == "web.http.parseHttpHeader"
    assert index.search("http header parse")[0].symbol == "web.http.parseHttpHeader"
    assert index.search("hash_password")[0].symbol == "shop.security.hash_password"


def test_results_are_deduplicated_by_span(index):
    results = index.search("password login check user", k=20)
    spans = [(r.path, r.start_line, r.end_line) for r in results]
    for n, (path, start, end) in enumerate(spans):
        for other_path, other_start, other_end in spans[n + 1 :]:
            assert path != other_path or end < other_start or other_end < start


def recall(index, signals, k=5) -> float:
    """Share of the wanted definitions whose first line lies in one of the top `k` results."""
    found = 0
    for question, wanted in QUESTIONS.items():
        results = index.search(question, k, signals=signals)
        for name in wanted:
            [symbol] = [s for s in index.definitions(name) if s.symbol == name]
            found += any(
                r.path == symbol.path and r.start_line <= symbol.start_line <= r.end_line
                for r in results
            )
    return found / sum(len(wanted) for wanted in QUESTIONS.values())


def test_hybrid_beats_each_single_signal(index, model_server):
    assert index.attach_vectors(Embedder(model_server.url, "nomic-embed-text"))
    assert index.fill_vectors() == index.status()["chunks"]
    hybrid = recall(index, ("bm25", "symbol", "graph", "vector"))
    singles = {signal: recall(index, (signal,)) for signal in ("bm25", "symbol", "graph", "vector")}
    assert all(hybrid > score for score in singles.values()), (hybrid, singles)


def test_a_graph_neighbour_never_outranks_the_hit_it_came_from(index):
    """The graph only expands full-text hits: what it adds ranks after its seed, not beside
    the best text match of the whole query."""
    for question in [*QUESTIONS, "formatCents", "unit price"]:
        results = index.search(question, 10, signals=("bm25", "graph"))
        graph_only = [r for r in results if set(r.parts) == {"graph"}]
        if results and graph_only:
            assert results[0].parts.get("bm25", 0) > max(r.score for r in graph_only), question


def test_full_text_hits_get_nothing_from_the_graph(index):
    """The graph adds what the words missed; a neighbour the words found as well would count
    twice and outrank the hit it came from."""
    for question in [*QUESTIONS, "password user name", "the user logs in with a password"]:
        for result in index.search(question, 10, signals=("bm25", "graph")):
            assert set(result.parts) in ({"bm25"}, {"graph"}), (question, result)


def _indexed(tmp_path, files: dict[str, str]):
    from aiide_tui.index.project import CodeIndex
    from tests.index.conftest import PROJECT, write_project

    root = write_project(tmp_path / "more", {**PROJECT, **files})
    code_index = CodeIndex(root, state_dir=tmp_path / "more-state", workers=1)
    code_index.index()
    return code_index


def test_a_name_joined_from_the_questions_words_comes_first(tmp_path):
    index = _indexed(
        tmp_path,
        {
            "shop/files.py": '''"""Copying files around."""


def copy(src, dst):
    """Copy one file. To copy a directory tree, with every file in the tree, use copytree."""


def copytree(src, dst):
    """Copy a folder and everything in it."""
'''
        },
    )
    try:
        question = "copy a directory tree"
        assert index.search(question, 1, signals=("bm25",))[0].symbol == "shop.files.copy"
        assert index.search(question, 1)[0].symbol == "shop.files.copytree"
        # A lone word of a question is no name: "copy" alone does not put `copy` first
        assert index.search("copy everything in the cart", 1, signals=("symbol",)) == []
        assert index.search("copy", 1, signals=("symbol",))[0].symbol == "shop.files.copy"
    finally:
        index.close()


def test_tests_rank_below_the_code_they_test_unless_asked_for(tmp_path):
    test_file = '''from shop.shell import quote_arg


def test_quote_a_string_for_the_shell():
    """Quote a string for the shell: a string with a quote, quoted for the shell."""
    assert quote_arg("it's") == "\'it\'\\"\'\\"\'s\'"
'''
    index = _indexed(tmp_path, {"tests/test_shell.py": test_file})
    try:
        question = "quote a string for the shell"
        found = index.search(question, 10)
        by_symbol = {r.symbol: r for r in found}
        test = by_symbol["tests.test_shell.test_quote_a_string_for_the_shell"]
        assert test.parts["bm25"] > by_symbol["shop.shell.quote_arg"].parts["bm25"]  # the words
        assert found[0].symbol == "shop.shell.quote_arg"  # what they are about
        found = index.search("test quote a string", 1)[0]
        assert found.symbol == "tests.test_shell.test_quote_a_string_for_the_shell"
    finally:
        index.close()


def test_cli_search_json_indexes_first(project):
    done = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "search", "--json", "--k", "2", "--root",
         str(project), "quote a string for the shell"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    results = json.loads(done.stdout)
    assert len(results) == 2
    first = results[0]
    assert (first["path"], first["start_line"], first["end_line"]) == ("shop/shell.py", 7, 13)
    assert first["symbol"] == "shop.shell.quote_arg"
    assert first["score"] > 0 and set(first["parts"]) >= {"bm25"}


def test_cli_search_from_a_subfolder_searches_the_whole_repository(project):
    """As git does: in `shop/`, the project is the repository, not the folder."""
    done = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "search", "--json", "--k", "3", "parseHttpHeader"],
        cwd=project / "shop", capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)[0]["path"] == "web/http.ts"


def test_cli_map_focus_puts_a_name_first_and_names_what_it_does_not_know(project):
    done = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "map", "--tokens", "20", "--root", str(project),
         "--focus", "quote_arg", "--focus", "nowhere/missing.py", "--focus", "no_such_name"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.startswith("shop/shell.py:\n    7│ def quote_arg(text):")
    assert "nowhere/missing.py is no file or definition in the index" in done.stderr
    assert "no_such_name is no file or definition in the index" in done.stderr
    assert "quote_arg is" not in done.stderr


def test_explain_lists_a_folder_of_files_left_out_for_one_reason_as_one_line(tmp_path):
    from aiide_tui.commands.index import grouped

    left_out = [(f"build/__pycache__/m{n}.pyc", "binary (by extension)") for n in range(7)]
    left_out += [("a.bin", "binary (by extension)"), ("lib/x.min.js", "minified")]
    assert grouped(left_out) == [
        ("a.bin", "binary (by extension)"),
        ("build/__pycache__/ (7 files)", "binary (by extension)"),
        ("lib/x.min.js", "minified"),
    ]


async def test_service_search_map_and_graph(project, tmp_path):
    from aiide_tui.index.project import CodeIndex

    service = IndexService(CodeIndex(project, state_dir=tmp_path / "svc"))
    router = Router()
    service.register(router)
    client = await connect_in_process(router)
    progress: list[dict] = []
    client.on_notification("index/progress", lambda params: progress.append(params))
    try:
        report = await client.request("index/index", {})
        assert report["parsed"] == 8 and report["chunks"] > 0
        hits = await client.request("index/search", {"query": "verify login secret", "k": 3})
        assert hits[0]["symbol"] == "shop.security.check_password"
        callers = await client.request("index/callers", {"name": "check_password"})
        assert [c["symbol"] for c in callers] == ["shop.users.UserStore.login"]
        status = await client.request("index/status", {})
        assert status["files"] == 8 and status["pending"] == 0
        assert "off" in status["vectors"]
        repo_map = await client.request("index/map", {"tokens": 200})
        assert "shop/security.py:" in repo_map["text"]
    finally:
        await client.close()
        service.close()
    assert progress and progress[-1]["phase"] == "linking"


async def test_service_embeds_new_code_after_each_update(project, tmp_path, model_server):
    from aiide_tui.index.project import CodeIndex

    embedder = Embedder(model_server.url, "nomic-embed-text")
    service = IndexService(CodeIndex(project, state_dir=tmp_path / "svc"), embedder=embedder)
    router = Router()
    service.register(router)
    client = await connect_in_process(router)

    async def embedded_all() -> dict:
        for _ in range(200):
            status = await client.request("index/status", {})
            if status["embedded"] == status["chunks"]:
                return status
            await asyncio.sleep(0.05)
        raise AssertionError(f"vectors never caught up: {status}")

    try:
        await client.request("index/focus", {"paths": ["shop/users.py"]})
        await client.request("index/index", {})
        assert (await embedded_all())["vectors"].startswith("on")
        (project / "shop/shell.py").write_text("def only_new_code():\n    return 42\n")
        await client.request("index/reindex", {"paths": ["shop/shell.py"]})
        await embedded_all()
        hits = await client.request("index/search", {"query": "only new code", "k": 1})
        assert hits[0]["symbol"] == "shop.shell.only_new_code" and "vector" in hits[0]["parts"]
    finally:
        await client.close()
        service.close()
    sent = [r.body["input"] for r in model_server.requests_to("/api/embed")]
    assert sent[1][0].startswith("shop/users.py")  # after the probe, the file in view first


async def test_the_repo_map_is_ready_before_the_first_question(project, tmp_path):
    from aiide_tui.index.project import CodeIndex

    service = IndexService(CodeIndex(project, state_dir=tmp_path / "svc"))
    router = Router()
    service.register(router)
    client = await connect_in_process(router)
    try:
        await client.request("index/index", {})
        for _ in range(100):
            if service.index.repomap.is_current:
                break
            await asyncio.sleep(0.05)
        assert service.index.repomap.is_current
        (project / "shop/shell.py").write_text("def changed():\n    return 1\n")
        await client.request("index/reindex", {"paths": ["shop/shell.py"]})
        assert not service.index.repomap.is_current  # a new index state needs a new graph
    finally:
        await client.close()
        service.close()
