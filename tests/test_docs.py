"""The documentation site: a strict MkDocs build (broken links, pages left out of the navigation and
docstrings that do not parse fail it), the console-script reference generated from the flags, and a
README that stays a front door."""

import os
import re
import subprocess
import sys

from conftest import REPO_ROOT, subprocess_env

MKDOCS = os.path.join(os.path.dirname(sys.executable), "mkdocs")


def test_the_site_builds_strictly(tmp_path):
    env = dict(subprocess_env(), NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [MKDOCS, "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cli = (tmp_path / "site" / "cli" / "index.html").read_text()
    for script in ("betavae-generate", "betavae-train", "betavae-analyze", "betavae-sample"):
        assert f'id="{script}"' in cli
    assert "--kl_warmup_epochs" in cli and "--known_tc" in cli and "--shuffle_buffer" not in cli
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "KLAnnealing" in api and "train_and_evaluate" in api


def test_readme_is_a_front_door():
    readme = open(os.path.join(REPO_ROOT, "README.md")).read()
    assert len(readme.splitlines()) <= 200
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):  # every page it links exists
        assert os.path.isfile(os.path.join(REPO_ROOT, target)), target
