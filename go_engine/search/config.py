"""Search settings: one frozen, picklable dataclass, passed in explicitly.

AlphaGo's values (Silver et al. 2016, Methods) are given as reference points. The dataclass's
defaults are a plain baseline (light playouts, uniform priors, RAVE); :func:`engine_config`
gives the search the engine plays with (what ``gtp``, ``play`` and ``match`` build), with the
settings measured best for the rollout-only engine and for the network-guided one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path

# The linear policies in weights/ (NAME.npz): the rollout and tree policies trained on expert
# games, and the rollout policy tuned by simulation balancing on 9x9 games.
SHIPPED_POLICIES = ("rollout", "tree", "balanced")


class Rollouts(StrEnum):
    """How leaves are played out."""

    LIGHT = "light"  # uniform legal moves that do not fill one's own eye
    TRAINED = "trained"  # AlphaGo's fast rollout policy, trained on expert games


class Priors(StrEnum):
    """Where the tree's priors come from when no network evaluator is given."""

    UNIFORM = "uniform"
    TREE_POLICY = "tree"  # AlphaGo's tree policy: a linear softmax over local patterns


class Selection(StrEnum):
    """The child-selection formula."""

    UCT = "uct"  # Q + c * sqrt(ln N / n): the classic formula, for uniform priors
    PUCT = "puct"  # Q + c * P * sqrt(N) / (1 + n): AlphaGo's formula, for informative priors
    RAVE = "rave"  # Q blended with all-moves-as-first statistics (Gelly & Silver 2011)


