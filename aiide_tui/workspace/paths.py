"""Path policy: every path a user, a model or a tool names is checked here first.

A path is accepted only if it lands inside the workspace root after every
symlink in its chain is followed, so that no write (by a model above all) can
escape the project. Protected paths (git internals, CI configuration, secrets)
need an explicit confirmation before they are written.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import itertools
import os
import re
import stat
from pathlib import Path, PurePosixPath

from aiide_tui.errors import PathPolicyError, ProtectedPathError

NAME_MAX = 255
"""Longest file name component, in bytes (Linux, macOS)."""

PATH_MAX = 4096
"""Longest whole path, in bytes (Linux)."""

_SECRET_PATTERNS = (
    ".env", ".env.*", "*.env", ".envrc",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".npmrc", ".pypirc", ".netrc", "_netrc", ".pgpass", ".git-credentials", ".htpasswd",
    "credentials", "credentials.json", "credentials.y*ml", "credentials.toml", "credentials.ini",
    "credentials.csv", "credentials.xml", "credentials.txt", "credentials.env",
    "service-account*.json", "*.tfstate", "*.tfstate.*", "*.tfvars", "*.tfvars.json",
    "*.ppk", ".vault-token", ".dockercfg", ".s3cfg", ".boto", "kubeconfig",
    "secrets.json", "secrets.y*ml", "secrets.toml", "secrets.ini", "secrets.env",
)  # fmt: skip
"""File names that hold credentials (`secrets.py` and `credentials.py`, modules, are code)."""
_SECRET_FOLDERS = frozenset({".ssh", ".gnupg", ".aws", ".kube", "secrets", ".secrets"})
"""Folders whose every file is a credential or a credential's configuration."""
_SECRET_FILES_IN = {".docker": frozenset({"config.json"})}
PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[ \t]*\r?\n"
    r"(?:[A-Za-z0-9+/=:,. \t-]*\r?\n)+?-----END \1-----"
)
"""A private key block, whatever file holds it: the header, the key's lines and the end (code
that only names the header, a parser's constant, is not one)."""
_PRIVATE_KEY_BYTES = re.compile(PRIVATE_KEY.pattern.encode())


_CI_FILES = frozenset({".gitlab-ci.yml", "jenkinsfile", "azure-pipelines.yml"})
_CI_DIRS = frozenset({".ci", ".circleci"})


