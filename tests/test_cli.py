"""The go-engine command: options, defaults, errors, and both entry points (the match
subcommand is tested in test_match.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from go_engine.cli import DEFAULT_PLAYOUTS, build_parser, engine_options
from go_engine.rules.game import KoRule
from go_engine.search.config import Priors, Rollouts, SearchConfig, Selection, engine_config


def options_for(*argv: str):
    return engine_options(build_parser().parse_args(list(argv)))


def test_defaults_fix_the_effort_by_playouts():
    options = options_for("gtp")
    assert options.size == 19 and options.rules.komi == 7.5
    assert options.rules.ko_rule == KoRule.POSITIONAL
    assert options.search.playouts == DEFAULT_PLAYOUTS and options.search.seconds == 0
    assert options_for("play").size == 9


def test_time_alone_removes_the_playout_limit_and_both_can_be_given():
    assert options_for("gtp", "--time", "2").search.playouts == 0
    both = options_for("gtp", "--time", "2", "--playouts", "300", "--seed", "7", "--threads", "2")
    assert (both.search.playouts, both.search.seconds) == (300, 2.0)
    assert (both.search.seed, both.search.rollout_threads) == (7, 2)


def test_rules_options():
    options = options_for("play", "--komi", "6", "--ko-rule", "situational", "--allow-suicide")
    assert options.rules.komi == 6.0
    assert options.rules.ko_rule == KoRule.SITUATIONAL and options.rules.allow_suicide


@pytest.mark.parametrize("argv", [["gtp", "--size", "30"], ["gtp", "--size", "1"],
                                  ["gtp", "--playouts", "-5"], ["play", "--color", "red"],
                                  ["fly"]])
def test_bad_options_are_refused(argv):
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)


def test_selection_option_picks_the_search_formula():
    assert options_for("gtp").search.selection == Selection.PUCT
    assert options_for("gtp", "--selection", "rave").search.selection == Selection.RAVE
    assert options_for("gtp", "--selection", "uct").search.selection == Selection.UCT
    assert options_for("play", "--selection", "puct").search.selection == Selection.PUCT
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gtp", "--selection", "greedy"])


def test_the_defaults_are_the_trained_policies_and_both_can_be_switched_off():
    search = options_for("play").search
    assert (search.rollouts, search.priors) == (Rollouts.TRAINED, Priors.TREE_POLICY)
    plain = options_for("play", "--rollouts", "light", "--priors", "uniform").search
    assert (plain.rollouts, plain.priors) == (Rollouts.LIGHT, Priors.UNIFORM)
    # --set still overrides anything the named options chose.
    assert options_for("gtp", "--set", "rollouts=light").search.rollouts == Rollouts.LIGHT


def test_the_bundled_network_is_the_default_and_none_turns_it_off():
    with_network = options_for("gtp", "--size", "19")
    assert with_network.network == "default"
    assert with_network.search.mixing_lambda == 0.5  # AlphaGo's mix of value net and rollouts
    assert with_network.search.expand_threshold == 1
    small = options_for("gtp", "--size", "9").search  # the 19x19 value is not trusted on 9x9
    assert (small.mixing_lambda, small.expand_threshold) == (1.0, 8)
    # ... and small boards count a little of the margin; 19x19 plays for the win alone.
    assert (small.score_weight, small.score_scale) == (0.1, 5.0)
    assert with_network.search.score_weight == 0.0
    plain = options_for("gtp", "--network", "none")
    assert plain.network == "none" and plain.search.mixing_lambda == 1.0
    assert plain.search.expand_threshold == SearchConfig().expand_threshold
    # The tree policy's priors are weaker than the network's: less exploration without it.
    assert plain.search.c_puct == 2.0 < with_network.search.c_puct == 5.0
    assert plain.search.relative_fpu and not with_network.search.relative_fpu
    assert plain.search.rollout_temperature == 0.7 != with_network.search.rollout_temperature
    # Where rollouts alone value the leaves (9x9), the network engine rolls out as plain does.
    assert small.relative_fpu and small.rollout_temperature == 0.7 and small.c_puct == 5.0
    assert options_for("gtp", "--network", "none", "--set", "c_puct=3").search.c_puct == 3.0
    assert options_for("gtp", "--mixing-lambda", "0").search.mixing_lambda == 0.0


def test_the_command_line_plays_the_library_engine_config():
    """A library user, a benchmark or a self-play actor gets the engine of ``go-engine gtp``
    from :func:`engine_config`."""
    rollout_only = options_for("gtp", "--network", "none", "--time", "1", "--seed", "5")
    assert rollout_only.search == engine_config(9, network=False, playouts=0, seconds=1.0,
                                                seed=5)
    network = options_for("gtp", "--size", "19", "--playouts", "800").search
    assert network == engine_config(19, network=True, playouts=800)
    assert network != engine_config(19, network=False, playouts=800)


def test_python_dash_m_speaks_gtp():
    done = subprocess.run([sys.executable, "-m", "go_engine", "gtp", "--playouts", "5"],
                          input="1 name\n2 protocol_version\n3 quit\n", capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.startswith("=1 go-engine\n\n=2 2\n\n=3")


def test_the_rollout_only_engine_starts_without_torch():
    """Importing torch costs seconds at every start (GUIs start the engine often, a match
    starts one per game); the rollout-only engine and the parser do not need it."""
    code = ("import sys; from go_engine.cli import build_parser, engine_options; "
            "engine_options(build_parser().parse_args(['gtp', '--network', 'none']))"
            ".make_player().close(); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"


def test_console_script_help_lists_both_commands():
    script = Path(sys.executable).with_name("go-engine")  # installed beside the interpreter
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                          check=True)
    assert all(command in done.stdout for command in ("play", "gtp", "match"))


def test_any_search_setting_can_be_set():
    options = options_for("gtp", "--set", "expand_threshold=3", "--set", "c-rave=0.2",
                          "--set", "reuse_tree=false", "--set", "selection=puct")
    assert options.search.expand_threshold == 3 and options.search.c_rave == 0.2
    assert options.search.reuse_tree is False and options.search.selection == "puct"
    for bad in ("nonsense=1", "expand_threshold=two", "reuse_tree=maybe", "c_rave"):
        with pytest.raises(ValueError, match="--set"):
            options_for("gtp", "--set", bad)
