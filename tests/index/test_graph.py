"""The symbol graph on a small multi-file project with known answers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from aiide_tui.index.project import CodeIndex
from tests.index.conftest import write_project


@contextlib.contextmanager
def indexed(root: Path, files: dict[str, str]) -> Iterator[CodeIndex]:
    """`files` written as a project (outside git) and indexed; closed afterwards."""
    write_project(root, files, git=False)
    index = CodeIndex(root, state_dir=root.parent / "graph-state")
    try:
        index.index()
        yield index
    finally:
        index.close()


def test_definitions_by_name_and_by_path(index):
    [found] = index.definitions("check_password")
    assert (found.path, found.symbol, found.start_line, found.kind) == (
        "shop/security.py",
        "shop.security.check_password",
        10,
        "function",
    )
    assert [s.symbol for s in index.definitions("UserStore.login")] == [
        "shop.users.UserStore.login"
    ]
    assert index.definitions("no_such_name") == []


def test_references_and_callers(index):
    refs = index.references("hash_password")
    assert {(r.path, r.enclosing) for r in refs} == {
        ("shop/security.py", "shop.security.check_password"),
        ("shop/users.py", "shop.users.UserStore.register"),
    }
    assert [s.symbol for s in index.callers("check_password")] == ["shop.users.UserStore.login"]
    two_deep = {s.symbol for s in index.callers("check_password", depth=2)}
    assert two_deep == {"shop.users.UserStore.login", "shop.cart.Cart.checkout"}
    assert {s.symbol for s in index.callees("checkout")} == {
        "shop.users.UserStore.login",
        "shop.cart.Cart.total_cents",
    }


def test_importers_and_dependents(index):
    assert index.graph.importers("shop/security.py") == ["shop/users.py"]
    assert index.graph.importers("web/http.ts") == ["web/app.ts"]
    assert index.dependents("shop/users.py") == ["shop/cart.py"]
    assert index.graph.dependencies("shop/cart.py") == ["shop/users.py"]
    # what the import statements name, never a file tied by a shared name alone
    assert index.imports_of("shop/users.py") == ["shop/security.py"]
    assert index.imports_of("web/app.ts") == ["web/http.ts"]
    assert index.imports_of("shop/security.py") == []


def test_an_edit_relinks_callers_in_other_files(index, project):
    (project / "shop/security.py").write_text(
        "def verify_secret(password, salt, digest):\n    return False\n"
    )
    index.update(["shop/security.py"])
    assert index.callers("check_password") == []
    assert index.definitions("hash_password") == []
    assert index.references("hash_password") == []
    (project / "shop/security.py").write_text("def check_password(p, s, d):\n    return True\n")
    index.update(["shop/security.py"])
    assert [s.symbol for s in index.callers("check_password")] == ["shop.users.UserStore.login"]


def test_a_deleted_file_restored_gets_back_the_imports_of_files_that_did_not_change(index, project):
    """`git stash` then `git stash pop`: only the restored file is saved again, but files that
    merely import it (no calls to link by name) must point at it again."""
    (project / "shop/reexport.py").write_text("from shop.security import check_password\n")
    index.update(["shop/reexport.py"])
    assert index.graph.importers("shop/security.py") == ["shop/reexport.py", "shop/users.py"]
    text = (project / "shop/security.py").read_text()
    (project / "shop/security.py").unlink()
    index.update([], deleted=["shop/security.py"])
    assert index.graph.importers("shop/security.py") == []
    (project / "shop/security.py").write_text(text)
    index.update(["shop/security.py"])
    assert index.graph.importers("shop/security.py") == ["shop/reexport.py", "shop/users.py"]


def test_standard_library_imports_and_builtins_never_tie_to_a_projects_namesakes(tmp_path):
    """`import logging` is not `myapp/utils/logging.py`, and `ValueError` is not the class of
    that name a vendored package defines: both tied unrelated files together."""
    files = {
        "myapp/__init__.py": "",
        "myapp/utils/__init__.py": "",
        "myapp/utils/logging.py": "def getLogger(name):\n    return name\n",
        "vendor_errors.py": "class ValueError(Exception):\n    pass\n",
        "myapp/numbers.py": "import numpy as np\n\nZERO = np.getLogger('x')\n",
        "myapp/server.py": (
            "import logging\n\nLOG = logging.getLogger('server')\n\n\n"
            "def check(x):\n    if x < 0:\n        raise ValueError(x)\n    return x\n"
        ),
        "src_layout/toolkit/__init__.py": "def tool():\n    return 1\n",
        "main.py": "import toolkit\n\ntoolkit.tool()\n",
    }
    with indexed(tmp_path, files) as index:
        assert index.imports_of("myapp/server.py") == []
        assert index.references("ValueError") == []
        # a call through the standard library's logging (or a module under an alias) is
        # not a call to the namesake
        assert index.references("getLogger") == []
        # a folder that is not a package is a source root: `import toolkit` finds it
        assert index.imports_of("main.py") == ["src_layout/toolkit/__init__.py"]
        # and a call through a project module is linked as ever
        assert [ref.path for ref in index.references("tool")] == ["main.py"]


def test_definitions_near_the_asking_file_come_first_before_the_limit(tmp_path):
    """F12 on `send` in zz/session.py listed 50 other `send`s in path order and left out the
    one in the same file."""
    for n in range(60):
        (tmp_path / f"a{n:02}.py").write_text("def send(x):\n    return x\n")
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "transport.py").write_text("def send(x):\n    return x\n")
    (tmp_path / "zz" / "session.py").write_text(
        "from zz.transport import send as deliver\n\n\ndef send(x):\n    return deliver(x)\n"
    )
    index = CodeIndex(tmp_path, state_dir=tmp_path.parent / "near-state")
    try:
        index.index()
        near = [s.path for s in index.graph.definitions("send", near="zz/session.py")]
        plain = [s.path for s in index.graph.definitions("send")]
    finally:
        index.close()
    assert near[:2] == ["zz/session.py", "zz/transport.py"] and len(near) == 50
    assert "zz/session.py" not in plain


def test_a_name_imported_under_another_name_is_a_reference_to_the_original(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "class Engine:\n    pass\n\n\ndef helper_alpha():\n    return 1\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/util.py": (
            "from pkg.core import Engine as E\nfrom ..core import helper_alpha as ha\n\n\n"
            "def run():\n    E()\n    return ha()\n"
        ),
        "web/core.js": "export function connect() { return 1; }\n",
        "web/app.js": "import { connect as open } from './core';\nfunction main() { open(); }\n",
    }
    with indexed(tmp_path, files) as index:
        assert [r.path for r in index.references("Engine")] == ["pkg/sub/util.py"]
        assert [r.path for r in index.references("helper_alpha")] == ["pkg/sub/util.py"]
        assert [r.path for r in index.references("connect")] == ["web/app.js"]


def test_a_plain_call_is_not_a_methods_and_self_calls_are_only_methods(tmp_path):
    files = {
        "tools.py": "def tidy(x):\n    return x\n",
        "shapes.py": "class Box:\n    def tidy(self):\n        return self\n",
        "user.py": (
            "class Page:\n    def show(self):\n        self.tidy()\n        return tidy(1)\n\n"
            "    def tidy(self):\n        return None\n"
        ),
    }
    with indexed(tmp_path, files) as index:
        # `tidy(1)` is the function's (found project-wide: defined in few places)
        assert [(r.path, r.lines) for r in index.references("tools.tidy")] == [("user.py", (4,))]
        # `self.tidy()` is a method's: its own class's here, never the plain function's
        assert [(r.path, r.lines) for r in index.references("user.Page.tidy")] == [
            ("user.py", (3,))
        ]
        assert index.references("shapes.Box.tidy") == []


def test_a_call_through_a_javascript_builtin_is_not_the_projects_namesake(tmp_path):
    files = {
        "src/logger.js": "export function log(message) {\n  return message;\n}\n",
        "src/app.js": "console.log('starting');\n",
        "src/worker.js": "import { log } from './logger';\n\nlog('working');\n",
    }
    with indexed(tmp_path, files) as index:
        assert [ref.path for ref in index.references("log")] == ["src/worker.js"]
