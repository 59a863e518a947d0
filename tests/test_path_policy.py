"""PathPolicy: hostile paths never resolve (or write) outside the root; protected paths."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiide_tui.errors import PathPolicyError, ProtectedPathError, WorkspaceError
from aiide_tui.workspace import NAME_MAX, PATH_MAX, PathPolicy, Workspace


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/root (the workspace, full of traps), base/outside, base/sibling, base/state."""
    base = tmp_path_factory.mktemp("policy")
    root = base / "root"
    for name in ("root/a/deep", "outside", "sibling", "state"):
        (base / name).mkdir(parents=True)
    (root / "a" / "file.txt").write_text("inside\n")
    (root / "out").symlink_to(base / "outside")
    (root / "sib").symlink_to("../sibling")
    (root / "etc").symlink_to("/etc")
    (root / "a" / "up").symlink_to("../../outside")
    (root / "a" / "dangling").symlink_to(base / "outside" / "not-yet")
    (root / "inner").symlink_to("a")
    (root / "loop").symlink_to("loop")
    (root / "hop").symlink_to("out")
    (root / "self").symlink_to(".")
    (root / "a" / "deeplink").symlink_to("deep")
    return base


@pytest.fixture
def policy(sandbox: Path) -> PathPolicy:
    return PathPolicy(sandbox / "root")


def test_relative_paths_resolve_inside_root(policy: PathPolicy) -> None:
    root = policy.root
    assert policy.resolve("a/file.txt") == root / "a" / "file.txt"
    assert policy.resolve("a/deep/../file.txt") == root / "a" / "file.txt"
    assert policy.resolve("new/dir/file.py") == root / "new" / "dir" / "file.py"
    assert policy.resolve(".") == root
    assert policy.relative("a/./deep/x.py") == "a/deep/x.py"


def test_absolute_paths_inside_root_are_accepted(policy: PathPolicy) -> None:
    assert policy.resolve(str(policy.root / "a" / "file.txt")) == policy.root / "a" / "file.txt"


def test_symlinks_inside_root_resolve_to_their_target(policy: PathPolicy) -> None:
    assert policy.resolve("inner/file.txt") == policy.root / "a" / "file.txt"
    assert policy.relative("inner/file.txt") == "a/file.txt"
    assert policy.relative("a/deeplink/../file.txt") == "a/file.txt"
    assert policy.resolve("self/self/a") == policy.root / "a"


def test_root_given_through_a_symlink(sandbox: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(sandbox / "root")
    aliased = PathPolicy(alias)
    assert aliased.root == (sandbox / "root").resolve()
    assert aliased.resolve(str(alias / "a" / "file.txt")) == aliased.root / "a" / "file.txt"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "Empty"),
        ("a/\x00b", "NUL"),
        ("../x", "climbs out"),
        ("a/../../x", "climbs out"),
        ("a/deep/../../../root/a/file.txt", "climbs out"),
        ("new/../a/file.txt", "not a folder"),
        ("self/../root/a/file.txt", "climbs out"),
        ("a/deeplink/../../../x", "climbs out"),
        ("a/file.txt/..", "not a folder"),
        ("/etc/passwd", "outside"),
        ("etc/passwd", "symlink"),
        ("etc", "symlink"),
        ("out/new.txt", "symlink"),
        ("sib/x", "symlink"),
        ("hop/x", "symlink"),
        ("a/up/x", "symlink"),
        ("a/dangling", "symlink"),
        ("etc/../root/a/file.txt", "symlink"),
        ("loop", "loop"),
        ("x" * (NAME_MAX + 1), "longer than"),
        ("a/" * (PATH_MAX // 2), "longer than"),
        ("\ud800", "cannot be encoded"),
    ],
)
def test_hostile_paths_are_refused(policy: PathPolicy, path: str, why: str) -> None:
    with pytest.raises(PathPolicyError, match=why):
        policy.resolve(path)


def test_absolute_path_in_sibling_dir_is_refused(sandbox: Path, policy: PathPolicy) -> None:
    with pytest.raises(PathPolicyError):
        policy.resolve(str(sandbox / "sibling" / "x"))
    with pytest.raises(PathPolicyError):
        policy.resolve(str(sandbox / "root-evil" / "x"))


def test_long_but_legal_names_and_unicode_are_fine(policy: PathPolicy) -> None:
    assert policy.resolve("x" * NAME_MAX).name == "x" * NAME_MAX
    assert policy.relative("données/日本語 ü.txt") == "données/日本語 ü.txt"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (".git/config", "git internals"),
        ("vendor/lib/.git/HEAD", "git internals"),
        (".GIT/hooks/pre-commit", "git internals"),
        (".github/workflows/ci.yml", "CI configuration"),
        (".gitlab-ci.yml", "CI configuration"),
        (".ci/run", "CI configuration"),
        (".circleci/config.yml", "CI configuration"),
        ("Jenkinsfile", "CI configuration"),
        ("azure-pipelines.yml", "CI configuration"),
        (".env", "a secret"),
        ("config/.env.production", "a secret"),
        ("certs/server.pem", "a secret"),
        ("tls.key", "a secret"),
        ("id_rsa.pub", "a secret"),
        ("id_ed25519", "a secret"),
        (".npmrc", "a secret"),
        (".pypirc", "a secret"),
        (".netrc", "a secret"),
        ("credentials.json", "a secret"),
        (".aws/credentials", "a secret"),
        ("gcloud/credentials", "a secret"),
        ("store.p12", "a secret"),
        ("store.pfx", "a secret"),
        ("secrets.yaml", "a secret"),
        (".envrc", "a secret"),
        ("deploy/prod.env", "a secret"),
        ("id_ecdsa", "a secret"),
        ("id_dsa", "a secret"),
        (".git-credentials", "a secret"),
        (".pgpass", "a secret"),
        (".htpasswd", "a secret"),
        ("home/.kube/config", "a secret"),
        (".docker/config.json", "a secret"),
        (".aws/config", "a secret"),
        (".ssh/known_hosts", "a secret"),
        ("k8s/secrets/db.yaml", "a secret"),
        ("gcp/service-account.json", "a secret"),
        ("infra/terraform.tfstate", "a secret"),
        ("infra/prod.tfvars", "a secret"),
        ("infra/prod.tfvars.json", "a secret"),
        ("keys/server.ppk", "a secret"),
        (".vault-token", "a secret"),
        ("ops/kubeconfig", "a secret"),
    ],
)
def test_protected_paths(policy: PathPolicy, path: str, reason: str) -> None:
    assert policy.protection(path) == reason
    assert policy.is_protected(path)
    assert policy.is_secret(path) == (reason == "a secret")
    with pytest.raises(ProtectedPathError, match="needs confirmation"):
        policy.check_write(path)
    assert policy.check_write(path, confirmed=True) == policy.root / path


