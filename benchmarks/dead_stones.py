"""Dead stones: how often the engine's estimate agrees with GNU Go's on finished games.

    python benchmarks/dead_stones.py [--games 40] [--size 9] [--levels 1 6] [--random-moves 6]
                                     [--playouts 400] [--threshold 0.2] [--referee-level 10]
                                     [--seed 0]

Each game is played to the end (two passes, at most ``3 * size * size`` moves) by two GNU Go
3.8 processes (``--never-resign``, Japanese rules so that games end with the dead stones still
on the board), Black and White taking the two ``--levels`` in turn; the first
``--random-moves`` moves are random legal moves (seeded), so the games differ. On the final
position a third GNU Go (``--referee-level``) answers ``final_status_list dead``, and the
engine's :func:`~go_engine.search.playout.estimate_dead_stones` (``--playouts`` light
playouts and the ownership ``--threshold``, by default as behind ``final_status_list`` and
``final_score`` in GTP) gives its own set.

Printed per game: the moves, both dead-stone counts and the points where they differ. Then the
agreement: games whose two sets are identical (over all games, and over the games where GNU Go
sees dead stones), and point-level precision and recall of the engine's dead stones taking GNU
Go's as the truth. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from go_engine.interfaces.gtp_client import GtpClient, find_gnugo
from go_engine.rules.coords import BLACK, WHITE, from_gtp, to_gtp
from go_engine.rules.game import Game, Rules
from go_engine.rules.masks import sensible_mask
from go_engine.search.playout import estimate_dead_stones

KOMI = 7.5


def gnugo(path: str, level: int, seed: int) -> GtpClient:
    """A GNU Go process that never resigns."""
    return GtpClient([path, "--mode", "gtp", "--level", str(level), "--never-resign",
                      "--seed", str(seed)])


def random_opening(game: Game, count: int, rng: np.random.Generator) -> None:
    """Play ``count`` random legal moves that do not fill one's own eye."""
    for _ in range(count):
        allowed = game.legal_moves() & sensible_mask(game.board)
        points = np.flatnonzero(allowed[:-1])
        if not len(points):
            return
        game.play(int(rng.choice(points)))


def play_game(index: int, args: argparse.Namespace, path: str) -> Game:
    """One GNU Go against GNU Go game from a random opening, to two passes."""
    size = args.size
    game = Game(size, Rules(komi=KOMI))
    random_opening(game, args.random_moves, np.random.default_rng([args.seed, index]))
    levels = {BLACK: args.levels[index % 2], WHITE: args.levels[(index + 1) % 2]}
    players = {color: gnugo(path, levels[color], args.seed * 1000 + 2 * index + color)
               for color in (BLACK, WHITE)}
    letter = {BLACK: "b", WHITE: "w"}
    try:
        for client in players.values():
            client.batch([f"boardsize {size}", "clear_board", f"komi {KOMI}"])
            client.batch([f"play {letter[m.color]} {to_gtp(m.point, size)}"
                          for m in game.moves])
        while not game.is_over and len(game.moves) < 3 * size * size:
            color = game.to_move
            vertex = players[color].send(f"genmove {letter[color]}")
            game.play(from_gtp(vertex, size), color)
            players[3 - color].send(f"play {letter[color]} {vertex}")
    finally:
        for client in players.values():
            client.close()
    return game


def gnugo_dead(referee: GtpClient, game: Game) -> frozenset[int]:
    """GNU Go's ``final_status_list dead`` on the game's final position."""
    size = game.size
    letter = {BLACK: "b", WHITE: "w"}
    referee.batch([f"boardsize {size}", "clear_board", f"komi {KOMI}"])
    answers = referee.batch([f"play {letter[m.color]} {to_gtp(m.point, size)}"
                             for m in game.moves])
    if not all(ok for ok, _ in answers):
        raise RuntimeError("the referee refused a move of the game")
    text = referee.send("final_status_list dead")
    return frozenset(from_gtp(v, size) for v in text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--levels", type=int, nargs=2, default=[1, 6], metavar=("L1", "L2"))
    parser.add_argument("--random-moves", type=int, default=6)
    parser.add_argument("--playouts", type=int, default=400)
    parser.add_argument("--threshold", type=float, default=0.2,
                        help="mean ownership past which a stone is dead (the engine's: 0.2)")
    parser.add_argument("--referee-level", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = find_gnugo()
    if path is None:
        raise SystemExit("GNU Go is needed: apt-get install gnugo")
    start = time.perf_counter()
    exact = with_dead = exact_with_dead = 0
    true_positive = ours_total = theirs_total = 0
    with gnugo(path, args.referee_level, args.seed) as referee:
        for index in range(args.games):
            game = play_game(index, args, path)
            theirs = gnugo_dead(referee, game)
            ours = estimate_dead_stones(game.board, args.playouts, seed=args.seed + index,
                                        threshold=args.threshold)
            same = ours == theirs
            exact += same
            if theirs:
                with_dead += 1
                exact_with_dead += same
            true_positive += len(ours & theirs)
            ours_total += len(ours)
            theirs_total += len(theirs)
            missed = " ".join(to_gtp(p, args.size) for p in sorted(theirs - ours)) or "-"
            extra = " ".join(to_gtp(p, args.size) for p in sorted(ours - theirs)) or "-"
            print(f"game {index + 1}: {len(game.moves)} moves, GNU Go {len(theirs)} dead, "
                  f"ours {len(ours)}: {'agree' if same else f'missed {missed}, extra {extra}'}",
                  flush=True)
    games = args.games
    precision = true_positive / ours_total if ours_total else 1.0
    recall = true_positive / theirs_total if theirs_total else 1.0
    print(f"exact agreement {exact}/{games} games ({exact_with_dead}/{with_dead} of the games "
          f"with dead stones); points: precision {precision:.3f}, recall {recall:.3f} "
          f"({theirs_total} dead by GNU Go, {ours_total} by us) in "
          f"{time.perf_counter() - start:.0f} s")
    print(f"games={games} size={args.size} levels={args.levels[0]},{args.levels[1]} "
          f"playouts={args.playouts} threshold={args.threshold} exact={exact} "
          f"exact_rate={exact / games:.3f} "
          f"with_dead={with_dead} exact_with_dead={exact_with_dead} "
          f"precision={precision:.3f} recall={recall:.3f} gnugo_dead={theirs_total} "
          f"our_dead={ours_total}")


if __name__ == "__main__":
    main()
