"""What ``go-engine match`` shows and writes: progress, the summary, the JSON file.

While the match runs, one line per finished game and, on a terminal, a rich progress bar with
the running score; when stdout is not a terminal (a pipe, a log file) only the plain lines are
printed. At the end::

    A = engine:--playouts 3000
    B = gnugo:1
    games 10: A won 7, B won 3, draws 0
    by colour: Black won 6, White won 4; A won 4/5 as Black, 3/5 as White
    endings: passes 6, resignation 3, time 1
    A's win rate 0.700 (Wilson 95% interval 0.397..0.892)
    Elo difference A - B: +147 (95% interval -73..+371)
    mean time per move: A 0.52 s over 301 moves, B 0.01 s over 296 moves
    summary: runs/summary.json
    winrate=0.700 lo=0.397 hi=0.892 elo=147.2 elo_lo=-72.7 elo_hi=+371.0 games=10 ...

With a sequential test (``--sprt ELO0 ELO1``) each game line ends with the log likelihood
ratio, the report says what the test decided (for example ``SPRT elo0=0 elo1=50 alpha=0.05
beta=0.05: LLR 2.97 (bounds -2.94..2.94): H1, A is the stronger by elo1 or more``) and the
last line gains ``llr=2.971 sprt=H1`` (``H0``, ``H1`` or ``none``).

The last line is machine-readable (see :meth:`go_engine.ratings.MatchScore.summary_line`):
``key=value`` pairs separated by spaces; an infinite Elo difference prints as ``inf``/``-inf``.
The JSON summary holds the settings, the same figures (an infinite Elo is ``null``) and every
game's :class:`~go_engine.interfaces.match.GameRecord`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from go_engine.interfaces.match import (
    SIDES,
    GameRecord,
    MatchConfig,
    match_score,
    run_match,
)
from go_engine.interfaces.match_journal import JournalError, MatchJournal
from go_engine.ratings import Decision, MatchScore, Sprt


@dataclass(frozen=True)
class MatchSummary:
    """The figures of a match, from its game records.

    Attributes:
        score: A's wins, B's wins and draws, with the win rate and Elo statistics.
        black_wins, white_wins: games won by each colour.
        a_as_black, a_as_white: ``(A's score, games)`` with each colour.
        endings: how many games ended each way (:class:`~go_engine.interfaces.match.Ending`).
        seconds_per_move: per side, mean ``genmove`` wall-clock seconds (``None``: no move).
        genmoves: per side, moves generated.
    """

    score: MatchScore
    black_wins: int
    white_wins: int
    a_as_black: tuple[float, int]
    a_as_white: tuple[float, int]
    endings: dict[str, int]
    seconds_per_move: dict[str, float | None]
    genmoves: dict[str, int]


def summarize(records: list[GameRecord]) -> MatchSummary:
    """The figures of a match from its records."""
    genmoves = {side: sum(r.genmoves.get(side, 0) for r in records) for side in SIDES}
    seconds = {side: sum(r.seconds.get(side, 0.0) for r in records) for side in SIDES}
    return MatchSummary(
        score=match_score(records),
        black_wins=sum(r.winner is not None and r.winner == r.black for r in records),
        white_wins=sum(r.winner is not None and r.winner == r.white for r in records),
        a_as_black=_a_score([r for r in records if r.black == "A"]),
        a_as_white=_a_score([r for r in records if r.white == "A"]),
        endings=dict(Counter(record.ending.value for record in records)),
        seconds_per_move={side: seconds[side] / genmoves[side] if genmoves[side] else None
                          for side in SIDES},
        genmoves=genmoves)


def _a_score(records: list[GameRecord]) -> tuple[float, int]:
    points = sum(1.0 if r.winner == "A" else 0.5 if r.winner is None else 0.0 for r in records)
    return points, len(records)


# -- text -------------------------------------------------------------------------------------


def game_line(record: GameRecord, summary: MatchSummary, done: int, total: int,
              sprt: Sprt | None = None) -> str:
    """One line for a finished game, with the running score (and ``sprt``'s ratio)."""
    winner = "draw" if record.winner is None else f"{record.winner} wins"
    what = record.ending.value
    if record.ending.value not in ("passes", "max-moves", "resignation"):
        what = f"{what}: {record.detail}"
    score = summary.score
    return (f"[{done}/{total}] game {record.index:03d}: {record.black} (Black) vs "
            f"{record.white} (White): {record.result} after {record.moves} moves, {winner} "
            f"({what}); A {score.wins_a} B {score.wins_b} draws {score.draws}"
            + ("" if sprt is None else f"; LLR {sprt.llr(score.score, score.games):.2f}"))


def report_lines(config: MatchConfig, summary: MatchSummary) -> list[str]:
    """The closing report; the last line is the machine-readable one."""
    score = summary.score
    low, high = score.interval
    elo_low, elo_high = score.elo_interval
    endings = ", ".join(f"{name} {count}" for name, count in sorted(summary.endings.items()))
    times = ", ".join(_time_text(side, summary) for side in SIDES)
    return [
        f"A = {config.a.text}",
        f"B = {config.b.text}",
        f"games {score.games}: A won {score.wins_a}, B won {score.wins_b}, draws {score.draws}",
        f"by colour: Black won {summary.black_wins}, White won {summary.white_wins}; "
        f"A won {_fraction(summary.a_as_black)} as Black, {_fraction(summary.a_as_white)} as "
        "White",
        f"endings: {endings}",
        f"A's win rate {score.win_rate:.3f} (Wilson 95% interval {low:.3f}..{high:.3f})",
        f"Elo difference A - B: {score.elo:+.0f} (95% interval {elo_low:+.0f}..{elo_high:+.0f})",
        f"mean time per move: {times}",
        *([] if config.sprt is None else [_sprt_text(config.sprt, score)]),
        score.summary_line() + _sprt_pairs(config.sprt, score),
    ]


SPRT_MEANING = {Decision.H1: "H1, A is the stronger by elo1 or more",
                Decision.H0: "H0, A is not the stronger by more than elo0",
                Decision.NONE: "undecided"}


def _sprt_text(sprt: Sprt, score: MatchScore) -> str:
    lower, upper = sprt.bounds
    decision = sprt.decision(score.score, score.games)
    return (f"SPRT elo0={sprt.elo0:g} elo1={sprt.elo1:g} alpha={sprt.alpha:g} "
            f"beta={sprt.beta:g}: LLR {sprt.llr(score.score, score.games):.2f} "
            f"(bounds {lower:.2f}..{upper:.2f}): {SPRT_MEANING[decision]}")


def _sprt_pairs(sprt: Sprt | None, score: MatchScore) -> str:
    if sprt is None:
        return ""
    return (f" llr={sprt.llr(score.score, score.games):.3f} "
            f"sprt={sprt.decision(score.score, score.games).value}")


def _fraction(part: tuple[float, int]) -> str:
    return f"{part[0]:g}/{part[1]}"


def _time_text(side: str, summary: MatchSummary) -> str:
    mean = summary.seconds_per_move[side]
    if mean is None:
        return f"{side} -"
    return f"{side} {mean:.2f} s over {summary.genmoves[side]} moves"


# -- JSON -------------------------------------------------------------------------------------


def summary_json(config: MatchConfig, summary: MatchSummary,
                 records: list[GameRecord]) -> dict:
    """The JSON summary: settings, figures and every game's record."""
    score = summary.score
    low, high = score.interval
    elo_low, elo_high = score.elo_interval
    settings = {
        "a": config.a.text, "b": config.b.text, "games": config.games, "size": config.size,
        "komi": config.komi, "parallel": config.parallel, "referee": config.referee.value,
        "move_timeout": config.move_timeout, "max_moves": config.move_limit,
        "seed": config.seed,
    }
    figures = {
        "games": score.games, "wins_a": score.wins_a, "wins_b": score.wins_b,
        "draws": score.draws, "winrate": score.win_rate, "lo": low, "hi": high,
        "elo": _finite(score.elo), "elo_lo": _finite(elo_low), "elo_hi": _finite(elo_high),
        "black_wins": summary.black_wins, "white_wins": summary.white_wins,
        "a_as_black": list(summary.a_as_black), "a_as_white": list(summary.a_as_white),
        "endings": summary.endings, "seconds_per_move": summary.seconds_per_move,
        "genmoves": summary.genmoves,
    }
    if config.sprt is not None:
        figures["sprt"] = {**dataclasses.asdict(config.sprt), "bounds": list(config.sprt.bounds),
                           "llr": config.sprt.llr(score.score, score.games),
                           "decision": config.sprt.decision(score.score, score.games).value}
    games = [{**dataclasses.asdict(r), "ending": r.ending.value} for r in records]
    return {"settings": settings, "results": figures, "games": games}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# -- the command ------------------------------------------------------------------------------


def run_and_report(config: MatchConfig, json_path: Path | None = None,
                   stream: TextIO | None = None) -> int:
    """Run the match with a progress display, print the report, write the JSON summary.

    ``json_path`` defaults to ``<sgf_dir>/summary.json`` when the match saves SGF files.
    Returns the command's exit status: 0, or 2 when ``sgf_dir`` holds the journal of another
    match (a match resumes from its own journal there).
    """
    console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
    journal = None
    if config.sgf_dir is not None:
        try:
            journal = MatchJournal.open(config)
        except JournalError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    finished = [] if journal is None else journal.finished(config.games)
    if finished:
        console.print(f"resuming: {len(finished)} games already played ({journal.path})",
                      markup=False)
    with _Display(console, config.games, config.sprt, finished) as display:

        def on_game(record: GameRecord) -> None:
            finished.append(record)
            display.game_done(record, summarize(finished))

        records = run_match(config, on_game, journal)
    summary = summarize(records)
    if json_path is None and config.sgf_dir is not None:
        json_path = Path(config.sgf_dir) / "summary.json"
    lines = report_lines(config, summary)
    if json_path is not None:
        Path(json_path).write_text(json.dumps(summary_json(config, summary, records), indent=2))
        lines.insert(-1, f"summary: {json_path}")
    for line in lines:
        console.print(line, markup=False)
    return 0


class _Display:
    """Game lines, with a progress bar and the running score on a terminal."""

    def __init__(self, console: Console, total: int, sprt: Sprt | None,
                 resumed: list[GameRecord]) -> None:
        self.console = console
        self.total = total
        self.sprt = sprt
        self.done = len(resumed)
        self.score = match_score(resumed)
        self.progress: Progress | None = None
        self.task = None

    def __enter__(self) -> _Display:
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=self.console, transient=True)
            self.task = self.progress.add_task(_score_text(self.score), total=self.total,
                                               completed=self.done)
            self.progress.start()
        return self

    def game_done(self, record: GameRecord, summary: MatchSummary) -> None:
        """Show a finished game and the score so far."""
        self.done += 1
        self.console.print(game_line(record, summary, self.done, self.total, self.sprt),
                           markup=False)
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=_score_text(summary.score))

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


def _score_text(score: MatchScore) -> str:
    return f"A {score.wins_a}  B {score.wins_b}  draws {score.draws}"
