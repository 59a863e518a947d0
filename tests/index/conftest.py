"""Fixtures for the index tests: a small multi-file project whose answers are known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aiide_tui.index.project import CodeIndex
from tests.support.model_server import model_server, model_server_process  # noqa: F401

PROJECT = {
    "shop/__init__.py": '"""A tiny shop."""\n',
    "shop/security.py": '''"""Passwords and tokens."""
import hashlib


def hash_password(password: str, salt: str) -> str:
    """Derive a slow salted digest of a password with PBKDF2."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 100_000).hex()


def check_password(password: str, salt: str, digest: str) -> bool:
    """Verify a user's login secret against the stored digest."""
    return hash_password(password, salt) == digest
''',
    "shop/users.py": '''"""User accounts."""
from .security import check_password, hash_password


class UserStore:
    """Keeps users in memory, by name."""

    def __init__(self):
        self.users = {}

    def register(self, name, password):
        """Create an account with a salted password digest."""
        self.users[name] = hash_password(password, name)

    def login(self, name, password):
        """True when the name and password match an account."""
        digest = self.users.get(name)
        return digest is not None and check_password(password, name, digest)
''',
    "shop/shell.py": '''"""Talking to the shell."""
import re

_UNSAFE = re.compile(r"[^\\w@%+=:,./-]")


def quote_arg(text):
    """Return a shell-escaped version of the string, safe to paste into a command line."""
    if not text:
        return "''"
    if _UNSAFE.search(text) is None:
        return text
    return "'" + text.replace("'", "'\\"'\\"'") + "'"


def command_line(args):
    """Join arguments into one command for sh."""
    return " ".join(quote_arg(arg) for arg in args)
''',
    "shop/cart.py": '''"""The shopping cart."""
from .users import UserStore


class Cart:
    """Items a user is about to buy, with their prices in cents."""

    def __init__(self, store: UserStore):
        self.store = store
        self.items = []

    def add_item(self, sku, price_cents):
        self.items.append((sku, price_cents))

    def total_cents(self):
        """Sum of the prices of everything in the cart."""
        return sum(price for _, price in self.items)

    def checkout(self, name, password):
        """Charge the user for the cart after they log in again."""
        if not self.store.login(name, password):
            raise PermissionError(name)
        return self.total_cents()
''',
    "web/app.ts": """import { parseHttpHeader } from "./http";

export class Router {
  routes: Map<string, string> = new Map();

  handle(raw: string): string {
    const header = parseHttpHeader(raw);
    return this.routes.get(header.path) ?? "404";
  }
}
""",
    "web/http.ts": """// Parse the request line of an HTTP/1.1 request.
export function parseHttpHeader(raw: string): { method: string; path: string } {
  const [method, path] = raw.split(" ");
  return { method, path };
}
""",
    "README.md": "# Shop\n\nA tiny shop used by the index tests.\n",
}


def write_project(root: Path, files: dict[str, str] = PROJECT, *, git: bool = True) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop-project")


@pytest.fixture
def index(project: Path, tmp_path: Path):
    code_index = CodeIndex(project, state_dir=tmp_path / "state", workers=2)
    code_index.index()
    yield code_index
    code_index.close()
