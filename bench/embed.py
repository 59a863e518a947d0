"""Benchmark the embedded embedder (all-MiniLM-L6-v2, int8 ONNX) and what vectors add to search.

On a copy of 38 modules of this interpreter's standard library: index them,
time embedding every chunk exactly as the index does (`fill_vectors`, the
same text per chunk, chromadb included) and without the store (the model
alone), then ask 38 questions written in plain words, each with the module
that answers it, and count how often that module is in the top 5 results,
with full-text, symbol and graph signals only, and with vectors as well.
Prints one `name: value` line per figure. Needs the embedder installed
(`aiide models install all-minilm-l6-v2`). Run: `python bench/embed.py`.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

QUESTIONS = {
    "split a command line into words the way a POSIX shell does": "shlex.py",
    "wrap long paragraphs of text to a fixed width": "textwrap.py",
    "show the differences between two lists of lines": "difflib.py",
    "find where to insert an item to keep a list sorted": "bisect.py",
    "priority queue kept in a plain list": "heapq.py",
    "match file names against shell wildcard patterns": "fnmatch.py",
    "encode binary data as printable ascii characters": "base64.py",
    "read rows from a comma separated values file": "csv.py",
    "make a scratch directory that is removed afterwards": "tempfile.py",
    "copy a whole directory tree recursively": "shutil.py",
    "rational numbers with exact arithmetic": "fractions.py",
    "mean median and standard deviation of a sample": "statistics.py",
    "turn python objects into a byte stream and back": "pickle.py",
    "random universally unique identifier": "uuid.py",
    "remember the results of expensive function calls": "functools.py",
    "print nested data structures readably": "pprint.py",
    "a month laid out as text with weeks in rows": "calendar.py",
    "parse command line options and positional arguments": "argparse.py",
    "keyed message authentication with a secret key": "hmac.py",
    "unpredictable tokens for passwords and reset links": "secrets.py",
    "compare the contents of two directories": "filecmp.py",
    "read and write compressed files in the deflate format": "gzip.py",
    "encode text so that only printable characters remain, with equals signs": "quopri.py",
    "convert colours between red green blue and hue saturation": "colorsys.py",
    "get the source code and signature of a live function": "inspect.py",
    "substitute dollar placeholders in a string": "string.py",
    "measure how long a small snippet of code takes": "timeit.py",
    "send an email through a mail server": "smtplib.py",
    "guess the kind of a file from its extension": "mimetypes.py",
    "format a stack trace of an exception": "traceback.py",
    "read settings from files with sections and key value pairs": "configparser.py",
    "pass work items safely between threads": "queue.py",
    "pick random elements and shuffle a list": "random.py",
    "iterate over the lines of several input files in turn": "fileinput.py",
    "a set of named constant values": "enum.py",
    "declare methods that subclasses must implement": "abc.py",
    "duplicate an object including everything it contains": "copy.py",
    "filesystem paths as objects with methods": "pathlib.py",
}
K = 5


def copy_modules(target: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    target.mkdir(parents=True)
    for name in set(QUESTIONS.values()):
        if (stdlib / name).is_file():
            shutil.copy2(stdlib / name, target / name)
    return target


def hit_rate(index, signals: tuple[str, ...]) -> float:
    hits = 0
    for question, module in QUESTIONS.items():
        results = index.search(question, K, signals=signals)
        hits += any(result.path == module for result in results)
    return hits / len(QUESTIONS)


def model_only_rate(embedder, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    from aiide_tui.index.project import CodeIndex
    from aiide_tui.llm.onnx_embedder import OnnxEmbedder

    with tempfile.TemporaryDirectory() as folder:
        root = copy_modules(Path(folder) / "stdlib")
        index = CodeIndex(root, state_dir=Path(folder) / "state")
        try:
            index.index()
            chunks = index.status()["chunks"]
            lexical = hit_rate(index, ("bm25", "symbol", "graph"))
            embedder = OnnxEmbedder()
            started = time.perf_counter()
            embedder.embed(["warm up"])
            load_s = time.perf_counter() - started
            if not index.attach_vectors(embedder):
                raise SystemExit(f"embedder unavailable: {index.status()['vectors']}")
            started = time.perf_counter()
            embedded = index.fill_vectors()
            fill_s = time.perf_counter() - started
            texts = [
                row[0] for row in index.store.read().execute("SELECT text FROM chunks LIMIT 256")
            ]
            alone = model_only_rate(embedder, texts)
            hybrid = hit_rate(index, ("bm25", "symbol", "graph", "vector"))
            vectors_only = hit_rate(index, ("vector",))
        finally:
            index.close()
    print(f"modules: {len(set(QUESTIONS.values()))}")
    print(f"chunks: {chunks}")
    print(f"embedder_load_s: {load_s:.2f}")
    print(f"chunks_per_s_index_fill: {embedded / fill_s:.1f}  (embedded and stored: {embedded})")
    print(f"chunks_per_s_model_only: {alone:.1f}")
    print(f"hit@{K}_without_vectors: {lexical:.2f}")
    print(f"hit@{K}_vectors_only: {vectors_only:.2f}")
    print(f"hit@{K}_with_vectors: {hybrid:.2f}  (target: above without)")


if __name__ == "__main__":
    main()