@dataclass(frozen=True)
class SearchConfig:
    """How the tree search spends its effort.

    Attributes:
        playouts: simulations per move (a limit; ``seconds`` may stop it sooner). 0 = no limit.
        seconds: wall-clock limit per move; 0 = no limit. At least one limit must be set.
        selection: ``rave`` (default: with uniform priors and light playouts it beat ``uct``
            in 8 of 8 games on 9x9 at 3,000 playouts), ``uct`` or ``puct`` (see
            :class:`Selection`; PUCT is for informative priors, i.e. a network).
        c_uct: exploration constant of UCT (values are in [-1, 1], so ~1.0; 0.44 is the
            classic sqrt(2)/sqrt(...) rescaled for win/loss in [0, 1]).
        c_puct: exploration constant of PUCT (AlphaGo: 5).
        rave_bias: the b of RAVE's schedule beta = n~ / (n + n~ + 4 b^2 n n~) (Gelly & Silver
            2011, "Monte-Carlo tree search and rapid action value estimation in computer Go"),
            with n the visits of an edge and n~ its AMAF visits; smaller b trusts AMAF longer.
        c_rave: exploration constant added to RAVE's blended value, c * sqrt(ln N / (n + 1)).
        rave_first_play_urgency: value of an edge with no visit and no AMAF statistics yet.
        rave_prior_weight: weight of PUCT's prior term ``P sqrt(N) / (1 + n)`` added to RAVE's
            score, so the tree policy's priors (``priors=tree``) guide RAVE as they guide PUCT.
        first_play_urgency: Q given to unvisited children under PUCT, in [-1, 1] (AlphaGo
            Zero: 0).
        relative_fpu: under PUCT, an unvisited child's Q is instead its parent's mean value
            minus ``fpu_reduction`` (Leela Zero's rule).
        fpu_reduction: see ``relative_fpu`` (values in [-1, 1]; Leela Zero's 0.25 on a
            [0, 1] scale is 0.5 here).
        mixing_lambda: leaf value ``(1 - lambda) * v + lambda * z``, z the rollout result and v
            the value evaluator's (AlphaGo: 0.5). With no value evaluator the rollout alone is
            used, whatever lambda says.
        score_weight: share of the margin in a finished game's value (rollouts and scored
            leaves): ``(1 - w) * result + w * tanh(margin / score_scale)`` (see
            :func:`go_engine.search.evaluation.outcome_value`); 0, the default, is AlphaGo's
            plain win/loss. A little makes the search prefer safer margins among moves that
            win alike instead of giving points away when it is ahead. The "win rates" the
            engine reports are then (value + 1) / 2 of this blend: within w / 2 of the plain
            win rate.
        score_scale: points at which the margin term reaches tanh(1) ~ 0.76 of its weight.
        virtual_loss: losses added to a path while its leaf is in flight (AlphaGo: 3).
        batch_size: leaves selected (under virtual loss) and evaluated together.
        expand_threshold: visits a leaf needs before it is expanded (AlphaGo: 40, with a
            network). 3 played even with 1 at equal playouts (5/10 games, 2,000 playouts,
            9x9) while it searches faster and keeps a third of the tree in memory.
        dirichlet_alpha: concentration of root noise for self-play (AlphaGo Zero: 0.03 on
            19x19); 0 disables it.
        noise_fraction: share of the root priors replaced by noise (AlphaGo Zero: 0.25).
        temperature: move choice by visits ** (1 / T); 0 picks the most visited move.
        resign_threshold: resign when the win rate of the best move falls below it (0 never).
        resign_min_visits: resign only after this many root visits.
        rollouts: ``light`` playouts or the ``trained`` rollout policy (AlphaGo's fast
            rollout policy, shipped in ``go_engine/search/weights``).
        priors: ``uniform`` or ``tree`` (the shipped tree policy) when the search is given no
            evaluator; a network evaluator replaces both.
        rollout_temperature: softmax temperature of the trained rollout policy (1: as
            trained; a policy that predicts experts best need not make the best rollouts,
            Huang, Coulom & Lin 2010, "Monte-Carlo simulation balancing in practice").
        rollout_policy: the trained rollout policy: ``rollout`` (shipped, trained on expert
            games), ``balanced`` (shipped: that one tuned by simulation balancing on the
            results of 740 finished 9x9 match games, to be played at temperature 0.7; its
            rollouts predict held-out results better, mean squared error 0.1105 against
            0.1240, and the rollout-only engine won 93/100 with it against GNU Go level 10 on
            9x9 at 1 s a move, 170/190 without: docs/benchmarks.md) or the path of a model
            written by ``go-engine train-rollout`` or ``go-engine balance-rollout``.
        tree_policy: the tree policy giving priors when no network is loaded: ``tree`` (the
            shipped one) or the path of a model written by ``go-engine train-rollout --kind
            tree`` (so that a match can measure a newly trained policy).
        tree_policy_temperature: softmax temperature of the tree policy's priors. In
            self-play on 9x9 (docs/benchmarks.md) 0.8 lost about 200 Elo to 1; 1.25 and 1.5
            did not separate from 1.
        last_good_reply: trained rollouts replay each side's last good reply to the previous
            move (Baier & Drake 2010, last good reply with forgetting): the rollouts learn,
            during the game, answers that won. Off: against GNU Go on 9x9 at 0.3 s a move it
            won 29/40 to the defaults' 31/40 (docs/benchmarks.md).
        rollout_tactics: trained rollouts answer the last move's tactics before drawing from
            the policy: take a chain it left in atari, save an own chain it put in atari by a
            capture or by an extension to two liberties or more (ladders are not read); MoGo's
            and Pachi's playouts have such rules (:mod:`go_engine.search.rollout_tactics`). Off: the
            rollout-only engine won 142/160 with them against GNU Go level 10 on 9x9 at 1 s a
            move, against 170/190 without (docs/benchmarks.md); they cost 6% of the rollouts.
        rollout_threads: threads running rollouts (numba nogil kernels), the calling thread
            included; with two or more, rounds of ``batch_size`` leaves overlap (see
            :mod:`go_engine.search.mcts`), 2 in flight per thread.
        reuse_tree: keep the subtree of the moves actually played.
        prune_eye_fills: never consider filling one's own single-point eye in the tree.
        max_rollout_moves_factor: a rollout stops after this many times size**2 moves.
        seed: random seed for tie breaks, noise and rollouts (same seed, same search).
    """

    playouts: int = 1000
    seconds: float = 0.0
    selection: Selection = Selection.RAVE
    c_uct: float = 0.9
    c_puct: float = 5.0
    rave_bias: float = 0.1
    c_rave: float = 0.1
    rave_first_play_urgency: float = 1.0
    rave_prior_weight: float = 0.0
    first_play_urgency: float = 0.0
    relative_fpu: bool = False
    fpu_reduction: float = 0.5
    mixing_lambda: float = 1.0
    score_weight: float = 0.0
    score_scale: float = 10.0
    virtual_loss: float = 3.0
    batch_size: int = 8
    expand_threshold: int = 3
    dirichlet_alpha: float = 0.0
    noise_fraction: float = 0.25
    temperature: float = 0.0
    resign_threshold: float = 0.05
    resign_min_visits: int = 200
    rollouts: Rollouts = Rollouts.LIGHT
    priors: Priors = Priors.UNIFORM
    rollout_temperature: float = 1.0
    rollout_policy: str = "rollout"
    tree_policy: str = "tree"
    tree_policy_temperature: float = 1.0
    last_good_reply: bool = False
    rollout_tactics: bool = False
    rollout_threads: int = 1
    reuse_tree: bool = True
    prune_eye_fills: bool = True
    max_rollout_moves_factor: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.playouts <= 0 and self.seconds <= 0:
            raise ValueError("a search needs a playout limit or a time limit")
        if self.playouts < 0 or self.seconds < 0:
            raise ValueError("playouts and seconds must not be negative")
        if not 0.0 <= self.mixing_lambda <= 1.0:
            raise ValueError("mixing_lambda must lie in [0, 1]")
        if self.batch_size < 1 or self.rollout_threads < 1 or self.expand_threshold < 1:
            raise ValueError("batch_size, rollout_threads and expand_threshold must be >= 1")
        if self.rollout_temperature <= 0 or self.tree_policy_temperature <= 0:
            raise ValueError("policy temperatures must be positive")
        if (self.last_good_reply or self.rollout_tactics) and self.rollouts != Rollouts.TRAINED:
            raise ValueError("last_good_reply and rollout_tactics need trained rollouts")
        if not 0.0 <= self.score_weight <= 1.0 or self.score_scale <= 0:
            raise ValueError("score_weight must lie in [0, 1] and score_scale be positive")
        if not 0.0 <= self.resign_threshold < 0.5:
            raise ValueError("resign_threshold must lie in [0, 0.5)")
        for setting in ("rollout_policy", "tree_policy"):
            name = getattr(self, setting)
            if name not in SHIPPED_POLICIES and not Path(name).is_file():
                raise ValueError(f"{setting}={name}: no such model file (or one of "
                                 f"{', '.join(SHIPPED_POLICIES)}, the shipped models)")

    def with_overrides(self, assignments: list[str]) -> SearchConfig:
        """A copy with fields set from ``NAME=VALUE`` strings (the command line's ``--set``).

        Raises ``ValueError`` for an unknown field or a value of the wrong type.
        """
        kinds = {f.name: f.type for f in fields(self)}
        changes: dict[str, object] = {}
        for assignment in assignments:
            name, sep, text = assignment.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in kinds:
                raise ValueError(f"--set {assignment!r}: expected NAME=VALUE with NAME one of "
                                 f"{', '.join(sorted(kinds))}")
            changes[name] = _parse_field(kinds[name], text.strip(), name)
        return replace(self, **changes)


