"""The attack battery: each attempt must be contained. Counts attempts and escapes."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from aiide_tui.sandbox import RunResult, Sandbox
from tests.sandbox.conftest import sandbox_config

pytestmark = pytest.mark.usefixtures("docker_engine")
TOKEN = "host-secret-5b1e"
LIMITS = {"memory_mb": 128, "pids": 64, "work_mb": 16, "tmp_mb": 8, "output_kb": 64}


@dataclass(frozen=True)
class Attack:
    name: str
    script: str
    escaped: Callable[[RunResult], bool]
    timeout: float = 20


class Listener(socketserver.ThreadingTCPServer):
    """A service on the host that no run may reach; counts the connections it gets."""

    allow_reuse_address = True
    daemon_threads = True
    accepted = 0


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        Listener.accepted += 1
        self.request.sendall(b"HOST-SERVICE\n")


def host_addresses() -> list[str]:
    found = {"127.0.0.1", "172.17.0.1"}
    with contextlib.suppress(OSError):
        found.add(socket.gethostbyname(socket.gethostname()))
    return sorted(found)


def attacks(port: int, outside: Path) -> list[Attack]:
    connect = (
        "import socket\n"
        f"for host in {host_addresses()!r}:\n"
        "    try:\n"
        f"        s = socket.create_connection((host, {port}), timeout=2)\n"
        "        print('CONNECTED', s.recv(20))\n"
        "    except OSError as e: print('blocked', host, e)\n"
    )
    return [
        Attack(
            "dns egress",
            "import socket; print('RESOLVED', socket.getaddrinfo('deb.debian.org', 80))",
            lambda r: "RESOLVED" in r.stdout,
        ),
        Attack(
            "tcp to host loopback service",
            connect,
            lambda r: "CONNECTED" in r.stdout or Listener.accepted > 0,
        ),
        Attack(
            "read host file outside the project",
            f"import os\nfor p in [{str(outside)!r}, '/host', '/proc/1/root{outside}']:\n"
            "    try: print(open(p).read())\n    except OSError as e: print('blocked', p, e)\n"
            "found = []\nfor d, dirs, files in os.walk('/'):\n"
            "    dirs[:] = [x for x in dirs if d != '/' or x not in ('proc', 'sys', 'dev')]\n"
            f"    found += [d for f in files if f == {outside.name!r}]\n"
            "print('FOUND', found)",
            lambda r: TOKEN in r.stdout or "FOUND []" not in r.stdout,
        ),
        Attack(
            "read host environment secrets",
            "import os\nprint(dict(os.environ))\n"
            "for p in ['/proc/self/environ', '/proc/1/environ']:\n"
            "    try: print(open(p, 'rb').read())\n    except OSError as e: print('blocked', e)\n"
            "import glob; print([open(f).read() for f in glob.glob('/work/.env*')])",
            lambda r: TOKEN in r.stdout or "do-not-leak" in r.stdout,
        ),
        Attack(
            "write outside the workspace",
            "for p in ['/etc/evil', '/usr/evil', '/evil', '/work/../evil', '/proc/evil']:\n"
            "    try: open(p, 'w').write('x'); print('WROTE', p)\n"
            "    except OSError as e: print('blocked', p, e)",
            lambda r: "WROTE" in r.stdout,
        ),
        Attack(
            "docker socket",
            "import os, socket\nfor p in ['/var/run/docker.sock', '/run/docker.sock']:\n"
            "    if os.path.exists(p): print('SOCKET', p)\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    try: s.connect(p); print('SOCKET', p)\n"
            "    except OSError as e: print('blocked', e)",
            lambda r: "SOCKET" in r.stdout,
        ),
        Attack(
            "fork bomb",
            "import os, time\nn = 0\ntry:\n    for i in range(2000):\n"
            "        if os.fork() == 0:\n"
            "            os.closerange(0, 3); time.sleep(60); os._exit(0)\n"
            "        n += 1\nexcept OSError as e: print('stopped', e)\nprint('FORKED', n)",
            lambda r: "FORKED" in r.stdout and int(r.stdout.split("FORKED")[1].split()[0]) >= 64,
            timeout=8,
        ),
        Attack(
            "memory bomb",
            "blocks = []\nwhile True:\n"
            "    blocks.append(bytearray(16 << 20)); print(len(blocks) * 16, flush=True)",
            lambda r: r.exit_code == 0 or max(map(int, r.stdout.split() or [0])) > 128 + 16,
        ),
        Attack(
            "fill the disk",
            "import os\nfor d in ['/work', '/tmp']:\n    n = 0\n    try:\n"
            "        with open(d + '/fill', 'wb') as f:\n"
            "            for _ in range(4096): f.write(b'x' * (1 << 20)); n += 1\n"
            "    except OSError as e: print('full', d, e)\n    print('MB', d, n)",
            lambda r: (
                any(
                    int(line.split()[2]) > 16
                    for line in r.stdout.splitlines()
                    if line.startswith("MB")
                )
                or r.stdout.count("full") < 2
            ),
        ),
        Attack(
            "endless output",
            "import sys\nwhile True: sys.stdout.write('y' * 4096)",
            lambda r: not r.truncated or len(r.stdout) > (64 << 10) + 200 or not r.timed_out,
            timeout=3,
        ),
        Attack(
            "sleep forever",
            "import time; time.sleep(10 ** 6)",
            lambda r: not r.timed_out or r.exit_code != 124 or r.duration_s > 10,
            timeout=2,
        ),
        Attack(
            "setuid escalation",
            "import os, subprocess\ntry: os.setuid(0); print('ROOT')\n"
            "except OSError as e: print('blocked', e)\n"
            "for cmd in (['su', '-c', 'id -u'], ['mount', '-t', 'tmpfs', 'none', '/tmp']):\n"
            "    p = subprocess.run(cmd, capture_output=True, text=True, input='')\n"
            "    print(cmd[0], p.returncode, p.stdout.strip())\n"
            "    if p.returncode == 0: print('ROOT', cmd)\n"
            "caps = open('/proc/self/status').read().split('CapEff:')[1].split()[0]\n"
            "print('euid', os.geteuid(), 'caps', caps)",
            lambda r: (
                "ROOT" in r.stdout
                or "euid 0" in r.stdout
                or "caps 0000000000000000" not in r.stdout
            ),
        ),
        Attack(
            "kernel tunables in /proc/sys",
            "for p in ['/proc/sys/kernel/hostname', '/proc/sys/vm/drop_caches',"
            " '/proc/sysrq-trigger', '/proc/sys/kernel/core_pattern']:\n"
            "    try: open(p, 'w').write('1\\n'); print('WROTE', p)\n"
            "    except OSError as e: print('blocked', p, e)",
            lambda r: "WROTE" in r.stdout,
        ),
    ]


async def test_attack_battery_escapes_nothing(project: Path, tmp_path: Path, monkeypatch) -> None:
    outside = tmp_path / "outside-project.txt"
    outside.write_text(TOKEN)
    monkeypatch.setenv("AIIDE_ATTACK_TOKEN", TOKEN)
    hostname = socket.gethostname()
    project_before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    server = Listener(("0.0.0.0", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    battery = attacks(server.server_address[1], outside)
    escapes: list[str] = []
    report: list[str] = []
    try:
        async with Sandbox(project, sandbox_config(**LIMITS)) as sandbox:
            for attack in battery:
                result = await sandbox.run(
                    ["python3", "-c", attack.script], timeout=attack.timeout, requester="agent"
                )
                escaped = attack.escaped(result)
                report.append(
                    f"{attack.name}: {'ESCAPED' if escaped else 'contained'} "
                    f"(exit {result.exit_code}{', timeout' if result.timed_out else ''})"
                )
                if escaped:
                    escapes.append(f"{attack.name}: {result.stdout[-500:]} {result.stderr[-500:]}")
            after = await sandbox.run(["true"])
    finally:
        server.shutdown()
        server.server_close()
    print(f"\nattack battery: {len(battery)} attempts, {len(escapes)} escapes")
    print("\n".join(report))
    assert len(battery) == 13
    assert escapes == [], "\n".join(escapes)
    assert after.exit_code == 0, "the engine must still work after the battery"
    assert socket.gethostname() == hostname and os.environ["AIIDE_ATTACK_TOKEN"] == TOKEN
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == project_before
    assert Listener.accepted == 0
