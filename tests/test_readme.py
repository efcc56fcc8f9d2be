"""The commands of the README and of every documentation page, in the order given, each page from an empty
directory: each one that writes into runs/ is
run in a tiny form (a small lattice, one or two steps), or, where it needs hardware or files a fresh machine
does not have, checked for its inputs (the program exists, every flag is one it defines, every flagfile is
found). Checked the same way, not run: betavae-reproduce (tests/test_reproduce.py runs Figs. 2-4, 5-6 and 7
end to end in tiny form), and a command that repeats one run here with other inputs, outputs or epochs."""

import os
import re
import shlex
import subprocess
import sys

from conftest import REPO_ROOT, subprocess_env

BIN = os.path.dirname(sys.executable)
README = open(os.path.join(REPO_ROOT, "README.md")).read()
DOCS = os.path.join(REPO_ROOT, "docs")
PAGES = {"README.md": README} | {
    f"docs/{n}": open(os.path.join(DOCS, n)).read() for n in sorted(os.listdir(DOCS)) if n.endswith(".md")
}
TINY_DATA = ["--lattice_size=8", "--samples_per_point=8", "--n_shards=2"]
TINY_TRAIN = ["--steps_per_epoch=1", "--batch_size=32", "--nosummary_images"]
# the development pages' own tools (make test and make lint run them)
DEVELOPER = ("lint-imports", "ruff", "pytest", "python", "duplicates")
NOT_RUN = (
    "make",
    "pip",
    "tensorboard",
    "tensorflow_model_server",
    "curl",
    "bash",
    "docker",
    "mkdocs",
)  # documented, not run here


def shell_commands(text):
    """Every command of the README's ```sh blocks, continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s+#\s", line)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_first_block_is_what_ci_runs():
    first = README.split("```")[1]
    assert [line.split("#")[0].strip() for line in first.splitlines()[1:] if line.strip()] == ["make demo", "make test"]
    ci = open(os.path.join(REPO_ROOT, ".ci", "run")).read()
    assert "make test" in ci and "make test-env" in ci
    makefile = open(os.path.join(REPO_ROOT, "Makefile")).read()
    assert "\ndemo: install" in makefile and "\ntest: install" in makefile


def _check_only(words):
    """A command this machine cannot run: its program, flags and flagfiles must still be right."""
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    program = words[0]
    assert os.path.isfile(os.path.join(BIN, program)), program
    helpfull = subprocess.run(
        [os.path.join(BIN, program), "--helpfull"], capture_output=True, text=True, env=subprocess_env(), timeout=120
    ).stdout
    from betavae_tf import flagfiles

    for word in words[1:]:
        if not word.startswith("--"):
            continue
        name = word[2:].split("=", 1)[0]
        if name == "flagfile":
            flagfiles.resolve(word.split("=", 1)[1])
        else:
            base = name.removeprefix("no")
            assert f"--{name}:" in helpfull or f"--[no]{base}:" in helpfull, f"{program} has no flag --{name}"


def _needs_more_than_a_fresh_machine(words):
    text = " ".join(words)
    return (
        words[0].startswith("TF_CONFIG=")
        or "--strategy=tpu" in text
        or "--mnist=" in text
        or "--input=my_" in text
        or "runs/mine" in text
        or "--precision=mixed" in text
    )


def _inputs_elsewhere(words, cwd):
    """A command of a page that reads what another page (or the user) made: checked, not run."""
    reads = ("--data_dir", "--data", "--input") + (() if words[0] == "betavae-train" else ("--workdir",))
    for word in words[1:]:
        name, _, value = word.partition("=")
        if name in reads and value and not os.path.exists(os.path.join(cwd, value)):
            return True
    return False


def _setting(words):
    """A command's program and flags, less where it reads and writes and for how long: two commands with the
    same setting run the same code."""
    return (
        words[0],
        frozenset(
            w for w in words[1:] if w.split("=", 1)[0] not in ("--workdir", "--out", "--data", "--data_dir", "--epochs")
        ),
    )


def test_readme_and_docs_commands_run_in_order_from_an_empty_directory(tmp_path):
    ran, checked = [], []
    for page, text in PAGES.items():
        cwd, done = tmp_path / page.replace("/", "_"), set()
        cwd.mkdir()
        for command in shell_commands(text):
            words = shlex.split(command)
            program = next(w for w in words if "=" not in w or w.startswith("-"))
            if program in NOT_RUN or os.path.basename(program) in DEVELOPER:
                continue
            if (
                _needs_more_than_a_fresh_machine(words)
                or words[0] == "betavae-reproduce"
                or _setting(words) in done
                or _inputs_elsewhere(words, cwd)
            ):
                _check_only(list(words))
                checked.append(command)
                continue
            program = words[0]
            done.add(_setting(words))
            if program == "betavae-generate":
                words += TINY_DATA
            elif program == "betavae-train":
                words += TINY_TRAIN + ([] if any(w.startswith("--epochs=") for w in words) else ["--epochs=1"])
            elif program == "betavae-sample":
                words += ["--n_chains=4", "--n_steps=8", "--burn_in=2"]
            assert program.startswith("betavae-") or program == "saved_model_cli", f"{page}: {command}"
            result = subprocess.run(
                [os.path.join(BIN, program), *words[1:]],
                cwd=cwd,
                env=subprocess_env(),
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, f"{page}: {command}\n{result.stderr[-3000:]}"
            ran.append(command)
    assert len(ran) >= 8 and len(checked) >= 4, (ran, checked)
    assert any(c.startswith("betavae-reproduce --figures=2,3,4 --scale=quick") for c in checked), checked
