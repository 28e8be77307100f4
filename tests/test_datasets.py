"""Game archives and move-list datasets: SGF files, folders, tar.xz archives, caching, splits."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from go_engine.data.archives import iter_sgf_bytes, read_move_list
from go_engine.data.dataset import GameDataset, build_dataset, validate
from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.sgf import SgfError, load_sgf

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

PLAIN = b"(;GM[1]FF[4]SZ[9]KM[6.5]RE[B+R]C[a comment with B[aa\\] inside]\n;B[ee];W[cc];B[gg];W[])"
HANDICAP = b"(;GM[1]SZ[9]HA[2]AB[cc][gg]KM[0.5]RE[W+3.5];W[ee];B[ec];W[tt])"
SETUP = b"(;GM[1]SZ[9]AB[aa]AW[cc][dd]PL[B];B[ee];W[ff])"
VARIATIONS = b"(;GM[1]SZ[9];B[ee](;W[cc];B[gg])(;W[gg]))"
RECTANGLE = b"(;GM[1]SZ[9]AB[aa:bb];W[ee])"
ILLEGAL = b"(;GM[1]SZ[9];B[ee];W[ee])"
NOT_GO = b"(;GM[3]SZ[9];B[ee])"


def write_games(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("1_plain.sgf", PLAIN), ("2_handicap.sgf", HANDICAP),
                       ("3_setup.sgf", SETUP), ("4_variations.SGF", VARIATIONS),
                       ("5_rectangle.sgf", RECTANGLE), ("6_illegal.sgf", ILLEGAL),
                       ("7_not_go.sgf", NOT_GO)):
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not a game")


def test_read_move_list_plain_and_fallback_agree_with_sgfmill():
    game = read_move_list(PLAIN)
    assert game.size == 9 and game.komi == 6.5 and game.winner == BLACK
    assert game.colors == (BLACK, WHITE, BLACK, WHITE)
    assert game.points == (40, 20, 60, 81)  # e5, c3, g7 (row*9+col), pass
    record = load_sgf(PLAIN)
    assert game.points == tuple(m.point for m in record.moves)
    variations = read_move_list(VARIATIONS)  # main line through sgfmill
    assert variations.points == (40, 20, 60)


def test_handicap_and_setup_stones_become_setup():
    handicap = read_move_list(HANDICAP)
    assert handicap.setup_black == (20, 60) and handicap.setup_white == ()
    assert handicap.colors[0] == WHITE and handicap.points[-1] == 81  # tt is pass
    setup = read_move_list(SETUP)
    assert setup.setup_black == (0,) and setup.setup_white == (20, 30)
    rectangle = read_move_list(RECTANGLE)  # AB[aa:bb] through sgfmill
    assert rectangle.setup_black == (0, 1, 9, 10)
    with pytest.raises(SgfError):
        read_move_list(NOT_GO)


def test_build_dataset_from_folder_skips_bad_games_and_caches(tmp_path):
    folder = tmp_path / "games"
    write_games(folder)
    dataset, report = build_dataset([folder], cache_dir=tmp_path / "cache")
    assert report.records == 7 and report.unreadable == 1 and report.illegal == 1
    assert len(dataset) == 5 and not report.cached
    assert dataset.game(0).points == read_move_list(PLAIN).points
    assert dataset.game(1).setup_black == (20, 60)
    assert validate(dataset).all()
    again, report = build_dataset([folder], cache_dir=tmp_path / "cache")
    assert report.cached and np.array_equal(again.points, dataset.points)
    limited, _ = build_dataset([folder], max_games=2, cache_dir=None)
    assert len(limited) == 2


def test_tar_archive_single_file_and_subset(tmp_path):
    archive = tmp_path / "games.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        for name, data in (("set/manifest.csv", b"path\n"), ("set/a.sgf", PLAIN),
                           ("set/b.sgf", HANDICAP)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    names = [name for name, _ in iter_sgf_bytes([archive])]
    assert [n.rsplit(":", 1)[1] for n in names] == ["set/a.sgf", "set/b.sgf"]
    single = tmp_path / "one.sgf"
    single.write_bytes(SETUP)
    dataset, _ = build_dataset([archive, single], cache_dir=None)
    assert len(dataset) == 3 and dataset.num_moves == 4 + 3 + 2
    picked = dataset.subset([2, 0])
    assert picked.game(0).setup_white == (20, 30)
    assert picked.game(1).points == dataset.game(0).points


def test_heldout_split_is_by_game_seeded_and_stable_under_reordering():
    games = [read_move_list(PLAIN), read_move_list(HANDICAP), read_move_list(SETUP)] * 1
    base = GameDataset.from_move_lists(games)
    more = GameDataset.from_move_lists(
        [read_move_list(b"(;SZ[9];B[%s])" % bytes([97 + i, 97 + j]))
         for i in range(9) for j in range(9)])
    mask = more.heldout_mask(0.3, seed=1)
    assert 0 < mask.sum() < len(more)
    assert np.array_equal(mask, more.heldout_mask(0.3, seed=1))
    assert not np.array_equal(mask, more.heldout_mask(0.3, seed=2))
    reordered = more.subset(np.arange(len(more))[::-1])
    assert np.array_equal(reordered.heldout_mask(0.3, seed=1), mask[::-1])
    assert base.heldout_mask(0.0).sum() == 0 and base.heldout_mask(1.0).all()


@pytest.mark.skipif(not (SHARED_DATA / "kgs6d_19x19.tar.xz").exists(),
                    reason="the shared expert archives are not here")
def test_real_archive_sample_matches_sgfmill():
    archive = SHARED_DATA / "kgs6d_19x19.tar.xz"
    dataset, report = build_dataset([archive], max_games=5, cache_dir=None)
    assert report.records == 5 and len(dataset) == 5
    for index, (_name, data) in enumerate(iter_sgf_bytes([archive])):
        if index == 5:
            break
        record = load_sgf(data)
        assert dataset.game(index).points == tuple(m.point for m in record.moves)
        assert dataset.game(index).size == 19
