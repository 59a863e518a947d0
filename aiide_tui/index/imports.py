"""Resolve import strings to the project's own files, one rule table for every language.

An import names a module in its language's spelling (`..pkg.mod`, `./util`,
`crate::a::b`, `"dir/x.h"`, `github.com/me/proj/pkg`). Each is turned into
candidate root-relative module paths (slashes, no extension), longest first,
and looked up among the indexed files of the same language family: relative
imports by exact path, others by path suffix (so `email.mime.text` finds
`Lib/email/mime/text.py`; in Python only from a folder that is not itself a
package, so `import logging` is the standard library's, not `app/utils/logging.py`,
and the project's own namesake only where it could shadow it). Package files
(`__init__`, `index`, `mod`) also answer for their folder, and a Go import
answers with every file of its folder.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from pathlib import PurePosixPath

FAMILIES = {
    "typescript": "js", "tsx": "js", "javascript": "js", "c": "c", "cpp": "c", "objc": "c",
    "ocaml_interface": "ocaml",
}  # fmt: skip
PACKAGE_STEMS = frozenset({"__init__", "index", "mod", "lib"})
_RELATIVE_DOTS = re.compile(r"^(\.+)(.*)$")


def family(language: str | None) -> str:
    return FAMILIES.get(language or "", language or "")


def module_key(path: str) -> str:
    """`a/b/c.py` -> `a/b/c`; `a/b/__init__.py` -> `a/b`."""
    pure = PurePosixPath(path)
    stem = pure.name.split(".")[0] if pure.suffix else pure.name
    parent = pure.parent.as_posix()
    if stem in PACKAGE_STEMS and parent != ".":
        return parent
    return stem if parent == "." else f"{parent}/{stem}"


class ImportResolver:
    """Answers `resolve(importer, language, target)` with the file ids it names."""

    def __init__(self, files: list[tuple[int, str, str | None]]) -> None:
        self.exact: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.suffix: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.folders: dict[tuple[str, str], list[int]] = defaultdict(list)
        packages = {posixpath.dirname(path) for _, path, _ in files if path.endswith("__init__.py")}
        for file_id, path, language in files:
            fam = family(language)
            key = module_key(path)
            self.exact[fam, key].append(file_id)
            self.folders[fam, posixpath.dirname(path)].append(file_id)
            parts = key.split("/")
            for start in range(len(parts)):
                if fam == "python" and "/".join(parts[:start]) in packages:
                    continue  # inside a package: `import logging` never reaches pkg/logging.py
                self.suffix[fam, "/".join(parts[start:])].append(file_id)

    def resolve(self, importer: str, language: str | None, target: str) -> list[int]:
        fam = family(language)
        if language == "go":
            return self._go(fam, target)
        relative = _relative_path(importer, language, target)
        if relative is not None:
            found = self._exact_or_folder(fam, relative)
            if found or fam != "c":
                return found
        for candidate in _candidates(target):
            found = self.suffix.get((fam, candidate))
            if found:
                return [min(found)] if len(found) > 1 else found
        return []

    def _exact_or_folder(self, fam: str, path: str) -> list[int]:
        key = module_key(path) if PurePosixPath(path).suffix else path
        return self.exact.get((fam, key), []) or self.exact.get((fam, path), [])

    def _go(self, fam: str, target: str) -> list[int]:
        parts = target.strip('"').split("/")
        for start in range(len(parts)):
            found = self.folders.get((fam, "/".join(parts[start:])))
            if found:
                return found
        return []


def _relative_path(importer: str, language: str | None, target: str) -> str | None:
    """The root-relative module path of a relative import, None for absolute ones."""
    folder = posixpath.dirname(importer)
    if language == "python":
        match = _RELATIVE_DOTS.match(target)
        if not match:
            return None
        dots, rest = match.groups()
        for _ in range(len(dots) - 1):
            folder = posixpath.dirname(folder)
        return posixpath.normpath(posixpath.join(folder, rest.replace(".", "/")))
    if target.startswith(("./", "../")) or (language in ("c", "cpp") and "/" not in target):
        joined = posixpath.normpath(posixpath.join(folder, target))
        return None if joined.startswith("..") else joined
    return None


def _candidates(target: str) -> list[str]:
    """Slash paths for an absolute import, longest first (`a.b.C` -> a/b/C, a/b, a)."""
    cleaned = re.sub(r"^(crate|self|super)::", "", target.strip())
    cleaned = re.sub(r"\{.*\}|::\*|\.\*|\s+as\s+\w+$", "", cleaned)
    cleaned = re.sub(r"\.(h|hpp|hh|rb|js|ts|py)$", "", cleaned)
    parts = [part for part in re.split(r"::|\.|/", cleaned) if part]
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]