def secret_name(name: str) -> bool:
    """Whether a bare file name looks like it holds credentials (case-insensitive)."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in _SECRET_PATTERNS)


def secret_path(rel: str) -> bool:
    """Whether a root-relative path looks like it holds credentials: by its name, or by the
    folder it is in (`.ssh/`, `.kube/config`, `.docker/config.json`, `secrets/`)."""
    parts = [part.lower() for part in PurePosixPath(rel).parts]
    if not parts:
        return False
    folders = parts[:-1]
    if any(folder in _SECRET_FOLDERS for folder in folders):
        return True
    if folders and parts[-1] in _SECRET_FILES_IN.get(folders[-1], ()):
        return True
    return secret_name(parts[-1])


def secret_text(text: str | bytes) -> bool:
    """Whether text holds a private key (a key pasted into `notes.txt` is still a key);
    binary data (a library that embeds the header) is not text, and holds none."""
    if isinstance(text, bytes):
        if b"PRIVATE KEY" not in text or b"\x00" in text[:8192]:
            return False
        return _PRIVATE_KEY_BYTES.search(text) is not None
    return "PRIVATE KEY" in text and PRIVATE_KEY.search(text) is not None


def protection_of(rel: str) -> str | None:
    """Why a root-relative posix path is protected, or None when it is not."""
    parts = PurePosixPath(rel).parts
    if not parts:
        return None
    lowered = [part.lower() for part in parts]
    if ".git" in lowered:
        return "git internals"
    ci_dir = any(part in _CI_DIRS for part in lowered[:-1])
    workflows = any(a == ".github" and b == "workflows" for a, b in itertools.pairwise(lowered))
    if ci_dir or workflows or lowered[-1] in _CI_FILES:
        return "CI configuration"
    if secret_path(rel):
        return "a secret"
    return None


def _read_only(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) and not mode & 0o222:
        return "read-only (its mode has no write permission)"
    return None


class PathPolicy:
    """Decides which paths inside one workspace root may be read and written."""

    def __init__(self, root: Path) -> None:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            raise PathPolicyError(f"Workspace root {root} is not a directory")
        self.root = Path(real)
        self._root = real

    def resolve(self, path: str | Path) -> Path:
        """The real absolute path for `path`, or PathPolicyError when it is not allowed.

        Relative paths are taken from the root; absolute ones must lie inside it.
        The path need not exist: the existing part of its chain is resolved.
        """
        raw = self._checked_text(path)
        if os.path.isabs(raw):
            joined = os.path.realpath(raw)
            if not self._inside(joined):
                raise PathPolicyError(f"{raw} is outside the workspace")
            raw = os.path.relpath(joined, self._root)
        real = self._walk_chain(raw)
        self._check_lengths(real, raw)
        return Path(real)

    def relative(self, path: str | Path) -> str:
        """The posix path of `path` relative to the root ("." for the root itself)."""
        return Path(os.path.relpath(self.resolve(path), self._root)).as_posix()

    def protection(self, path: str | Path) -> str | None:
        """Why `path` is protected ("git internals", "CI configuration", "a secret"), or None.

        Both the name as given and the file it resolves to are considered, so a
        symlink cannot hide a protected file behind an innocent name.
        """
        for rel in self._names(path):
            reason = protection_of(rel)
            if reason is not None:
                return reason
        return None

    def is_protected(self, path: str | Path) -> bool:
        """Whether writing `path` needs confirmation (git internals, CI configs, secrets)."""
        return self.protection(path) is not None

    def is_secret(self, path: str | Path) -> bool:
        """Whether `path` looks like it holds credentials; later layers keep these from models."""
        return any(secret_path(rel) for rel in self._names(path))

    def check_write(self, path: str | Path, *, confirmed: bool = False) -> Path:
        """Resolve `path` for writing; protected paths, and files whose mode forbids writing,
        raise ProtectedPathError unless confirmed (an atomic save only needs the folder to
        be writable, so a chmod 444 file would otherwise be replaced without a word)."""
        resolved = self.resolve(path)
        reason = self.protection(path) or _read_only(resolved)
        if reason is not None and not confirmed:
            rel = Path(os.path.relpath(resolved, self._root)).as_posix()
            raise ProtectedPathError(f"{rel} is {reason}; writing it needs confirmation.")
        return resolved

    def _inside(self, real: str) -> bool:
        return real == self._root or real.startswith(self._root.rstrip(os.sep) + os.sep)

    def _checked_text(self, path: str | Path) -> str:
        raw = os.fspath(path)
        if not isinstance(raw, str):
            raise PathPolicyError("Paths must be text")
        if not raw:
            raise PathPolicyError("Empty path")
        if "\x00" in raw:
            raise PathPolicyError("Path contains a NUL byte")
        self._check_lengths(raw, raw)
        return raw

    def _check_lengths(self, path: str, shown: str) -> None:
        try:
            encoded = os.fsencode(path)
        except UnicodeEncodeError:
            raise PathPolicyError(f"{shown!r} cannot be encoded as a file name") from None
        if len(encoded) > PATH_MAX:
            raise PathPolicyError(f"Path is longer than {PATH_MAX} bytes")
        if any(len(part) > NAME_MAX for part in encoded.split(b"/")):
            raise PathPolicyError(f"A name in the path is longer than {NAME_MAX} bytes")

    def _walk_chain(self, rel: str) -> str:
        """The real path of `rel`, checked one component at a time: no '..' may
        climb above the root, even for a moment, and no symlink may lead out."""
        current = real = self._root
        for part in rel.split("/"):
            if part in ("", "."):
                continue
            if part == ".." and not os.path.isdir(current):
                raise PathPolicyError(f"{rel} has '..' after something that is not a folder")
            current = os.path.join(current, part)
            real = self._realpath(current, rel)
            if part == ".." and not self._inside(real):
                raise PathPolicyError(f"{rel} climbs out of the workspace with '..'")
            if not self._inside(real):
                raise PathPolicyError(f"{rel} goes through a symlink that leaves the workspace")
        return real

    def _realpath(self, path: str, shown: str) -> str:
        try:
            return os.path.realpath(path, strict=True)
        except FileNotFoundError:
            return os.path.realpath(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise PathPolicyError(f"{shown} is a symlink loop") from None
            if exc.errno in (errno.ENAMETOOLONG, errno.ENOTDIR):
                raise PathPolicyError(f"{shown}: {exc.strerror}") from None
            return os.path.realpath(path)

    def _names(self, path: str | Path) -> set[str]:
        """The root-relative posix names `path` goes by: as written, and as resolved."""
        raw = os.fspath(path)
        lexical = os.path.normpath(os.path.join(self._root, raw))
        names = {Path(os.path.relpath(lexical, self._root)).as_posix()}
        with contextlib.suppress(PathPolicyError):
            names.add(self.relative(raw))
        return names
