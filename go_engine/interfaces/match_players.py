"""The players of a match: engine specs, and GTP engines run as subprocesses with deadlines.

An engine spec is one command-line argument:

========================  =======================================================================
spec                      what runs
========================  =======================================================================
``engine:ARGS``           this project's engine, ``python -m go_engine gtp ARGS`` (``ARGS`` are
                          the shared engine options: ``--playouts 3000 --selection uct``)
``engine``                the same with the default options
``gtp:COMMAND``           any GTP program; ``COMMAND`` is split as a shell would (:mod:`shlex`),
                          and one pair of quotes around all of it is dropped
``gnugo``                 GNU Go 3.x at level 10, Chinese rules
``gnugo:L``               the same at level ``L``
========================  =======================================================================

``{seed}`` in any argument becomes the seed of that player in that game (the match runner
derives it from ``--seed`` and the game index). An ``engine:`` spec without ``--seed`` gets
``--seed {seed}`` appended, so that its games differ.

Deadlines: every engine's stdout is read by a thread that puts lines on a queue, and the runner
waits on the queue with a timeout, so a hung engine costs at most the timeout and is then
killed. Another thread keeps the last lines of stderr, which go into the record of a crash.
Every failure of an engine is an :class:`EngineFailure` with a :class:`Failure` kind.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from go_engine.interfaces.gtp_client import find_gnugo

SEED_FIELD = "{seed}"
GNUGO_LEVEL = 10
STDERR_LINES = 20  # how much of an engine's stderr a crash record keeps
QUIT_SECONDS = 2.0  # how long ``quit`` may take before the engine is killed


class Failure(StrEnum):
    """How an engine lost a game without the rules deciding it."""

    CRASH = "crash"  # the process died, could not start, or closed its pipes
    ERROR = "error"  # a GTP error (``?``) or a malformed answer
    TIME = "time"  # no answer within the deadline
    ILLEGAL = "illegal"  # a move the rules forbid, or not a move at all


class EngineFailure(Exception):
    """An engine failed; ``kind`` says how and the message says what happened."""

    def __init__(self, kind: Failure, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


# -- specs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSpec:
    """A way to start one engine.

    Attributes:
        text: the spec as written (the player's name in records).
        argv: the command line, possibly holding ``{seed}`` fields.
    """

    text: str
    argv: tuple[str, ...]

    def command(self, seed: int) -> list[str]:
        """The command line for a game in which this player's seed is ``seed``."""
        return [part.replace(SEED_FIELD, str(seed)) for part in self.argv]

    def name(self, seed: int) -> str:
        """The player's name for a game: the spec with its seed filled in."""
        return self.text.replace(SEED_FIELD, str(seed))


def parse_spec(text: str) -> EngineSpec:
    """Read an engine spec (see the module docstring); ``ValueError`` when it is not one."""
    kind, _, rest = text.partition(":")
    if kind == "engine":
        args = shlex.split(_unquoted(rest))
        if "--seed" not in args and not any(a.startswith("--seed=") for a in args):
            args += ["--seed", SEED_FIELD]
        return EngineSpec(text, (sys.executable, "-m", "go_engine", "gtp", *args))
    if kind == "gtp" and rest.strip():
        return EngineSpec(text, tuple(shlex.split(_unquoted(rest))))
    if kind == "gnugo":
        return EngineSpec(text, _gnugo_argv(rest or str(GNUGO_LEVEL)))
    raise ValueError(f"not an engine spec: {text!r} (engine:ARGS, gtp:COMMAND, gnugo or gnugo:L)")


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _gnugo_argv(level: str) -> tuple[str, ...]:
    if not level.isdigit():
        raise ValueError(f"gnugo:LEVEL needs a whole number, not {level!r}")
    path = find_gnugo()
    if path is None:
        raise ValueError("GNU Go is not installed (apt-get install gnugo)")
    return path, "--mode", "gtp", "--level", level, "--chinese-rules", "--seed", SEED_FIELD


# -- a GTP engine with deadlines --------------------------------------------------------------


class GtpProcess:
    """One GTP engine as a subprocess; every command has a deadline.

    Raises :class:`EngineFailure` (kind ``crash``) when the program cannot be started.
    """

    def __init__(self, argv: list[str]) -> None:
        try:
            self._process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", errors="replace", bufsize=1)
        except OSError as exc:
            raise EngineFailure(Failure.CRASH, f"cannot start {argv[0]}: {exc}") from exc
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        _start_reader(self._process.stdout, self._lines.put)
        _start_reader(self._process.stderr, self._keep_stderr)

    def _keep_stderr(self, line: str | None) -> None:
        if line is not None:
            self._stderr.append(line)

    def command(self, text: str, timeout: float) -> str:
        """Send one command and return its answer (without ``=``) within ``timeout`` seconds.

        Raises:
            EngineFailure: ``time`` (the engine is then killed), ``crash``, or ``error`` for a
                ``?`` answer or one that is not GTP.
        """
        try:
            self._process.stdin.write(text + "\n")
            self._process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise EngineFailure(Failure.CRASH, self._death(f"'{text}' could not be sent")) from exc
        answer = self._read_answer(text, time.monotonic() + timeout, timeout)
        if answer.startswith("="):
            return answer[1:].strip()
        if answer.startswith("?"):
            raise EngineFailure(Failure.ERROR, f"'{text}' answered '{answer}'")
        raise EngineFailure(Failure.ERROR, f"'{text}' answered {answer!r}, which is not GTP")

    def _read_answer(self, text: str, deadline: float, timeout: float) -> str:
        lines: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise EngineFailure(Failure.TIME,
                                    f"no answer to '{text}' within {timeout:g} s") from None
            if line is None:
                raise EngineFailure(Failure.CRASH, self._death(f"no answer to '{text}'"))
            line = line.rstrip("\r\n")
            if line.strip():
                lines.append(line)
            elif lines:
                return "\n".join(lines)

    def _death(self, what: str) -> str:
        """Why the engine stopped talking: its exit status and last stderr line."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=1.0)
        code = self._process.returncode
        status = "it is still running" if code is None else f"it exited with status {code}"
        last = f"; its last words: {self._stderr[-1].strip()!r}" if self._stderr else ""
        return f"{what}: {status}{last}"

    def stderr_tail(self) -> list[str]:
        """The last lines the engine wrote to stderr."""
        return [line.rstrip("\n") for line in self._stderr]

    def kill(self) -> None:
        """Stop the engine at once."""
        with contextlib.suppress(OSError):
            self._process.kill()

    def close(self) -> None:
        """Ask the engine to quit; kill it if it does not within :data:`QUIT_SECONDS`."""
        if self._process.poll() is None:
            with contextlib.suppress(EngineFailure):
                self.command("quit", QUIT_SECONDS)
            try:
                self._process.wait(timeout=QUIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
        self._process.wait()
        with contextlib.suppress(OSError):
            self._process.stdin.close()

    def __enter__(self) -> GtpProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _start_reader(stream: IO[str], put) -> None:
    """Copy ``stream`` line by line to ``put`` on a daemon thread; ``None`` marks the end."""

    def copy() -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                put(line)
            stream.close()
        put(None)

    threading.Thread(target=copy, daemon=True).start()
