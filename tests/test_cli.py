"""Console scripts: --help, flagfiles, and one-sentence errors for bad flags."""

import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

SCRIPTS = {
    "betavae-generate": "--out",
    "betavae-import": "--input",
    "betavae-info": "--data",
    "betavae-train": "--workdir",
    "betavae-export": "--checkpoint",
    "betavae-reproduce": "--figures",
    "betavae-analyze": "--collapse_window",
    "betavae-sample": "--local_sweeps",
}


def _script(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _run(*args, cwd=REPO_ROOT):
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help(name):
    result = _run(_script(name), "--help")
    # absl's --help prints usage and the program's flags, and exits with status 1.
    assert result.returncode in (0, 1)
    assert SCRIPTS[name] in result.stdout
    # It opens with what the command does, then at least one example.
    assert result.stdout.lstrip().startswith(f"{name}: ")
    assert f"\n  {name} --" in result.stdout


def test_generate_from_flagfile_and_info(tmp_path):
    flagfile = tmp_path / "tiny.flags"
    flagfile.write_text(
        "--flagfile=flags/data/ising_shared.flags\n--lattice_size=8\n"
        "--n_temperatures=2\n--samples_per_point=4\n--n_shards=2\n"
    )
    out = tmp_path / "ds"
    result = _run(_script("betavae-generate"), f"--flagfile={flagfile}", f"--out={out}")
    assert result.returncode == 0, result.stderr
    assert "16 samples in 2 shards" in result.stdout
    info = _run(_script("betavae-info"), f"--data={out}")
    assert info.returncode == 0 and "L = 8" in info.stdout
    again = _run(_script("betavae-generate"), f"--flagfile={flagfile}", f"--out={out}")
    assert again.returncode == 2 and "already exists; pass --overwrite" in again.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--t_min=0"], "need 0 < --t_min <= --t_max"),
        (["--couplings=1,x"], "--couplings must be a comma-separated list of numbers"),
        (["--lattice_size=9"], "lattice_size must be even"),
        (["--samples_per_point=0"], "samples_per_point must be at least 1"),
        ([], "--out is required"),
    ],
)
def test_generate_bad_flags(args, message, tmp_path):
    out = [] if not args else [f"--out={tmp_path / 'x'}"]
    result = _run(_script("betavae-generate"), *args, *out)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in result.stderr
    assert not os.path.exists(tmp_path / "x")


def test_import_missing_file(tmp_path):
    result = _run(_script("betavae-import"), f"--input={tmp_path / 'nope.npy'}", f"--out={tmp_path / 'ds'}")
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_progress_goes_through_absl_logging_and_log_dir(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    result = _run(
        _script("betavae-generate"),
        "--lattice_size=4",
        "--n_temperatures=3",
        "--samples_per_point=2",
        "--n_shards=1",
        f"--out={tmp_path / 'ds'}",
        f"--log_dir={logs}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "ising L = 4 6/6" in result.stderr  # one line per grid point, with the ETA
    written = "".join(p.read_text() for p in logs.iterdir() if p.is_file() and not p.is_symlink())
    assert "ising L = 4 1/6" in written and "ETA" in written
    quiet = _run(
        _script("betavae-generate"),
        "--lattice_size=4",
        "--n_temperatures=3",
        "--samples_per_point=2",
        "--n_shards=1",
        f"--out={tmp_path / 'ds2'}",
        "--verbosity=-1",
        cwd=tmp_path,
    )
    assert quiet.returncode == 0 and "ETA" not in quiet.stderr


def test_tf_log_is_asked_on_the_command_line_or_in_the_environment():
    from betavae_tf.cli import quiet

    assert not quiet.wanted([], {})
    assert quiet.wanted(["--tf_log"], {}) and quiet.wanted(["--tf_log=true"], {})
    assert not quiet.wanted(["--tf_log", "--notf_log"], {})
    assert quiet.wanted([], {"BETAVAE_TF_LOG": "1"}) and not quiet.wanted([], {"BETAVAE_TF_LOG": "0"})


def test_native_stderr_is_captured_and_restored(capfd):
    from betavae_tf.cli import quiet

    with quiet.native_stderr_captured() as captured:
        os.write(2, b"native noise\n")
        assert captured() == "native noise\n"
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
