"""Vectors through the test model server (embedded chromadb and a `chroma run` server),
and the repo map."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aiide_tui.index.embedder import Embedder
from aiide_tui.index.repomap import estimate_tokens
from tests.support.components import in_ci


def test_vectors_are_keyed_by_content_hash(index, model_server, project):
    embedder = Embedder(model_server.url, "nomic-embed-text")
    assert index.attach_vectors(embedder)
    total = index.fill_vectors()
    assert total == index.status()["chunks"] and index.status()["embedded"] == total
    (project / "shop/shell.py").write_text("def only_new_code():\n    return 42\n")
    index.update(["shop/shell.py"])
    assert index.fill_vectors() == 1  # only the new chunk is embedded
    sent = model_server.requests_to("/api/embed")
    assert all(request.body["model"] == "nomic-embed-text" for request in sent)
    top = index.search("only new code", 3, signals=("vector",))
    assert top[0].symbol == "shop.shell.only_new_code" and "vector" in top[0].parts


def test_vectors_of_replaced_code_are_dropped(index, model_server, project):
    assert index.attach_vectors(Embedder(model_server.url, "nomic-embed-text"))
    index.fill_vectors()
    before = index.vectors.count()
    (project / "shop/shell.py").unlink()
    index.update([], ["shop/shell.py"])
    index.fill_vectors()
    assert index.vectors.count() == index.status()["chunks"] < before
    hits = index.search("shell escaped string", 5, signals=("vector",))
    assert all(hit.path != "shop/shell.py" for hit in hits)


def test_files_in_view_are_embedded_first(index, model_server, project, monkeypatch):
    from aiide_tui.index import vectors

    monkeypatch.setattr(vectors, "BATCH", 1)
    assert index.attach_vectors(Embedder(model_server.url, "nomic-embed-text"))
    os.utime(project / "shop/users.py", (1e9, 2e9))  # the newest file, yet not the active tab
    index.update(["shop/users.py"])
    index.focus_files = ("shop/security.py", "shop/users.py")  # the active tab first
    index.fill_vectors()
    inputs = [request.body["input"][0] for request in model_server.requests_to("/api/embed")]
    first = [text.split("\n", 1)[0] for text in inputs if text != "ping"]
    users, security = first.count("shop/users.py"), first.count("shop/security.py")
    assert users > 1 and security > 1
    assert first[: users + security] == ["shop/security.py"] * security + ["shop/users.py"] * users


def test_without_an_embedder_search_still_works_and_says_so(index):
    assert not index.attach_vectors(Embedder("http://127.0.0.1:9", "nomic-embed-text"))
    assert index.status()["vectors"].startswith("off (Embeddings from")
    assert index.search("verify login secret")[0].symbol == "shop.security.check_password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        message = "the chroma CLI is not installed: it comes with chromadb (make test installs it)"
        pytest.fail(f"CI needs {message}") if in_ci() else pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "chroma-server"), "--port", str(port),
         "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "chroma run did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_vectors_in_a_chroma_server(index, model_server, chroma_server):
    assert index.attach_vectors(
        Embedder(model_server.url, "nomic-embed-text"), chroma_url=chroma_server
    )
    assert index.fill_vectors() == index.status()["chunks"]
    assert index.vectors.count() == index.status()["chunks"]
    top = index.search("shell escaped string", 2, signals=("vector",))
    assert top[0].path == "shop/shell.py"


def test_repo_map_ranks_what_is_used_and_fits_the_budget(index):
    text = index.repo_map(1024)
    assert text.index("def check_password(") < text.index("def total_cents(self):")
    assert "def check_password(password: str, salt: str, digest: str) -> bool:" in text
    assert "shop/cart.py:" in text  # used by nobody, yet listed when the budget allows
    small = index.repo_map(30)
    assert estimate_tokens(small) <= 30 and small
    focused = index.repo_map(40, focus_files=["web/app.ts"])
    assert focused.startswith("web/http.ts:")


def test_repo_map_focus_brings_a_files_own_definitions_and_a_name_forward(index):
    """Definitions nobody uses (an isolated file, a fresh helper) still come forward when
    their file or their name is in play."""
    plain = index.repo_map(40)
    assert "quote_arg" not in plain and "web/app.ts" not in plain
    focused = index.repo_map(40, focus_files=["web/app.ts"])
    assert "export class Router {" in focused
    named = index.repo_map(20, focus_names=["quote_arg"])
    assert named.startswith("shop/shell.py:\n    7│ def quote_arg(text):")


def test_a_server_that_never_answers_is_given_up_on_in_seconds(model_server, monkeypatch):
    """A probe or a search query waits seconds, not the minute a batch of chunks may take:
    `aiide search` and `aiide doctor` hung on a server that accepted and never answered."""
    import time

    from aiide_tui.index import embedder as embedder_module

    monkeypatch.setattr(embedder_module, "ASK_TIMEOUT_S", 1.0)
    model_server.script("/api/embed", first_token_delay=20)
    started = time.monotonic()
    problem = Embedder(model_server.url, "nomic-embed-text").probe()
    assert problem is not None and "timed out" in problem
    assert time.monotonic() - started < 5
