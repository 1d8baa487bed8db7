"""Real Redis and nginx for the multi-replica tests and bench/scale.py: own processes on free ports.

Both come from Debian (``apt-get install -y redis-server nginx``; ``.ci/run`` installs them). The
nginx configuration is the shipped ``nginx/solv-lb.conf`` with only its upstream ``server`` lines
and its ``listen`` port replaced.

>>> with RedisServer() as redis, Nginx([proxy_a.port, proxy_b.port]) as lb:  # doctest: +SKIP
...     lb.url
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.proxy import REPO, free_port

LB_CONF = REPO / "nginx" / "solv-lb.conf"
_SERVER_LINE = re.compile(r"^\s*server\s+[\w.-]+:\d+(?P<opts>[^;]*);\s*$", re.MULTILINE)


def missing_binaries() -> list[str]:
    return [name for name in ("redis-server", "nginx") if shutil.which(name) is None
            and not Path(f"/usr/sbin/{name}").exists()]


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class RedisServer:
    """``redis-server`` without persistence on a free port; ``stop()`` and ``start()`` keep the port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a proxy needs to use it (what LiteLLM's router and solv's shared cache read)."""
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port)}

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def pause(self, ms: int) -> None:
        """Redis stops answering every client for ``ms`` (a slow Redis), then resumes by itself."""
        subprocess.run(["redis-cli", "-p", str(self.port), "CLIENT", "PAUSE", str(ms), "ALL"],
                       check=True, capture_output=True, timeout=10)

    def keys(self, pattern: str = "*") -> list[str]:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--scan", "--pattern", pattern],
                             capture_output=True, text=True, timeout=10)
        return sorted(out.stdout.split())

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def render_lb_conf(upstream_ports: list[int], listen: int) -> str:
    """The shipped nginx/solv-lb.conf for replicas on 127.0.0.1:<port>, listening on ``listen``."""
    text = LB_CONF.read_text()
    lines = list(_SERVER_LINE.finditer(text))
    assert lines, f"{LB_CONF} has no upstream server lines"
    opts = lines[0].group("opts")
    servers = "".join(f"    server 127.0.0.1:{p}{opts};\n" for p in upstream_ports)
    text = text[:lines[0].start()] + servers.rstrip("\n") + text[lines[-1].end():]
    return re.sub(r"listen\s+\d+;", f"listen 127.0.0.1:{listen};", text)


class Nginx:
    """Debian's nginx with the shipped load-balancer config in front of ``upstream_ports``."""

    def __init__(self, upstream_ports: list[int]) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="solv-nginx-"))
        self.dir.chmod(0o755)  # nginx workers (www-data under root) create their temp folders here
        (self.dir / "solv-lb.conf").write_text(render_lb_conf(upstream_ports, self.port))
        temp = "".join(f"    {kind}_temp_path {self.dir}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            f"worker_processes 1;\ndaemon off;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log warn;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log off;\n{temp}    include {self.dir}/solv-lb.conf;\n}}\n")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run([nginx, "-t", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        return self

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
