"""What strangers can make `beadle serve` spend: memory, connections, log lines.

`beadle serve --no-worker` runs in its own process (SQLite store, INFO logging to a file), and
this script attacks it as a stranger would, each attack against the same server's quiet state:

  memory       40 uploads of 24 MB at once, first without a signature (refused on the
               headers), then with a well-formed fake one (each must be read to be refuted, so
               the body budget, BEADLE_INTAKE_MEMORY_MB, is what bounds them); the server's
               peak RSS, sampled every 10 ms, against its RSS when idle
  connections  1,100 half-open connections (half never finish their headers, half announce
               100 bytes of body and send none); meanwhile a signed delivery and /healthz,
               timed, against the same requests on the quiet server; then the connections are
               dropped and the log lines and tracebacks they caused are counted

  python bench/attack.py [--uploads 40] [--upload-mb 24] [--half-open 1100]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import keypair
from bot.intake.limits import raise_fd_limit
from tests.fakes.server import free_port

SECRET = "It's a Secret to Everybody"
HOOK = "/api/github/webhooks"
MiB = 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """The highest RSS of `pid` while the `with` block runs, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self._stop.wait(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()


def start(tmp: Path) -> tuple[subprocess.Popen, int, Path]:
    pem, _ = keypair()
    port, log = free_port(), tmp / "beadle.log"
    env = {
        **os.environ,
        "APP_ID": "1",
        "PRIVATE_KEY": pem,
        "WEBHOOK_SECRET": SECRET,
        "OPENAI_API_KEY": "sk-bench",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "BEADLE_BOT_LOGIN": "beadle[bot]",
        "DATABASE_URL": f"sqlite:///{tmp / 'beadle.sqlite3'}",
        "LOG_LEVEL": "INFO",
    }
    command = ["serve", "--no-worker", "--no-check", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *command],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, port, log
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("beadle serve did not start:\n" + log.read_text()[-2000:])


def head(signature: str | None, length: int) -> bytes:
    lines = [
        f"POST {HOOK} HTTP/1.1",
        "Host: 127.0.0.1",
        "X-GitHub-Event: ping",
        f"X-GitHub-Delivery: {uuid.uuid4()}",
        f"Content-Length: {length}",
    ]
    if signature is not None:
        lines.append(f"X-Hub-Signature-256: {signature}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def upload(port: int, signature: str | None, size: int) -> str:
    """Send headers and `size` bytes of body as fast as the server takes them; the answer."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return "refused"
    answer = asyncio.create_task(reader.readline())
    try:
        writer.write(head(signature, size))
        chunk = b"z" * MiB
        for _ in range(size // MiB):
            if answer.done():
                break
            writer.write(chunk)
            await writer.drain()
        line = await asyncio.wait_for(asyncio.shield(answer), 30)
        return line.split()[1].decode() if line else "closed"
    except OSError:  # reset while sending: the answer may still have come first
        if answer.done() and not answer.exception() and answer.result():
            return answer.result().split()[1].decode()
        return "reset"
    except TimeoutError:
        return "no answer"
    finally:
        answer.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await answer
        writer.close()


def uploads(port: int, count: int, signature: str | None, size: int) -> dict[str, int]:
    async def all_at_once() -> list[str]:
        return await asyncio.gather(*(upload(port, signature, size) for _ in range(count)))

    answers: dict[str, int] = {}
    for a in asyncio.run(all_at_once()):
        answers[a] = answers.get(a, 0) + 1
    return dict(sorted(answers.items()))


def signed_ping() -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={mac}",
        "Content-Type": "application/json",
    }
    return body, headers


def timed(url: str, samples: int) -> dict[str, list[float]]:
    """Seconds for a signed delivery and for /healthz, each on a fresh connection."""
    times: dict[str, list[float]] = {"signed delivery": [], "/healthz": []}
    for _ in range(samples):
        body, headers = signed_ping()
        start = time.perf_counter()
        status = httpx.post(f"{url}{HOOK}", content=body, headers=headers, timeout=30).status_code
        times["signed delivery"].append(time.perf_counter() - start if status == 200 else 99.0)
        start = time.perf_counter()
        status = httpx.get(f"{url}/healthz", timeout=30).status_code
        times["/healthz"].append(time.perf_counter() - start if status == 200 else 99.0)
    return times


def half_open(port: int, count: int) -> list[socket.socket]:
    held = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        if n % 2:
            sock.sendall(head(f"sha256={'0' * 64}", 100))
        else:
            sock.sendall(f"POST {HOOK} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Git".encode())
        held.append(sock)
    return held


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--uploads", type=int, default=40)
    p.add_argument("--upload-mb", type=int, default=24)
    p.add_argument("--half-open", type=int, default=1100)
    p.add_argument("--samples", type=int, default=5)
    args = p.parse_args()
    fd_limit = raise_fd_limit()
    if fd_limit < args.half_open + 200:
        raise SystemExit(f"the open-file limit ({fd_limit}) is too low for --half-open")
    tmp = Path(tempfile.mkdtemp(prefix="beadle-attack-"))
    proc, port, log = start(tmp)
    url = f"http://127.0.0.1:{port}"
    try:
        timed(url, 3)  # warm up
        idle = rss(proc.pid)
        size = args.upload_mb * MiB
        rows = [("idle", "-", idle)]
        for name, signature in (
            ("unsigned", None),
            ("fake-signed", f"sha256={'0' * 64}"),
        ):
            with PeakRss(proc.pid) as peak:
                answers = uploads(port, args.uploads, signature, size)
            label = f"{args.uploads} {name} {args.upload_mb} MB uploads at once"
            rows.append((label, str(answers), peak.peak))
        quiet = timed(url, args.samples)
        log_before = len(log.read_text(errors="replace").splitlines())
        held = half_open(port, args.half_open)
        attacked = timed(url, args.samples)
        still_held = sum(1 for s in held if _unanswered(s))
        for sock in held:
            sock.close()
        time.sleep(1.5)
        text = log.read_text(errors="replace")
        lines = len(text.splitlines()) - log_before
        tracebacks = text.count("Traceback")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"beadle serve under attack; open-file limit {fd_limit}; cores {os.cpu_count()}\n")
    print(f"{'memory':46} {'answers':32} {'peak RSS':>9} {'vs idle':>8}")
    for label, answers, peak_rss in rows:
        print(f"{label:46} {answers:32} {peak_rss / MiB:7.0f}MB {peak_rss / idle:7.2f}x")
    print(
        f"\n{args.half_open} half-open connections ({still_held} still unanswered when the "
        f"timed requests were done); {args.samples} requests each, fresh connections"
    )
    print(f"{'request':18} {'quiet median/max ms':>20} {'attacked median/max ms':>23} {'ratio':>6}")
    for name in quiet:
        q, a = quiet[name], attacked[name]
        print(
            f"{name:18} {statistics.median(q) * 1000:9.1f} /{max(q) * 1000:7.1f} "
            f"{statistics.median(a) * 1000:12.1f} /{max(a) * 1000:7.1f} "
            f"{statistics.median(a) / statistics.median(q):6.2f}x"
        )
    print(f"\nlog after dropping them: {lines} lines, {tracebacks} tracebacks")


def _unanswered(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
