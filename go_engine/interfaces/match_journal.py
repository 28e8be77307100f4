"""A match's journal: every finished game, written as it ends, so a stopped match resumes.

A match that saves its games (``--sgf-dir DIR``) keeps ``DIR/games.jsonl``: a first line with
the settings that decide what a game is (the two engines, board size, komi, referee, timeouts,
move limit, match seed), then one line per finished game, its
:class:`~go_engine.interfaces.match.GameRecord` as JSON, appended and flushed to disk the
moment the game ends. Run the same match again with the same ``--sgf-dir`` and the games
already there count; only the others are played. Game ``i`` gets the same seeds in any run
(:func:`~go_engine.interfaces.match.player_seed`), so a resumed match plays exactly the games
the first run would have. A larger ``--games`` extends a finished match, a smaller one counts
its first games only; ``--parallel`` and ``--sprt`` may change between runs.

A game in progress when a match is killed is not in the journal and is played again from its
start. A journal written for other settings is refused, never mixed in.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from go_engine.interfaces.match import Ending, GameRecord, MatchConfig

JOURNAL_NAME = "games.jsonl"
JOURNAL_VERSION = 1


class JournalError(ValueError):
    """The journal cannot be resumed: other settings, or a line that does not read."""


def journal_settings(config: MatchConfig) -> dict[str, object]:
    """The settings a resumed match must share with the run that wrote the journal."""
    return {"version": JOURNAL_VERSION, "a": config.a.text, "b": config.b.text,
            "size": config.size, "komi": config.komi, "referee": config.referee.value,
            "move_timeout": config.move_timeout, "setup_timeout": config.setup_timeout,
            "max_moves": config.move_limit, "seed": config.seed,
            "dead_stone_playouts": config.dead_stone_playouts}


class MatchJournal:
    """The finished games of a match in ``folder``, and the file new ones are added to."""

    def __init__(self, path: Path, records: list[GameRecord]) -> None:
        self.path = path
        self.records = records

    @classmethod
    def open(cls, config: MatchConfig) -> MatchJournal:
        """The journal of ``config.sgf_dir``, created with the match's settings when there is
        none yet; :class:`JournalError` when it belongs to another match or is damaged."""
        if config.sgf_dir is None:
            raise ValueError("a match keeps a journal only when it saves its games (sgf_dir)")
        folder = Path(config.sgf_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / JOURNAL_NAME
        settings = journal_settings(config)
        if not path.exists() or path.stat().st_size == 0:
            _append_line(path, {"settings": settings})
            return cls(path, [])
        lines = _complete_lines(path)
        header = _read_line(path, lines[0], 1)
        differences = _differences(header.get("settings", {}), settings)
        if differences:
            raise JournalError(
                f"{path} holds a match with other settings ({'; '.join(differences)}): "
                f"resume it with the same ones, or give another --sgf-dir")
        records = [_record(_read_line(path, line, number), path, number)
                   for number, line in enumerate(lines[1:], start=2) if line.strip()]
        return cls(path, _first_of_each_index(records))

    def finished(self, games: int) -> list[GameRecord]:
        """The finished games among the first ``games`` (a match of fewer games than the
        journal holds counts only its own)."""
        return [record for record in self.records if record.index < games]

    def append(self, record: GameRecord) -> None:
        """Write a finished game (flushed and synced: it survives a crash right after)."""
        _append_line(self.path, {**dataclasses.asdict(record), "ending": record.ending.value})
        self.records.append(record)


def _append_line(path: Path, entry: dict) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
        file.flush()
        os.fsync(file.fileno())


def _complete_lines(path: Path) -> list[str]:
    """The journal's lines; a last line cut short by a crash mid-write is dropped, from the
    file too, so that the next game starts a line of its own."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
        with open(path, "r+", encoding="utf-8") as file:
            file.truncate(len(text.encode("utf-8")))
    return text.splitlines() or ["{}"]


def _read_line(path: Path, line: str, number: int) -> dict:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as error:
        raise JournalError(f"{path}, line {number}: not JSON ({error.msg})") from None
    if not isinstance(entry, dict):
        raise JournalError(f"{path}, line {number}: not a JSON object")
    return entry


def _differences(written: dict, wanted: dict[str, object]) -> list[str]:
    return [f"{key} {written.get(key)!r} there, {value!r} now"
            for key, value in wanted.items() if written.get(key) != value]


def _record(entry: dict, path: Path, number: int) -> GameRecord:
    names = {field.name for field in dataclasses.fields(GameRecord)}
    try:
        return GameRecord(**{**{k: v for k, v in entry.items() if k in names},
                             "ending": Ending(entry["ending"])})
    except (KeyError, TypeError, ValueError) as error:
        raise JournalError(f"{path}, line {number}: not a game record ({error})") from None


def _first_of_each_index(records: list[GameRecord]) -> list[GameRecord]:
    """One record per game index (two runs on one folder at once could both write one)."""
    seen: dict[int, GameRecord] = {}
    for record in records:
        seen.setdefault(record.index, record)
    return list(seen.values())