@pytest.mark.parametrize(
    "path",
    ["src/main.py", ".github/CODEOWNERS", "environment.py", "keys.py", "docs/ci.md",
     "secrets.py", "providers/secrets.py", "docker/config.json", "envs.py",
     "google/auth/credentials.py", "botocore/credentials.py"],
)  # fmt: skip
def test_ordinary_paths_are_not_protected(policy: PathPolicy, path: str) -> None:
    assert not policy.is_protected(path)
    assert not policy.is_secret(path)
    assert policy.check_write(path) == policy.root / path


def test_symlink_cannot_hide_a_secret(sandbox: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TOKEN=x\n")
    (tmp_path / "notes.txt").symlink_to(".env")
    policy = PathPolicy(tmp_path)
    assert policy.is_secret("notes.txt")
    with pytest.raises(ProtectedPathError):
        policy.check_write("notes.txt")


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PathPolicyError):
        PathPolicy(tmp_path / "missing")


SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            "",
            "a",
            "deep",
            "file.txt",
            "out",
            "sib",
            "etc",
            "up",
            "dangling",
            "inner",
            "loop",
            "hop",
            "self",
            "deeplink",
            "root",
            "outside",
            "x" * 300,
            "é",
            "日本",
            "a\x00b",
            "\udc80",
            "\ud800",
        ]
    ),
    st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s),
)


def hostile_paths(prefixes: list[str]) -> st.SearchStrategy[str]:
    """Paths built from traps: '..', symlinks out, NULs, unicode, absolute prefixes."""
    return st.builds(
        lambda prefix, parts: prefix + "/".join(parts),
        st.sampled_from(prefixes),
        st.lists(SEGMENTS, min_size=1, max_size=8),
    )


def _prefixes(sandbox: Path) -> list[str]:
    return ["", "", "/", f"{sandbox}/root/", f"{sandbox}/outside/", f"{sandbox}/", "/etc/"]


def _inside(path: Path, root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(root)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_write_never_returns_a_path_outside_root(sandbox: Path, data: st.DataObject) -> None:
    policy = PathPolicy(sandbox / "root")
    path = data.draw(hostile_paths(_prefixes(sandbox)))
    try:
        resolved = policy.check_write(path, confirmed=True)
    except PathPolicyError:
        return
    assert _inside(resolved, policy.root)
    assert resolved == Path(os.path.realpath(resolved))


@pytest.fixture(scope="module")
def workspace(sandbox: Path) -> Iterator[Workspace]:
    ws = Workspace(sandbox / "root", sandbox / "state")
    yield ws
    ws.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_workspace_writes_never_escape_root(
    sandbox: Path, workspace: Workspace, data: st.DataObject
) -> None:
    prefixes = [p for p in _prefixes(sandbox) if p != "/etc/"]
    path = data.draw(hostile_paths(prefixes).filter(lambda p: "etc" not in p.split("/")))
    with contextlib.suppress(PathPolicyError, WorkspaceError):
        workspace.write(path, "payload\n", confirmed=True)
    assert os.listdir(sandbox / "outside") == []
    assert os.listdir(sandbox / "sibling") == []
    assert sorted(os.listdir(sandbox)) == ["outside", "root", "sibling", "state"]


def test_writes_through_a_symlink_to_outside_are_refused(sandbox: Path, tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim.txt").write_text("original\n")
    (root / "escape").symlink_to(outside)
    (root / "victim.txt").symlink_to(outside / "victim.txt")
    with Workspace(root, tmp_path / "state") as ws:
        for path in ("escape/victim.txt", "escape/new.txt", "victim.txt", "escape"):
            with pytest.raises(PathPolicyError):
                ws.write(path, "pwned\n", confirmed=True)
    assert (outside / "victim.txt").read_text() == "original\n"
    assert os.listdir(outside) == ["victim.txt"]


def test_a_private_key_is_a_secret_whatever_the_file_is_called() -> None:
    from aiide_tui.workspace.paths import secret_text

    key = "notes\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"
    assert secret_text(key) and secret_text(key.encode())
    encrypted = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB\n\n"
        "MIIEow+/=\n-----END RSA PRIVATE KEY-----\n"
    )
    assert secret_text(encrypted)
    assert not secret_text("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n")
    # code that names the header (a parser's constants) is not a key; nor is a binary
    assert not secret_text('_SK_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n')
    assert not secret_text('HEADER = "-----BEGIN PRIVATE KEY-----"\ndef parse(): pass\n')
    assert not secret_text(b"\x7fELF\x00\x00" + key.encode())
