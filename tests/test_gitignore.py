"""What git leaves out of the repository: files the README's commands make."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ignored_in(repo: Path, path: str) -> bool:
    """Whether git, with our .gitignore, leaves path out of repo."""
    done = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--quiet", "--no-index", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty repository holding only the project's .gitignore."""
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True, timeout=60)
    return tmp_path


def test_the_readmes_reports_folder_is_ignored(repo: Path) -> None:
    # `run --demo ... --out reports`, as the README shows it.
    assert ignored_in(repo, "reports/trips.csv")
    assert ignored_in(repo, "reports/trips (2).json")


def test_the_engines_reports_package_is_not_ignored(repo: Path) -> None:
    assert not ignored_in(repo, "app/engine/reports/trips.py")
    assert not ignored_in(repo, "app/engine/reports/__init__.py")
