"""Shared plumbing for the wsmachine conformance harness scripts.

Used by scripts/autobahn, scripts/interop and scripts/browser (all run with the
machine's python3, standard library only). Nothing here talks to anything but
127.0.0.1 and the package registries used by the installers.

Conventions:
  * Every child process is started in its own session (process group) and is
    killed as a group when the script exits, whatever the reason (normal exit,
    exception, SIGINT/SIGTERM/SIGHUP).
  * Commands under test come from env vars holding a shell-style command
    line (split with shlex, no shell involved); the script appends the
    address/URL arguments exactly like the real example CLIs take them.
    The token {venv_python} in such a command is replaced by the python of the
    websockets venv (created on demand), e.g.
        ECHO_SERVER_CMD='{venv_python} scripts/ws_echo_server.py'
  * Logs of long-running children go to target/conformance-logs/.
"""

import ctypes
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "target" / "conformance-logs"

# Pinned version of the Python `websockets` library used as the interop peer.
WEBSOCKETS_VERSION = "17.4"

EXAMPLES_DIR = ROOT / "target" / "release" / "examples"

_tag = "harness"


def set_tag(tag):
    global _tag
    _tag = tag


def log(msg=""):
    print(f"[{_tag}] {msg}" if msg else "", flush=True)


class HarnessError(Exception):
    """A failure that should end the script with a short message."""


def cache_dir():
    base = os.environ.get("WSMACHINE_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "wsmachine"
    )
    p = Path(base)
    p.mkdir(parents=True, exist_ok=True)
    return p


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    try:
        data = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    cut = data[-lines:]
    out = []
    for line in cut:
        out.append(line if len(line) <= 300 else line[:300] + " ...")
    return "\n".join(out)


def show_tail(title, path, lines=40):
    t = tail(path, lines)
    log(f"--- last lines of {title} ({path}) ---")
    for line in t.splitlines():
        print("    " + line)
    log(f"--- end of {title} ---")


def fmt_secs(s):
    return f"{s:.1f}s"


# --------------------------------------------------------------------------
# Process management

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _child_setup():
    """In the child before exec: own session, and die with the harness."""
    os.setsid()
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Proc:
    def __init__(self, name, argv, popen, log_path):
        self.name = name
        self.argv = argv
        self.popen = popen
        self.log_path = log_path
        self._log_file = None

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        """Exit code, or None while running. Does NOT reap the child: a
        zombie leader keeps its process-group id reserved, so killpg() in
        ProcessGroup.stop() can never hit an unrelated, recycled group."""
        if self.popen.returncode is not None:
            return self.popen.returncode
        try:
            info = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return self.popen.poll()
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def wait(self, timeout):
        """Like poll(), but waits up to `timeout` seconds (no reaping)."""
        deadline = time.monotonic() + timeout
        while True:
            rc = self.poll()
            if rc is not None or time.monotonic() >= deadline:
                return rc
            time.sleep(0.05)

    def alive(self):
        return self.poll() is None


class ProcessGroup:
    """Starts children in their own process groups; stop_all() kills them."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, log_to_file=True, cwd=ROOT, env=None):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = None
        out = None
        if log_to_file:
            log_path = LOG_DIR / f"{name}.log"
            out = open(log_path, "wb")
        try:
            popen = subprocess.Popen(
                argv,
                cwd=str(cwd),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                preexec_fn=_child_setup,
            )
        except OSError as e:
            if out is not None:
                out.close()
            raise HarnessError(f"cannot start {name} ({shlex.join(argv)}): {e}")
        p = Proc(name, argv, popen, log_path)
        p._log_file = out
        self.procs.append(p)
        log(f"started {name} (pid {popen.pid}): {shlex.join(argv)}")
        return p

    def run(self, name, argv, timeout, log_to_file=True, cwd=ROOT, env=None):
        """Start a child, wait for it with a timeout; returns (rc, Proc).

        rc is None when the timeout hit (the child group is then killed)."""
        p = self.start(name, argv, log_to_file=log_to_file, cwd=cwd, env=env)
        rc = p.wait(timeout)
        if rc is None:
            log(f"{name} did not finish within {timeout:.0f}s; killing it")
        self.stop(p)
        return rc, p

    @staticmethod
    def _close_log(p):
        if p._log_file is not None:
            try:
                p._log_file.close()
            except OSError:
                pass
            p._log_file = None

    def stop(self, p, grace=5.0):
        """SIGTERM the child's process group, SIGKILL after `grace` seconds,
        then reap the leader. Idempotent."""
        if p.popen.returncode is not None:  # already reaped here
            self._close_log(p)
            return
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            p.wait(grace)
        # The leader is not reaped yet (at worst a zombie), so its group id
        # is still ours: kill whatever is left in the group, then reap.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"warning: {p.name} (pid {p.pid}) did not die")
        self._close_log(p)

    def stop_all(self):
        for p in reversed(self.procs):
            was_alive = p.popen.returncode is None and p.poll() is None
            self.stop(p)
            if was_alive:
                log(f"stopped {p.name} (pid {p.pid})")
        self.procs = []


def install_signal_handlers():
    """Turn SIGTERM/SIGHUP into SystemExit so `finally` blocks run."""

    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def wait_tcp(port, proc=None, timeout=30.0, host="127.0.0.1"):
    """Wait until host:port accepts a TCP connection (or proc dies)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise HarnessError(
                f"{proc.name} exited with code {proc.poll()} before listening on {host}:{port}"
            )
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise HarnessError(f"nothing accepted connections on {host}:{port} within {timeout:.0f}s")
        time.sleep(0.1)


