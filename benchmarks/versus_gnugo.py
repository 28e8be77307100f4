"""The engine against GNU Go: a short match to track strength.

    python benchmarks/versus_gnugo.py [--games 6] [--size 9] [--playouts 3000] [--level 1]
                                      [--selection rave]

The engine (in this process) and ``gnugo --mode gtp --level L --chinese-rules`` play with
alternating colours, komi 7.5, until two passes or a resignation. Every result is printed with
both engines' counts (ours: area with every stone alive after two passes; GNU Go's
``final_score``); the engine's wins are counted by GNU Go's score when the game ended by passes.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time

from match_stats import wilson_interval

from go_engine.interfaces.gtp_client import GtpClient, find_gnugo
from go_engine.rules.coords import BLACK, RESIGN, WHITE, from_gtp, to_gtp
from go_engine.rules.game import Game, Rules
from go_engine.search.config import SearchConfig, Selection
from go_engine.search.player import MCTSPlayer


def play_one(index: int, args: argparse.Namespace, gnugo: str) -> tuple[bool, str, str, int]:
    """One game; returns (engine won, our result, GNU Go's result, moves)."""
    ours = BLACK if index % 2 == 0 else WHITE
    letter = {BLACK: "b", WHITE: "w"}
    player = MCTSPlayer(SearchConfig(playouts=args.playouts, selection=args.selection,
                                     seed=index))
    game = Game(args.size, Rules(komi=7.5))
    argv = [gnugo, "--mode", "gtp", "--level", str(args.level), "--chinese-rules",
            "--seed", str(index)]
    with GtpClient(argv) as referee:
        referee.batch([f"boardsize {args.size}", "clear_board", "komi 7.5"])
        while not game.is_over and len(game.moves) < 3 * args.size * args.size:
            if game.to_move == ours:
                move = player.genmove(game).move
                game.play(move)
                if move != RESIGN:
                    referee.send(f"play {letter[ours]} {to_gtp(move, args.size)}")
            else:
                reply = referee.send(f"genmove {letter[3 - ours]}")
                game.play(from_gtp(reply, args.size))
        their_count = referee.send("final_score")
    result = game.result().sgf()
    if game.resigned is not None:
        won = game.resigned != ours
    else:
        won = their_count.upper().startswith("BW"[ours - 1])
    player.close()
    return won, result, their_count, len(game.moves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=6)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--playouts", type=int, default=3000)
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--selection", choices=[s.value for s in Selection], default="rave")
    args = parser.parse_args()
    gnugo = find_gnugo()
    if gnugo is None:
        raise SystemExit("GNU Go is needed: apt-get install gnugo")
    wins = 0
    start = time.perf_counter()
    for index in range(args.games):
        won, ours, theirs, moves = play_one(index, args, gnugo)
        wins += won
        colour = "Black" if index % 2 == 0 else "White"
        print(f"game {index + 1}: engine as {colour}: ours {ours}, GNU Go counts {theirs}, "
              f"{moves} moves: {'win' if won else 'loss'}", flush=True)
    low, high = wilson_interval(wins, args.games)
    print(f"engine vs GNU Go level {args.level}: {wins}/{args.games} "
          f"(95% interval {low:.2f}..{high:.2f}) in {time.perf_counter() - start:.0f} s")
    print(f"size={args.size} playouts={args.playouts} selection={args.selection} "
          f"level={args.level} games={args.games} wins={wins} winrate={wins / args.games:.3f} "
          f"lo={low:.3f} hi={high:.3f}")


if __name__ == "__main__":
    main()
