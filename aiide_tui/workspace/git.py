"""Git facts about the workspace: branch, status, ignore rules, diff against HEAD.

Each question is one porcelain git command (run through gitpython's command
runner, which finds the executable and reports failures), never a walk through
gitpython's object model: that is what keeps status fast on large repos.
Paths in and out are relative to the workspace root, which may be a
subdirectory of the repository.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from aiide_tui.errors import WorkspaceError
from aiide_tui.workspace.files import LEGACY_ENCODINGS, decode_bytes

if TYPE_CHECKING:
    import git

MAX_UNTRACKED_DIFF_BYTES = 1024 * 1024
"""Untracked files larger than this are left out of `GitRepo.diff`."""
UNTRACKED_TEXT_BUDGET = 4 * 1024 * 1024
"""New files' text `GitRepo.diff` gives in all: a fresh `git init` over a big folder makes
every file untracked, and the review would read and draw all of it."""


@dataclass(frozen=True)
class WorkingTreeDiff:
    """`GitRepo.diff`'s answer: the diff text, and the untracked files it does not show (no
    room left, over `MAX_UNTRACKED_DIFF_BYTES`, binary or unreadable)."""

    text: str
    untracked_not_shown: tuple[str, ...] = ()


_TIMEOUT_S = 120
_SUBMODULE_MODE = "160000"
_QUIET_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
"""No index refresh lock (so we never block the user's own git), never prompt."""


class GitError(WorkspaceError):
    """A git command failed."""

    title = "Git error"


class GitRepo:
    """The git repository that holds a workspace root."""

    def __init__(self, repo: git.Repo, root: Path, prefix: str) -> None:
        import git

        self.repo = repo
        self.root = root
        self._prefix = prefix
        self._runner = git.Git(str(root))

    @classmethod
    def open(cls, root: Path) -> GitRepo | None:
        """The repository holding `root`, or None when there is none or git is missing.

        A root that an enclosing repository ignores (a home directory kept in
        git with a `*` ignore rule) is not treated as part of it.
        """
        os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
        try:
            import git
        except ImportError:
            return None
        root = Path(os.path.realpath(root))
        try:
            repo = git.Repo(root, search_parent_directories=True)
        except (git.GitError, OSError, ValueError):
            return None
        if repo.bare or repo.working_tree_dir is None:
            return None
        top = os.path.realpath(repo.working_tree_dir)
        prefix = "" if top == str(root) else Path(os.path.relpath(root, top)).as_posix() + "/"
        found = cls(repo, root, prefix)
        try:
            found._run("rev-parse", "--git-dir")
            if prefix and found.ignored(["."]):
                return None
        except GitError:
            return None
        return found

    def branch(self) -> str | None:
        """The current branch, the short commit id when detached, None when unknown."""
        code, out, _ = self._exec("symbolic-ref", "--short", "-q", "HEAD")
        if code == 0:
            return out.decode("utf-8", "replace").strip()
        code, out, _ = self._exec("rev-parse", "--short", "HEAD")
        return out.decode().strip() if code == 0 else None

    def status(self) -> dict[str, str]:
        """Changed paths -> "modified", "added", "deleted", "untracked", "renamed" or
        "conflict" (a merge left it with conflict markers to resolve)."""
        out = self._run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
        fields = iter(out.split(b"\0"))
        changes: dict[str, str] = {}
        for field in fields:
            if len(field) < 4:
                continue
            code = field[:2].decode("ascii", "replace")
            if "R" in code or "C" in code:
                next(fields, None)
            kind = _status_kind(code)
            rel = self._from_top(os.fsdecode(field[3:]))
            if kind is not None and rel is not None and readable_name(rel):
                changes[rel] = kind
        return changes

    def ignored(self, paths: list[str]) -> set[str]:
        """Which of these root-relative paths git ignores (tracked files never are).

        `--no-index` plus our own tracked-file check: plain check-ignore looks
        each path up in the index and takes seconds for a few thousand paths.
        """
        if not paths:
            return set()
        with tempfile.TemporaryFile() as stdin:
            stdin.write(b"\0".join(os.fsencode(p) for p in paths))
            stdin.seek(0)
            args = "check-ignore", "--no-index", "--stdin", "-z"
            out = self._run(*args, ok=(0, 1), stdin=stdin)
        matched = {os.fsdecode(p) for p in out.split(b"\0") if p} & set(paths)
        if not matched:
            return matched
        tracked = self._run("ls-files", "-z", "--cached").split(b"\0")
        return matched - {os.fsdecode(p) for p in tracked}

    def files(self) -> list[str]:
        """Files in the working tree, relative and sorted: tracked (not deleted) plus
        untracked ones that .gitignore does not exclude. Submodules are left out."""
        tracked = set()
        for line in self._run("ls-files", "-z", "-t", "--stage").split(b"\0"):
            meta, _, name = line.partition(b"\t")
            if name and meta.split(b" ")[1].decode() != _SUBMODULE_MODE and meta[:1] != b"S":
                tracked.add(os.fsdecode(name))
        extra = "ls-files", "-z", "-t", "--others", "--deleted", "--exclude-standard"
        for line in self._run(*extra).split(b"\0"):
            tag, name = line[:1], os.fsdecode(line[2:])
            if tag == b"?":
                tracked.add(name)
            elif tag == b"R":
                tracked.discard(name)
        return sorted(tracked)

    def diff(self, *, untracked_budget: int = UNTRACKED_TEXT_BUDGET) -> WorkingTreeDiff:
        """Unified diff of the working tree against HEAD, untracked files as new files.

        Untracked files that are binary or over 1 MiB are left out, and so are
        those past `untracked_budget` bytes of new text (named in the result).
        In a repository with no commit yet, everything is diffed against the
        empty tree.
        """
        code, _, _ = self._exec("rev-parse", "--verify", "-q", "HEAD")
        base = "HEAD" if code == 0 else self._run("hash-object", "-t", "tree", os.devnull).strip()
        args = ["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff"]
        if self._prefix:
            args.append("--relative")
        tracked = decode_diff(self._run(*args, os.fsdecode(base), "--", "."))
        if "\nBinary files " in tracked or tracked.startswith("Binary files "):
            tracked = self._as_text_where_we_read_text(tracked, os.fsdecode(base))
        untracked = self._run("ls-files", "-z", "--others", "--exclude-standard").split(b"\0")
        parts = [tracked]
        not_shown: list[str] = []
        left = untracked_budget
        for name in sorted(os.fsdecode(n) for n in untracked if n):
            if left <= 0:
                not_shown.append(name)
                continue
            part = _new_file_diff(self.root, name)
            if not part:  # too big for a review, binary or unreadable: counted, not dropped
                not_shown.append(name)
            left -= len(part)
            parts.append(part)
        return WorkingTreeDiff("".join(parts), tuple(not_shown))

    def _as_text_where_we_read_text(self, diff: str, base: str) -> str:
        """Files git calls binary that the editor reads as text (UTF-16 with a BOM: git sees
        its zero bytes) diffed as text, as the editor shows them."""
        parts = re.split(r"(?m)^(?=diff --git )", diff)
        for index, part in enumerate(parts):
            found = _BINARY_CHANGE.search(part)
            if found is None:
                continue
            rel = found.group(1)
            try:
                old, _ = decode_bytes(self._run("show", f"{base}:./{rel}"), rel)
                new, _ = decode_bytes((self.root / rel).read_bytes(), rel)
            except (GitError, OSError, WorkspaceError):
                continue
            head = part[: part.index("Binary files ")]
            parts[index] = head + _text_diff(rel, old, new)
        return "".join(parts)

    def _from_top(self, path: str) -> str | None:
        """A repository-relative path made root-relative (None when outside the root)."""
        if not path.startswith(self._prefix):
            return None
        return path[len(self._prefix) :].rstrip("/")

    def _run(self, *args: str, ok: tuple[int, ...] = (0,), stdin: IO[bytes] | None = None) -> bytes:
        code, out, err = self._exec(*args, stdin=stdin)
        if code not in ok:
            raise GitError(f"git {args[0]} failed: {err.strip() or f'exit status {code}'}")
        return out

    def _exec(self, *args: str, stdin: IO[bytes] | None = None) -> tuple[int, bytes, str]:
        """Run git in the workspace root: (exit status, stdout, stderr).

        `-C` names the root explicitly: gitpython falls back to the process's
        own directory when the working directory has gone.
        """
        import git

        runner = self._runner
        try:
            code, out, err = runner.execute(
                [runner.GIT_PYTHON_GIT_EXECUTABLE or "git", "-C", str(self.root), *args],
                istream=stdin,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                kill_after_timeout=_TIMEOUT_S,
                env=_QUIET_ENV,
            )
        except git.GitCommandNotFound as exc:
            raise GitError("git is not installed or not on PATH") from exc
        return code, out, err if isinstance(err, str) else os.fsdecode(err)


UNMERGED = frozenset({"DD", "AU", "UD", "UA", "DU", "AA", "UU"})
"""Porcelain codes of a path a merge left in conflict."""


def _status_kind(code: str) -> str | None:
    """Map a porcelain XY code to one of our kinds."""
    if code == "??":
        return "untracked"
    if code == "!!":
        return None
    if code in UNMERGED:
        return "conflict"
    if "R" in code:
        return "renamed"
    if "D" in code:
        return "deleted"
    if "A" in code or "C" in code:
        return "added"
    return "modified"


def decode_diff(data: bytes) -> str:
    """`git diff` output as text, each file's part decoded on its own: a file kept in a
    legacy encoding (cp1252) reads as the editor shows it, not as replacement characters."""
    parts = data.split(b"\ndiff --git ")
    texts = [parts[0], *(b"diff --git " + part for part in parts[1:])]
    return "\n".join(_decode_part(part) for part in texts)


def _decode_part(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in LEGACY_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


_BINARY_CHANGE = re.compile(r"(?m)^Binary files a/(.+) and b/\1 differ$")


def _text_diff(rel: str, old: str, new: str) -> str:
    """The `---`/`+++` lines and hunks of a text change (git's form, no-newline marks too)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _new_file_diff(root: Path, rel: str) -> str:
    """A git-style new-file diff for one untracked file ("" when skipped)."""
    path = root / rel
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            data, mode = os.fsencode(os.readlink(path)), "120000"
        elif stat.S_ISREG(info.st_mode) and info.st_size <= MAX_UNTRACKED_DIFF_BYTES:
            data, mode = path.read_bytes(), "100755" if info.st_mode & 0o100 else "100644"
        else:
            return ""
        text, _ = decode_bytes(data, rel)
    except (OSError, WorkspaceError):  # unreadable, or binary
        return ""
    header = f"diff --git a/{rel} b/{rel}\nnew file mode {mode}\n"
    if not text:
        return header
    lines = text.split("\n")
    last = lines.pop()
    body = [f"+{line}\n" for line in lines]
    if last:
        body.append(f"+{last}\n\\ No newline at end of file\n")
    count = len(lines) + (1 if last else 0)
    span = "1" if count == 1 else f"1,{count}"
    return f"{header}--- /dev/null\n+++ b/{rel}\n@@ -0,0 +{span} @@\n{''.join(body)}"


def project_at(path: str | None) -> Path:
    """The project a command means: `path` as given; with none, the top of the git work tree
    holding the current folder (so `aiide search` in `src/` searches the repository, as
    `git grep` does), else the current folder."""
    if path is not None:
        return Path(path).expanduser().resolve()
    here = Path.cwd().resolve()
    repo = GitRepo.open(here)  # None too where the repository ignores this folder
    if repo is None or repo.repo.working_tree_dir is None:
        return here
    return Path(os.path.realpath(repo.repo.working_tree_dir))


def readable_name(rel: str) -> bool:
    """Whether a path decoded from the file system is valid UTF-8: `os.fsdecode` keeps other
    bytes as surrogates, which no JSON, SQLite text or screen of ours can carry."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
