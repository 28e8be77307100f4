"""A small client for GTP engines over pipes: GNU Go as a referee and opponent, or any engine.

Used by the tests (rules against GNU Go, games through GTP) and by the benchmarks that play
matches. :meth:`GtpClient.batch` writes many commands at once and then reads every answer,
which makes thousands of queries per move affordable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess


def find_gnugo() -> str | None:
    """Path of the GNU Go binary (Debian installs it in /usr/games, often not on PATH)."""
    return shutil.which("gnugo") or next(
        (p for p in ("/usr/games/gnugo", "/usr/bin/gnugo") if os.path.exists(p)), None)


class GtpClientError(RuntimeError):
    """A GTP command answered with ``?``."""


class GtpClient:
    """Drive a GTP engine over pipes. :meth:`batch` writes many commands at once, then reads
    every answer, which is what makes thousands of ``is_legal`` queries per move affordable.
    With ``log=True`` the engine's stderr is a pipe too (``process.stderr``), for a caller
    that reads its log; it must then keep reading it, or the engine blocks on a full pipe."""

    def __init__(self, argv: list[str], log: bool = False) -> None:
        stderr = subprocess.PIPE if log else subprocess.DEVNULL
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=stderr, text=True, bufsize=1)

    def batch(self, commands: list[str]) -> list[tuple[bool, str]]:
        """Send ``commands`` in one write; return ``(ok, text)`` per command, in order."""
        self.process.stdin.write("".join(command + "\n" for command in commands))
        self.process.stdin.flush()
        answers = []
        for _ in commands:
            lines = []
            while True:
                line = self.process.stdout.readline()
                if line == "":
                    raise GtpClientError("the engine closed its output")
                if line == "\n" and lines:
                    break
                if line != "\n":
                    lines.append(line.rstrip("\n"))
            text = "\n".join(lines)
            answers.append((text.startswith("="), text[1:].strip()))
        return answers

    def send(self, command: str) -> str:
        """Send one command; return its answer, raising :class:`GtpClientError` on failure."""
        ok, text = self.batch([command])[0]
        if not ok:
            raise GtpClientError(f"{command}: {text}")
        return text

    def close(self) -> None:
        """Quit the engine and wait for it."""
        if self.process.poll() is None:
            with contextlib.suppress(GtpClientError, BrokenPipeError):
                self.batch(["quit"])
            self.process.wait(timeout=10)

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
