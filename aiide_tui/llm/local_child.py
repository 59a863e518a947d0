"""The process that serves a GGUF model: llama.cpp's server, in process through `xllamacpp`.

Started by `aiide_tui.llm.local_server` as `python -m aiide_tui.llm.local_child
SETTINGS_JSON`, never by hand. xllamacpp runs llama.cpp's HTTP server on
background threads of whichever process creates it, with no way to stop it
but ending that process; so it lives here, not in aiide, where a crash in
native code cannot take the editor down and stopping it is a signal.

It reports on stdout, one JSON object a line: `reading` (done/total bytes,
as the model file is read into the page cache: the slow part of a cold
start, and a true measure of progress), `loading`, then `ready` (url) or
`failed` (message). llama.cpp's own log goes to stderr (a log file).

It exits when aiide does, however aiide ends (even `kill -9`): aiide holds
the other end of its stdin, which reads end-of-file when aiide is gone, and
it also watches for its parent process to change.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

READ_BLOCK = 16 * 1024 * 1024
REPORT_EVERY = 0.02
"""Share of the file between two `reading` reports."""
PARENT_POLL_S = 1.0


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def watch_parent(parent: int) -> None:
    """End this process when aiide ends: stdin closes, or the parent process changes."""

    def stdin_closed() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    def parent_gone() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=stdin_closed, name="stdin-watch", daemon=True).start()
    threading.Thread(target=parent_gone, name="parent-watch", daemon=True).start()


def read_ahead(path: str) -> None:
    """Read the model file once, reporting progress; llama.cpp then maps it from the cache."""
    total = os.path.getsize(path)
    done = 0
    next_report = 0.0
    with open(path, "rb", buffering=0) as stream:
        while block := stream.read(READ_BLOCK):
            done += len(block)
            if done >= next_report * total or done == total:
                emit("reading", done=done, total=total)
                next_report = done / total + REPORT_EVERY


def serve(settings: dict[str, Any]) -> None:
    """Start llama.cpp's server with `settings` (see `ServerSettings.to_child`) and say where."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = settings["model_path"]
    params.model_alias = {settings["alias"]}
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.ui = False
    params.offline = True
    params.n_parallel = settings["slots"]
    params.n_ctx = settings["ctx_per_slot"] * settings["slots"]
    params.n_predict = settings["max_predict"]
    params.cpuparams.n_threads = settings["threads"]
    params.cpuparams_batch.n_threads = settings["batch_threads"]
    params.cache_prompt = True
    params.n_cache_reuse = settings["cache_reuse"]
    params.cache_ram_mib = settings["cache_ram_mib"]
    params.embedding = settings["embedding"]
    params.verbosity = settings["verbosity"]
    emit("loading")
    started = time.monotonic()
    server = xllamacpp.Server(params)
    emit("ready", url=server.listening_address, seconds=round(time.monotonic() - started, 3))
    threading.Event().wait()


def main(argv: list[str]) -> int:
    settings = json.loads(argv[1])
    watch_parent(settings["parent_pid"])
    try:
        read_ahead(settings["model_path"])
        serve(settings)
    except Exception as error:  # report anything to the parent, which shows it to the user
        emit("failed", message=f"{type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
