"""How often search puts the right definition first, on the whole standard library.

The index issue asks that natural-language questions work, not only
identifiers. Each question below names the definitions that answer it (any of
them counts). On a copy of this interpreter's standard library (the one
`bench/index.py` indexes), without vectors, print `hit_at_1`, `hit_at_5` and
`mrr` (mean reciprocal rank within the top 10) for hybrid search and for
each of its signals alone, from the same index. Run:
`python bench/search_quality.py [--misses]` (`--misses` lists the questions
that hybrid search does not answer first).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

ANSWERS = {
    "quote a string for a shell": ["shlex.quote"],
    "split a command line into words like a shell": ["shlex.split"],
    "compare two sequences and produce a unified diff": ["difflib.unified_diff"],
    "unified diff of two lists of lines": ["difflib.unified_diff"],
    "close matches for a word": ["difflib.get_close_matches"],
    "split a url into its parts": ["urllib.parse.urlsplit", "urllib.parse.urlparse"],
    "join a base url and a relative url": ["urllib.parse.urljoin"],
    "parse a query string": ["urllib.parse.parse_qs", "urllib.parse.parse_qsl"],
    "percent encode a url path": ["urllib.parse.quote"],
    "walk a directory tree": ["os.walk"],
    "copy a directory tree": ["shutil.copytree"],
    "find an executable on the path": ["shutil.which"],
    "size of the terminal window": ["shutil.get_terminal_size", "os.get_terminal_size"],
    "base64 encode bytes": ["base64.b64encode"],
    "remove common leading whitespace from lines": ["textwrap.dedent"],
    "wrap text to a width": ["textwrap.wrap", "textwrap.fill", "textwrap.TextWrapper.wrap"],
    "insert into a sorted list": ["bisect.insort_right", "bisect.insort"],
    "push an item onto a heap": ["heapq.heappush"],
    "n largest elements": ["heapq.nlargest"],
    "extract all members of a tar archive": ["tarfile.TarFile.extractall"],
    "evaluate a literal expression safely": ["ast.literal_eval"],
    "generate tokens from source code": ["tokenize.generate_tokens", "tokenize.tokenize"],
    "translate a shell pattern to a regular expression": ["fnmatch.translate"],
    "format an exception with its traceback": ["traceback.format_exception"],
    "make a temporary directory": ["tempfile.mkdtemp", "tempfile.TemporaryDirectory"],
    "compare digests in constant time": ["hmac.compare_digest"],
    "decode a json document": ["json.decoder.JSONDecoder.decode", "json.loads"],
    "serialize an object to json": ["json.dumps", "json.encoder.JSONEncoder.encode"],
    "guess the mime type of a file": ["mimetypes.guess_type", "mimetypes.MimeTypes.guess_type"],
    "shuffle a list in place": ["random.Random.shuffle"],
    "normalize a path": ["posixpath.normpath"],
    "expand the user's home directory in a path": ["posixpath.expanduser"],
    "escape html special characters": ["html.escape"],
    "unescape html character references": ["html.unescape"],
    "pretty print a data structure": ["pprint.pprint", "pprint.pformat"],
    "deep copy an object": ["copy.deepcopy"],
    "least recently used cache decorator": ["functools.lru_cache"],
    "freeze some arguments of a function": ["functools.partial"],
    "tuple subclass with named fields": ["collections.namedtuple"],
    "count hashable items": ["collections.Counter"],
    "move a key to the end of an ordered dict": ["collections.OrderedDict.move_to_end"],
    "send a mail message through an smtp server": [
        "smtplib.SMTP.sendmail", "smtplib.SMTP.send_message"
    ],
    "is this file a zip archive": ["zipfile.is_zipfile"],
    "median of data": ["statistics.median"],
    "arithmetic mean": ["statistics.mean", "statistics.fmean"],
    "random uuid": ["uuid.uuid4"],
    "parse an email message from bytes": [
        "email.message_from_bytes", "email.parser.BytesParser.parse"
    ],
    "urlsplit": ["urllib.parse.urlsplit"],
    "dedent": ["textwrap.dedent"],
    "JSONDecoder": ["json.decoder.JSONDecoder"],
}  # fmt: skip
SIGNAL_SETS = {
    "hybrid": ("bm25", "symbol", "graph"),
    "bm25": ("bm25",),
    "symbol": ("symbol",),
    "bm25_graph": ("bm25", "graph"),
}
TOP = 10


def rank_of(results, answers: list[str]) -> int | None:
    """1-based rank of the first result that defines one of `answers`."""
    for rank, result in enumerate(results, start=1):
        if result.symbol in answers:
            return rank
    return None


def main() -> None:
    from index import copy_tree

    from aiide_tui.index.project import CodeIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list hybrid's misses at 1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        root = copy_tree(work / "stdlib")
        index = CodeIndex(root, state_dir=work / "state")
        index.index()
        print(f"questions: {len(ANSWERS)} (standard library, no vectors)")
        for name, signals in SIGNAL_SETS.items():
            ranks = []
            for question, answers in ANSWERS.items():
                rank = rank_of(index.search(question, TOP, signals=signals), answers)
                ranks.append(rank)
                if args.misses and name == "hybrid" and rank != 1:
                    got = [r.symbol for r in index.search(question, 3, signals=signals)]
                    print(f"  miss ({rank}): {question!r} -> {got}")
            at1 = sum(rank == 1 for rank in ranks) / len(ranks)
            at5 = sum(rank is not None and rank <= 5 for rank in ranks) / len(ranks)
            mrr = sum(1 / rank for rank in ranks if rank) / len(ranks)
            print(f"{name}_hit_at_1: {at1:.2f}  hit_at_5: {at5:.2f}  mrr: {mrr:.3f}")
        index.close()


if __name__ == "__main__":
    main()
