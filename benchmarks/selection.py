"""Which selection formula plays better with light playouts: a self-play match.

    python benchmarks/selection.py [--games 8] [--size 9] [--playouts 3000] [--a rave] [--b uct]

Engine A and engine B (same playouts, different ``SearchConfig.selection``) play ``--games``
games with alternating colours, komi 7.5, area scoring. Prints each result, then A's wins
with a Wilson 95% interval. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time

from match_stats import wilson_interval

from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.game import Game, Rules
from go_engine.search.config import SearchConfig, Selection
from go_engine.search.player import MCTSPlayer


def play_game(size: int, black: MCTSPlayer, white: MCTSPlayer, max_moves: int) -> Game:
    """One game to two passes, a resignation or ``max_moves``."""
    game = Game(size, Rules(komi=7.5))
    while not game.is_over and len(game.moves) < max_moves:
        player = black if game.to_move == BLACK else white
        game.play(player.genmove(game).move)
    return game


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=8)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--playouts", type=int, default=3000)
    parser.add_argument("--a", choices=[s.value for s in Selection], default="rave")
    parser.add_argument("--b", choices=[s.value for s in Selection], default="uct")
    args = parser.parse_args()
    wins_a = 0.0
    start = time.perf_counter()
    for index in range(args.games):
        player_a = MCTSPlayer(SearchConfig(playouts=args.playouts, selection=args.a, seed=index))
        player_b = MCTSPlayer(SearchConfig(playouts=args.playouts, selection=args.b,
                                           seed=1000 + index))
        a_color = BLACK if index % 2 == 0 else WHITE
        black, white = (player_a, player_b) if a_color == BLACK else (player_b, player_a)
        game = play_game(args.size, black, white, 3 * args.size * args.size)
        result = game.result()
        wins_a += 1.0 if result.winner == a_color else 0.5 if result.winner is None else 0.0
        print(f"game {index + 1}: {args.a} as {'Black' if a_color == BLACK else 'White'}: "
              f"{result.sgf()} after {len(game.moves)} moves", flush=True)
    low, high = wilson_interval(wins_a, args.games)
    print(f"{args.a} vs {args.b}: {wins_a:g}/{args.games} "
          f"(95% interval {low:.2f}..{high:.2f}) in {time.perf_counter() - start:.0f} s")
    print(f"a={args.a} b={args.b} size={args.size} playouts={args.playouts} "
          f"games={args.games} wins_a={wins_a:g} winrate_a={wins_a / args.games:.3f} "
          f"lo={low:.3f} hi={high:.3f}")


if __name__ == "__main__":
    main()