def _parse_field(kind: str, text: str, name: str) -> object:
    """Convert ``text`` to a field of type ``kind`` (annotations are strings here)."""
    try:
        if kind == "bool":
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes")
        if kind in _ENUMS:
            return _ENUMS[kind](text)
        return {"int": int, "float": float, "str": str}[kind](text)
    except (KeyError, ValueError):
        raise ValueError(f"--set {name}={text}: not a valid {kind}") from None


_ENUMS = {"Selection": Selection, "Rollouts": Rollouts, "Priors": Priors}


ROLLOUT_ONLY_SETTINGS: dict[str, object] = {
    "c_puct": 2.0, "relative_fpu": True, "rollout_temperature": 0.7}
"""What the rollout-only engine (no network) changes in the engine's search.

Each was measured on 9x9 at 0.5 s a move in self-play against the settings before it (40
games each, docs/benchmarks.md); only the first is significant at 95% alone, the other two
lean the same way:

* ``c_puct`` 2 instead of AlphaGo's 5 (kept for network priors): 27/40; c_puct 1 won 4/21
  against 2. The tree policy's priors are weaker than a network's, and 5 spread the visits
  too thinly.
* ``relative_fpu`` (Leela Zero's first-play urgency, the parent's value minus 0.5): 25/40, and
  36/40 against GNU Go level 10 at 1 s a move, where c_puct 2 alone won 81/100.
* ``rollout_temperature`` 0.7 (sharper rollouts than the trained policy's own softmax): 26/40.
"""


