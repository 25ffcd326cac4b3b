"""The agent's path rules, attacked directly (the same suite runs through the server in
tests/integration/test_file_transfer.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guruconnect.agent.files.paths import (
    PathRefused,
    Roots,
    check_name,
    check_syntax,
    part_path,
    renamed,
    resolve,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "docs").mkdir(parents=True)
    (r / "docs" / "a.txt").write_text("a")
    return r


@pytest.fixture
def roots(root: Path) -> Roots:
    return Roots.from_config([str(root)])


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("{root}/../outside.txt", "'..'"),
        ("{root}/docs/../../outside.txt", "'..'"),
        ("{root}/..\\outside.txt", "'..'"),
        ("{root}\\..\\outside.txt", "'..'"),
        ("{root}/%2e%2e/outside.txt", "encoded"),
        ("{root}/%2E%2E%2Foutside.txt", "encoded"),
        ("{root}/%252e%252e/outside.txt", "encoded"),
        ("{root}/a%00.txt", "NUL"),
        ("{root}/a\x00.txt", "NUL"),
        ("{root}/a\x07.txt", "control"),
        ("{root}/./docs", "'.'"),
        ("{root}/CON", "reserved"),
        ("{root}/nul.txt", "reserved"),
        ("{root}/com1", "reserved"),
        ("{root}/LPT9.log", "reserved"),
        ("{root}/aux. ", "reserved"),
        ("docs/a.txt", "absolute"),
        ("", "empty"),
        ("/" + "a" * 5000, "longer"),
    ],
)
def test_syntax_attacks_are_refused(path: str, why: str, root: Path, roots: Roots) -> None:
    with pytest.raises(PathRefused, match=why):
        resolve(path.format(root=root), roots, must_exist=False)


def test_absolute_paths_outside_the_roots_are_refused(root: Path, roots: Roots) -> None:
    for path in ("/etc/passwd", "/", str(root.parent), str(root) + "-sibling/x"):
        with pytest.raises(PathRefused, match="outside"):
            resolve(path, roots, must_exist=False)


def test_symlinks_leading_outside_are_refused(root: Path, roots: Roots, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    (root / "escape").symlink_to(outside)
    (root / "escape-file").symlink_to(outside / "secret")
    for path in (root / "escape" / "secret", root / "escape-file", root / "escape" / "new.txt"):
        with pytest.raises(PathRefused, match="symbolic link"):
            resolve(str(path), roots, must_exist=False)


def test_symlinks_inside_the_roots_are_fine(root: Path, roots: Roots) -> None:
    (root / "shortcut").symlink_to(root / "docs")
    assert resolve(str(root / "shortcut" / "a.txt"), roots) == root / "docs" / "a.txt"


def test_allowed_paths_resolve(root: Path, roots: Roots) -> None:
    assert resolve(str(root / "docs" / "a.txt"), roots) == root / "docs" / "a.txt"
    assert resolve(str(root / "docs" / "new.txt"), roots, must_exist=False) == (
        root / "docs" / "new.txt"
    )
    assert resolve(str(root / "100%.txt"), roots, must_exist=False).name == "100%.txt"
    with pytest.raises(FileNotFoundError):
        resolve(str(root / "missing.txt"), roots)


@pytest.mark.skipif(os.name == "nt", reason="every drive on Windows")
def test_default_root_is_the_filesystem_root() -> None:
    assert Roots.from_config([]).paths == ("/",)


def test_names_and_helpers(root: Path) -> None:
    check_name("report.pdf")
    for bad in ("", ".", "..", "a/b", "a\\b", "CON", "x\x00"):
        with pytest.raises(PathRefused):
            check_name(bad)
    check_syntax("/srv/ok file (1).txt")
    target = root / "docs" / "a.txt"
    assert part_path(target).name == "a.txt.part"
    assert renamed(target).name == "a (1).txt"
    (root / "docs" / "a (1).txt").write_text("")
    assert renamed(target).name == "a (2).txt"
