"""Where a match's games were lost: a judge's win rate before each of the loser's moves.

Usage::

    python benchmarks/review_losses.py SUMMARY.json [--player A] [--judge "--time 1"]
                                       [--subject "--time 1 --network none"] [--parallel 2]

``SUMMARY.json`` is the summary ``go-engine match`` writes. For every game that ``--player``
lost, two of this project's engines search the position before each of that player's moves
(GTP ``loadsgf FILE N``, then ``genmove``): the *judge* (default: the engine with its bundled
network, 1 s a move; it beat GNU Go level 10 49/50 on 9x9) and the *subject* (default: the
rollout-only engine that played, 1 s a move). Their win rates come from the engine's log line
of each move (stderr), so both must be this engine. Printed per game: the move after which the
judge first rates the player's position below 30%, the player's move followed by the judge's
largest fall (with the subject's own estimate there, and the moves each preferred), and over
all positions: how often the move played in the game was the judge's choice, and by how much
the subject's estimate exceeded the judge's (mean and median). A judge is itself a search with
its own errors: read single positions with care, the totals as the trend. The last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from go_engine.interfaces.gtp_client import GtpClient
from go_engine.rules.coords import to_gtp
from go_engine.rules.sgf import load_sgf_file

LOG_LINE = re.compile(r"genmove (\S+) in [^:]*:(?:.*?winrate ([\d.]+)%)?")
LOST_BELOW = 0.3


class LoggedEngine(GtpClient):
    """This project's GTP engine, answering ``genmove`` with its move and logged win rate."""

    def __init__(self, args: list[str]) -> None:
        super().__init__([sys.executable, "-m", "go_engine", "gtp", *args], log=True)

    def genmove(self, color: str) -> tuple[str, float | None]:
        """The move and its win rate for ``color`` (None when the log gives none)."""
        move = self.send(f"genmove {color}")
        while True:
            line = self.process.stderr.readline()
            if line == "":
                raise RuntimeError("the engine closed its log")
            found = LOG_LINE.search(line)
            if found:
                return move, float(found.group(2)) / 100 if found.group(2) else None


@dataclass(frozen=True)
class Turn:
    """One position before the player's move: move number, moves and win rates of both."""

    number: int
    judge_move: str
    judge_rate: float | None
    subject_move: str
    subject_rate: float | None
    played: str


def review(job: tuple[str, str, list[str], list[str]]) -> list[Turn]:
    """Both engines' view of every position before the player's moves in one game."""
    path, color, judge_args, subject_args = job
    record = load_sgf_file(path)
    size = record.size
    engines = [LoggedEngine(judge_args), LoggedEngine(subject_args)]
    turns = []
    first = 0 if color == "black" else 1
    for k in range(first, len(record.moves), 2):
        answers = []
        for engine in engines:
            engine.send(f"loadsgf {path} {k + 1}")
            answers.append(engine.genmove(color))
        played = to_gtp(record.moves[k].point, size).upper()
        turns.append(Turn(k + 1, *answers[0], *answers[1], played))
    for engine in engines:
        engine.close()
    return turns


def lost_games(summary: dict, player: str) -> list[tuple[str, str]]:
    """``(sgf path, colour)`` of every game ``player`` lost."""
    return [(game["sgf"], "black" if game["black"] == player else "white")
            for game in summary["games"]
            if game["winner"] not in (player, None) and game.get("sgf")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="the JSON summary of a go-engine match")
    parser.add_argument("--player", default="A", help="A or B: whose losses (default A)")
    parser.add_argument("--judge", default="--time 1", help="engine options of the judge")
    parser.add_argument("--subject", default="--time 1 --network none",
                        help="engine options of the engine whose view is compared")
    parser.add_argument("--parallel", type=int, default=2, help="games reviewed at once")
    args = parser.parse_args()

    games = lost_games(json.loads(args.summary.read_text()), args.player)
    jobs = [(path, color, shlex.split(args.judge), shlex.split(args.subject))
            for path, color in games]
    agree, bias, falls_below = 0, [], []
    positions = 0
    print(f"{'game':16} colour  judge<30% after  largest fall: move  judge  subject  "
          "played / judge's move")
    with ProcessPoolExecutor(max(1, args.parallel)) as pool:
        for (path, color), turns in zip(games, pool.map(review, jobs), strict=True):
            rated = [t for t in turns if t.judge_rate is not None]
            positions += len(turns)
            agree += sum(t.played == t.judge_move for t in turns)
            bias += [t.subject_rate - t.judge_rate for t in rated if t.subject_rate is not None]
            below = next((t.number for t in rated if t.judge_rate < LOST_BELOW), None)
            if below is not None:
                falls_below.append(below)
            line = f"{Path(path).name:16} {color:6}  {below!s:>15}  "
            if len(rated) >= 2:
                fall, i = max((rated[i].judge_rate - rated[i + 1].judge_rate, i)
                              for i in range(len(rated) - 1))
                t = rated[i]
                subject = "-" if t.subject_rate is None else f"{t.subject_rate:.2f}"
                line += (f"{t.number:>17}  {t.judge_rate:.2f}->{rated[i + 1].judge_rate:.2f}  "
                         f"{subject:>5}  {t.played} / {t.judge_move}")
            print(line)
    pairs = {
        "games": len(games), "positions": positions,
        "agreement": f"{agree / max(positions, 1):.3f}",
        "bias_mean": f"{statistics.mean(bias):.3f}" if bias else "nan",
        "bias_median": f"{statistics.median(bias):.3f}" if bias else "nan",
        "lost_after_median": statistics.median(falls_below) if falls_below else "nan",
    }
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))


if __name__ == "__main__":
    main()