def network_settings(size: int) -> dict[str, object]:
    """What a search guided by the bundled network changes on ``size`` (lambda, expansion ...).

    On 13x13 and up: AlphaGo's mix, lambda 0.5, and a leaf expanded at its first visit (the
    value and the priors come in the same evaluation). The bundled network learnt its value
    from 19x19 games only; on 9x9 at one second a move a search using that value lost 2 of 8
    games to the rollout-only engine, while network priors with rollout values (lambda 1), the
    network called only to expand a node after 8 visits (1,000 simulations a second instead of
    150), won its games against it (docs/benchmarks.md). So smaller boards take lambda 1.

    Smaller boards also count a little of the margin in a finished game's value
    (``score_weight`` 0.1, ``score_scale`` 5 points): against GNU Go level 10 at one second a
    move on 9x9 the engine without it won 45/50 on a 2-core machine, four of its five losses by
    4.5 points or less (commit 4c44077, seed 601), and with it 49/50 (seed 611), the one loss
    by 4.5 points (docs/benchmarks.md). Untried on 13x13 and up.

    With rollout values alone, smaller boards also take the rollout-only engine's rollout
    settings (sharper rollouts at temperature 0.7, relative first-play urgency; see
    :data:`ROLLOUT_ONLY_SETTINGS`): against the rollout-only engine at one second a move on 9x9
    the engine won 43/60 without them (seed 511) and 63/80 with them (seed 521). c_puct stays
    AlphaGo's 5: the network's priors are the informative kind it was chosen for. Untried on
    13x13 and up, where the value network carries half of each leaf's value.
    """
    if size >= 13:
        return {"mixing_lambda": 0.5, "expand_threshold": 1}
    rollout_settings = {name: ROLLOUT_ONLY_SETTINGS[name]
                        for name in ("rollout_temperature", "relative_fpu")}
    return {"mixing_lambda": 1.0, "expand_threshold": 8, "score_weight": 0.1, "score_scale": 5.0,
            **rollout_settings}


def engine_config(size: int, *, network: bool, **changes: object) -> SearchConfig:
    """The search the engine plays with on ``size``, with a network or without (rollout-only).

    PUCT selection, AlphaGo's trained rollout policy and priors from the tree policy (from the
    network when there is one), plus :data:`ROLLOUT_ONLY_SETTINGS` or
    :func:`network_settings`; ``changes`` override any field (``playouts``, ``seconds``,
    ``seed`` ...). The command line builds its search here, so a library user, a benchmark or
    a self-play actor gets the same engine as ``go-engine gtp``.
    """
    settings: dict[str, object] = {"selection": Selection.PUCT, "priors": Priors.TREE_POLICY,
                                   "rollouts": Rollouts.TRAINED}
    settings.update(network_settings(size) if network else ROLLOUT_ONLY_SETTINGS)
    settings.update(changes)
    return SearchConfig(**settings)
