"""ruff is clean (including the INT rules: no f-strings inside _())."""

import shutil
import subprocess
import sys

from lms import PROJECT_DIR


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(PROJECT_DIR / ".venv" / "bin" / "ruff")
    result = subprocess.run(
        [ruff, "check", "lms", "sandbox", "tests", "benchmarks", "wsgi.py"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sys.version_info >= (3, 11)
