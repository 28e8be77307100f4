"""A whole 9x9 game between ``go-engine gtp`` and GNU Go, each a subprocess, refereed by a small
GTP controller: both must end with the same stones and captures, and both count the result."""

from __future__ import annotations

import re

import pytest
from conftest import engine_command

from go_engine.interfaces.gtp_client import GtpClient

MOVE_CAP = 250
SCORE = re.compile(r"(?:[BW]\+(?:\d+(?:\.\d+)?|R)|0)")


def play_game(players: dict[str, GtpClient]) -> tuple[list[str], str | None]:
    """Alternate genmove/play from Black until two passes, a resignation or the move cap.
    Returns the moves (``"b D4"`` ...) and the colour that resigned, if one did."""
    moves: list[str] = []
    color, passes = "b", 0
    while len(moves) < MOVE_CAP:
        other = "w" if color == "b" else "b"
        move = players[color].send(f"genmove {color}").lower()
        if move == "resign":
            return moves, color
        players[other].send(f"play {color} {move}")
        moves.append(f"{color} {move}")
        passes = passes + 1 if move == "pass" else 0
        if passes == 2:
            break
        color = other
    return moves, None


def winner(score: str) -> str:
    return score[0] if score[0] in "BW" else "draw"


@pytest.mark.timeout(120)  # about 5-15 s a game here; the limit only catches a hang
@pytest.mark.parametrize("our_color, resign_threshold", [("b", "0"), ("w", "0.05")])
def test_a_full_game_against_gnugo(gnugo_path, tmp_path, our_color, resign_threshold):
    ours = engine_command("gtp", "--size", "9", "--playouts", "200", "--seed", "7",
                          "--resign-threshold", resign_threshold)
    theirs = [gnugo_path, "--mode", "gtp", "--level", "1", "--chinese-rules", "--seed", "3"]
    with GtpClient(ours) as us, GtpClient(theirs) as gnugo:
        for client in (us, gnugo):
            client.send("boardsize 9")
            client.send("clear_board")
            client.send("komi 7.5")
        their_color = "w" if our_color == "b" else "b"
        moves, resigned = play_game({our_color: us, their_color: gnugo})
        assert moves, "the game never started"

        # The referee's check: both programs saw the same game.
        for query in ["list_stones black", "list_stones white", "captures black",
                      "captures white"]:
            assert us.send(query) == gnugo.send(query), query

        our_score, their_score = us.send("final_score"), gnugo.send("final_score")
        assert SCORE.fullmatch(our_score), our_score
        (tmp_path / "game.sgf").write_text(us.send("printsgf"))
        print(f"\ngo-engine as {our_color}: {len(moves)} moves, resigned: {resigned}; "
              f"final_score: go-engine {our_score}, GNU Go {their_score}")
        if resigned == our_color:
            assert our_score == ("W+R" if our_color == "b" else "B+R")
        elif resigned is None and len(moves) < MOVE_CAP:
            assert SCORE.fullmatch(their_score), their_score
            if winner(our_score) != winner(their_score):
                print("the engines disagree on the winner (dead-stone estimates differ): "
                      f"go-engine {our_score}, GNU Go {their_score}")
