"""The ``go-engine`` command (also ``python -m go_engine``): ``play``, ``gtp`` and ``match``.

``play`` and ``gtp`` share the engine options, which fix the engine's effort for reproducible
matches: ``--playouts N`` simulations per move, ``--time SECONDS`` per move, ``--seed S``,
``--threads T`` (rollout threads), ``--selection rave|uct|puct`` (the tree's selection
formula), ``--rollouts light|trained`` and ``--priors uniform|tree``. When both limits are
given, whichever comes first stops the search.

The command line's defaults are the strongest engine measured so far, which is not
:class:`~go_engine.search.config.SearchConfig`'s plain baseline (light playouts, uniform
priors, RAVE) but :func:`~go_engine.search.config.engine_config`: AlphaGo's trained rollout
policy, tree-policy (or network) priors, PUCT selection and the settings measured for each
kind of engine. At 1 s a move on one core the rollout-only engine won 93 of 100 games against
GNU Go 3.8 level 10 on 9x9 with the balanced rollout policy (``--set rollout_policy=balanced``)
and 170 of 190 without (``docs/benchmarks.md``).

``match A B`` plays two GTP engines against each other (:mod:`go_engine.interfaces.match`);
an engine spec like ``engine:--playouts 3000 --selection uct`` runs this engine with those
options in its own process.

``train-rollout`` and ``evaluate-policy`` train and measure the linear softmax policies (see
:mod:`go_engine.training.commands`); ``train-sl`` trains the policy/value network
(:mod:`go_engine.training.sl_commands`), ``quantize-network`` makes its 8-bit model for CPU
play (:mod:`go_engine.training.quantize_command`) and ``balance-rollout`` tunes the rollout
policy on finished games by simulation balancing (:mod:`go_engine.training.balance_command`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from go_engine.rules.coords import MAX_SIZE, MIN_SIZE
from go_engine.rules.game import KoRule, Rules
from go_engine.search.config import Priors, Rollouts, SearchConfig, Selection, engine_config

if TYPE_CHECKING:
    from go_engine.search.player import MCTSPlayer

DEFAULT_NETWORK = "default"  # the bundled network (go_engine/search/weights/network.pt)
DEFAULT_PLAYOUTS = 3000  # with trained rollouts about 1 s a move on 9x9, 3 s on 19x19 (1 core)


@dataclass(frozen=True)
class EngineOptions:
    """Everything needed to build a player and a game from the command line."""

    size: int
    rules: Rules
    search: SearchConfig
    network: str = "none"
    network_export: str = "auto"  # NetworkConfig.export: how the network runs on a CPU
    ponder: bool = False  # gtp: think on the opponent's time
    # Playouts a move may take while a game clock runs (gtp time_settings): None keeps
    # search.playouts; 0 lets the clock alone decide. The command line gives 0 unless the
    # user wrote --playouts, so the default cap of a clockless search never starves a GUI game.
    clock_playouts: int | None = None

    def make_player(self) -> MCTSPlayer:
        """The player these options describe, with the network ``network`` names (``none``:
        the rollout-only engine; ``default``: the bundled network; or a checkpoint path).

        Raises :class:`~networks.go.errors.CheckpointError` for a missing, corrupt or
        mismatched checkpoint."""
        from go_engine.search.player import MCTSPlayer

        if self.network == "none":  # no torch import on this path
            return MCTSPlayer(self.search)
        from go_engine.search.network_evaluator import NetworkConfig, load_evaluator

        config = NetworkConfig(export=self.network_export, seed=self.search.seed)
        return MCTSPlayer(self.search, load_evaluator(self.network, config))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _board_size(text: str) -> int:
    value = int(text)
    if not MIN_SIZE <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"board size must be {MIN_SIZE}..{MAX_SIZE}")
    return value


def add_engine_arguments(parser: argparse.ArgumentParser, default_size: int) -> None:
    """The options shared by every subcommand that runs the engine."""
    parser.add_argument("--size", type=_board_size, default=default_size, help="board size")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    parser.add_argument("--ko-rule", choices=[k.value for k in KoRule],
                        default=KoRule.POSITIONAL.value, help="ko rule (default positional)")
    parser.add_argument("--allow-suicide", action="store_true", help="allow suicide moves")
    parser.add_argument("--playouts", type=_positive_int, default=None,
                        help=f"simulations per move (default {DEFAULT_PLAYOUTS} when no --time)")
    parser.add_argument("--time", type=float, default=0.0, metavar="SECONDS",
                        help="seconds per move (0: no time limit)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--threads", type=int, default=1, help="rollout threads")
    parser.add_argument("--selection", choices=[s.value for s in Selection],
                        default=Selection.PUCT.value,
                        help="tree selection formula (default puct)")
    parser.add_argument("--rollouts", choices=[r.value for r in Rollouts],
                        default=Rollouts.TRAINED.value,
                        help="trained (AlphaGo's fast rollout policy, default) or light "
                             "(uniform) playouts")
    parser.add_argument("--priors", choices=[p.value for p in Priors],
                        default=Priors.TREE_POLICY.value,
                        help="tree (the trained tree policy, default) or uniform priors")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any search setting (SearchConfig field), e.g. --set "
                             "expand_threshold=2; repeatable")
    parser.add_argument("--resign-threshold", type=float, default=0.05,
                        help="resign below this win rate (0 never resigns)")
    parser.add_argument("--network", default=DEFAULT_NETWORK, metavar="none|default|PATH",
                        help="the policy/value network: default (the bundled one), none (the "
                             "rollout-only engine) or a checkpoint from train-sl")
    parser.add_argument("--network-export", default="auto",
                        choices=["auto", "onnx-int8", "onnx", "freeze", "fold", "none"],
                        help="how the network runs on a CPU (default auto: its 8-bit model "
                             "when quantize-network made one for it, else ONNX Runtime)")
    parser.add_argument("--mixing-lambda", type=float, default=None, metavar="LAMBDA",
                        help="with a network, leaf value (1 - LAMBDA) * value net + LAMBDA * "
                             "rollout (default 0.5, AlphaGo's, on 13x13 and up; 1 below)")


def engine_options(args: argparse.Namespace) -> EngineOptions:
    """Turn parsed arguments into rules and a search configuration."""
    playouts = args.playouts
    if playouts is None:
        playouts = 0 if args.time > 0 else DEFAULT_PLAYOUTS
    changes: dict[str, object] = {}
    if args.mixing_lambda is not None and args.network != "none":
        changes["mixing_lambda"] = args.mixing_lambda
    search = engine_config(args.size, network=args.network != "none", playouts=playouts,
                           seconds=args.time, seed=args.seed,
                           rollout_threads=max(1, args.threads),
                           selection=Selection(args.selection),
                           rollouts=Rollouts(args.rollouts), priors=Priors(args.priors),
                           resign_threshold=args.resign_threshold, **changes)
    search = search.with_overrides(args.set)
    rules = Rules(komi=args.komi, ko_rule=KoRule(args.ko_rule), allow_suicide=args.allow_suicide)
    return EngineOptions(args.size, rules, search, args.network,
                         network_export=args.network_export,
                         ponder=getattr(args, "ponder", False),
                         clock_playouts=args.playouts or 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``go-engine``."""
    parser = argparse.ArgumentParser(prog="go-engine", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    play = commands.add_parser("play", help="play a game against the engine in the terminal")
    add_engine_arguments(play, default_size=9)
    play.add_argument("--color", choices=["black", "white", "b", "w"], default="black",
                      help="your colour (default black)")
    play.add_argument("--handicap", type=int, default=0, help="handicap stones for Black")
    play.add_argument("--scoring", choices=["area", "territory"], default="area",
                      help="how the finished game is counted (default area)")
    gtp = commands.add_parser("gtp", help="speak GTP v2 on stdin/stdout (for GUIs and matches)")
    add_engine_arguments(gtp, default_size=19)
    gtp.add_argument("--ponder", action="store_true",
                     help="think on the opponent's time, until its move arrives")
    add_match_arguments(commands.add_parser("match", help="play a match between two engines"))
    from go_engine.training import commands as training

    training.add_train_rollout_arguments(commands.add_parser(
        "train-rollout", help="train the rollout (or tree) policy on expert games"))
    training.add_evaluate_policy_arguments(commands.add_parser(
        "evaluate-policy", help="accuracy and speed of a policy (or network) on games"))
    from go_engine.training import balance_command

    balance_command.add_balance_rollout_arguments(commands.add_parser(
        "balance-rollout", help="tune the rollout policy to evaluate positions (simulation "
                                "balancing) on finished games"))
    from go_engine.training import sl_commands

    sl_commands.add_train_sl_arguments(commands.add_parser(
        "train-sl", help="train the policy/value network on expert games"))
    from go_engine.training import quantize_command

    quantize_command.add_quantize_network_arguments(commands.add_parser(
        "quantize-network", help="the 8-bit model of a network, for faster CPU play"))
    return parser


def add_match_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine match`` (see :mod:`go_engine.interfaces.match`)."""
    from go_engine.interfaces.match import Referee

    parser.add_argument("a", help="engine A: engine:ARGS, gtp:COMMAND, gnugo or gnugo:LEVEL")
    parser.add_argument("b", help="engine B, the same way")
    parser.add_argument("--games", type=int, default=10, help="games to play (default 10)")
    parser.add_argument("--size", type=_board_size, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    parser.add_argument("--parallel", type=int, default=1, help="games at a time (default 1)")
    parser.add_argument("--sgf-dir", default=None,
                        help="save every game and summary.json here; a match run again on the "
                             "same folder resumes (plays only the games not yet finished)")
    parser.add_argument("--referee", choices=[r.value for r in Referee], default="engine",
                        help="who counts finished games (default engine: the runner)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="JSON summary (default SGF_DIR/summary.json)")
    parser.add_argument("--move-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="seconds an engine may take per move before it loses (default 60)")
    parser.add_argument("--max-moves", type=_positive_int, default=0,
                        help="move limit, then the board is counted (default 3*size*size)")
    parser.add_argument("--seed", type=int, default=0, help="match seed (default 0)")
    parser.add_argument("--sprt", type=float, nargs=2, default=None, metavar=("ELO0", "ELO1"),
                        help="stop as soon as a sequential test of A's Elo advantage, ELO0 "
                             "against ELO1 (alpha = beta = 0.05), is decided; --games is then "
                             "the most games played")


def run_match_command(args: argparse.Namespace) -> int:
    """``go-engine match``: parse the specs, run the match, print the report."""
    from pathlib import Path

    from go_engine.interfaces.match import MatchConfig, Referee
    from go_engine.interfaces.match_players import parse_spec
    from go_engine.interfaces.match_report import run_and_report
    from go_engine.ratings import Sprt

    try:
        config = MatchConfig(
            a=parse_spec(args.a), b=parse_spec(args.b), games=args.games, size=args.size,
            komi=args.komi, parallel=args.parallel, referee=Referee(args.referee),
            sgf_dir=None if args.sgf_dir is None else Path(args.sgf_dir),
            move_timeout=args.move_timeout, max_moves=args.max_moves, seed=args.seed,
            sprt=None if args.sprt is None else Sprt(*args.sprt))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return run_and_report(config, None if args.json is None else Path(args.json))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``go-engine`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "match":
        return run_match_command(args)
    if args.command == "train-sl":
        from go_engine.training.sl_commands import run_train_sl

        return run_train_sl(args)
    if args.command == "quantize-network":
        from go_engine.training.quantize_command import run_quantize_network

        return run_quantize_network(args)
    if args.command == "balance-rollout":
        from go_engine.training.balance_command import run_balance_rollout

        return run_balance_rollout(args)
    if args.command in ("train-rollout", "evaluate-policy"):
        from go_engine.training import commands as training

        if args.command == "train-rollout":
            return training.run_train_rollout(args)
        return training.run_evaluate_policy(args)
    try:
        options = engine_options(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if options.network == "none":  # no torch import on this path
        return _run_engine(args, options)
    from networks.go.errors import CheckpointError

    try:
        return _run_engine(args, options)
    except CheckpointError as error:
        print(f"error: --network: {error}", file=sys.stderr)
        return 2


def _run_engine(args: argparse.Namespace, options: EngineOptions) -> int:
    """``go-engine gtp`` or ``go-engine play``."""
    if args.command == "gtp":
        from go_engine.interfaces.gtp import run_gtp

        return run_gtp(options)
    from go_engine.interfaces.terminal import run_play

    return run_play(options, color=args.color, handicap=args.handicap, scoring=args.scoring)


if __name__ == "__main__":
    sys.exit(main())