# --------------------------------------------------------------------------
# Listening sockets of a process (from /proc), to prove loopback-only binding


def _parse_proc_net(path, v6):
    """Map socket inode -> (ip, port) for LISTEN sockets in /proc/net/tcp{,6}."""
    res = {}
    try:
        lines = Path(path).read_text().splitlines()[1:]
    except OSError:
        return res
    for line in lines:
        f = line.split()
        if len(f) < 10 or f[3] != "0A":  # 0A == TCP_LISTEN
            continue
        addr_hex, port_hex = f[1].split(":")
        raw = bytes.fromhex(addr_hex)
        if v6:
            # four 32-bit words, each in host (little-endian) byte order
            words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
            ip = socket.inet_ntop(socket.AF_INET6, b"".join(words))
        else:
            ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
        res[f[9]] = (ip, int(port_hex, 16))
    return res


def _pids_in_group(pgid):
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if os.getpgid(int(d.name)) == pgid:
                pids.append(int(d.name))
        except (ProcessLookupError, PermissionError):
            continue
    return pids


def listening_sockets_of(proc):
    """[(ip, port)] of all TCP listening sockets held by proc's process group."""
    table = {}
    table.update(_parse_proc_net("/proc/net/tcp", False))
    table.update(_parse_proc_net("/proc/net/tcp6", True))
    found = set()
    for pid in _pids_in_group(proc.pid):
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target.endswith("]"):
                inode = target[8:-1]
                if inode in table:
                    found.add(table[inode])
    return sorted(found)


def is_loopback(ip):
    return ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1") or ip.startswith("::ffff:127.")


def assert_loopback_only(proc):
    """Fail unless every TCP listening socket of proc's group is on loopback.

    Returns a printable list of the listening addresses."""
    socks = listening_sockets_of(proc)
    where = ", ".join(f"{ip}:{p}" for ip, p in socks) or "nothing"
    if not socks or any(not is_loopback(ip) for ip, _ in socks):
        raise HarnessError(f"{proc.name} must listen on loopback only, but listens on: {where}")
    return where


# --------------------------------------------------------------------------
# Commands under test


def command_from_env(var, default_example):
    """argv prefix for a command under test.

    Returns (argv, is_default). The default is the release example binary."""
    raw = os.environ.get(var, "").strip()
    if not raw:
        return [str(EXAMPLES_DIR / default_example)], True
    argv = shlex.split(raw)
    if any("{venv_python}" in a for a in argv):
        py = str(ensure_websockets_venv())
        argv = [a.replace("{venv_python}", py) for a in argv]
    log(f"{var} override: {shlex.join(argv)}")
    return argv, False


def build_examples():
    """cargo build --release --examples (skipped with WSMACHINE_SKIP_BUILD=1).

    Extra cargo arguments (e.g. --features std) can be given in
    WSMACHINE_CARGO_ARGS."""
    if os.environ.get("WSMACHINE_SKIP_BUILD") == "1":
        log("WSMACHINE_SKIP_BUILD=1: not building the examples")
        return
    argv = ["cargo", "build", "--release", "--examples"]
    argv += shlex.split(os.environ.get("WSMACHINE_CARGO_ARGS", ""))
    log(f"building examples: {shlex.join(argv)}")
    t0 = time.monotonic()
    rc = subprocess.call(argv, cwd=str(ROOT), stdin=subprocess.DEVNULL)
    if rc != 0:
        raise HarnessError(f"{shlex.join(argv)} failed with code {rc}")
    log(f"examples built in {fmt_secs(time.monotonic() - t0)}")


def require_file(path, what):
    if not Path(path).exists():
        raise HarnessError(f"{what} not found at {path}")


# --------------------------------------------------------------------------
# The Python websockets venv


def ensure_websockets_venv():
    """Create (once) ${cache}/venv-websockets with websockets==WEBSOCKETS_VERSION."""
    if sys.version_info < (3, 10):
        raise HarnessError(f"python >= 3.10 is needed for websockets {WEBSOCKETS_VERSION} "
                           f"(this is {sys.version.split()[0]})")
    venv = cache_dir() / "venv-websockets"
    py = venv / "bin" / "python"
    marker = venv / f".websockets-{WEBSOCKETS_VERSION}"
    if py.exists() and marker.exists():
        return py
    t0 = time.monotonic()
    if not py.exists():
        log(f"creating venv {venv}")
        subprocess.check_call([sys.executable, "-m", "venv", "--clear", str(venv)])
    log(f"installing websockets=={WEBSOCKETS_VERSION} into {venv}")
    out = subprocess.run(
        [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q",
         f"websockets=={WEBSOCKETS_VERSION}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=600,
    )
    if out.returncode != 0:
        print(out.stdout.decode(errors="replace")[-4000:])
        raise HarnessError("pip install websockets failed")
    chk = subprocess.run(
        [str(py), "-c", "import websockets; print(websockets.__version__)"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    got = chk.stdout.decode().strip()
    if chk.returncode != 0 or got != WEBSOCKETS_VERSION:
        raise HarnessError(f"websockets venv check failed: {got!r}")
    marker.write_text("ok\n")
    log(f"venv ready in {fmt_secs(time.monotonic() - t0)}")
    return py


def write_json(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2) + "\n")
