"""Property-based fault tests (Hypothesis): readers, importers and validators given what nobody thought of.

The property is the package's input promise: any input is either accepted,
and then means what it says, or refused with one ValueError (or
FileNotFoundError) sentence. Never another exception, never a hang, never a
half-written output. Each property runs a bounded number of examples with a
fixed database-free seed, so the suite stays fast and repeatable.
"""

import json
import os
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from betavae_tf import fileio, flagfiles, places, train_lib
from betavae_tf.data import format as fmt
from betavae_tf.data import verify
from betavae_tf.data.generate import GenerateConfig
from betavae_tf.data.importer import import_configurations, load_configurations

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError)


def _one_sentence(error):
    event("refused")
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text, text
    assert "Errno" not in text, text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(data=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_read_json_accepts_an_object_or_refuses_in_one_sentence(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("json") / "file.json"
    path.write_bytes(data)
    try:
        value = fileio.read_json(str(path), "manifest")
    except ValueError as e:
        _one_sentence(e)
        return
    assert isinstance(value, dict) and value == json.loads(data.decode("utf-8"))


@SETTINGS
@given(depth=st.integers(1, 3000), opener=st.sampled_from("[{"))
def test_json_depth_is_measured_without_recursion(depth, opener):
    if opener == "[":
        data = ("[" * depth + '"]{["' + "]" * depth).encode()  # brackets inside a string do not count
    else:
        data = ('{"k": ' * (depth - 1) + "{}" + "}" * (depth - 1)).encode()
    assert fileio.json_depth(data) == depth
    if depth > fileio.MAX_JSON_DEPTH:
        with pytest.raises(ValueError, match=f"nested {depth} levels deep"):
            fileio.parse_json(data, "file")
    else:
        fileio.parse_json(data, "file")


_MANIFEST_KEYS = [
    "format_version",
    "lattice_size",
    "n_samples",
    "shards",
    "channels",
    "encoding",
    "sample_bytes",
    "phases",
    "fingerprint",
]


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from betavae_tf.data.generate import generate

    return generate(
        GenerateConfig(lattice_size=4, temperatures=(2.0,), couplings=(1.0,), samples_per_point=4, n_shards=2),
        str(tmp_path_factory.mktemp("props") / "ds"),
        log=None,
    )


@SETTINGS
@given(edits=st.lists(st.tuples(st.sampled_from(_MANIFEST_KEYS + ["shards[0]"]), json_values), min_size=1, max_size=3))
def test_an_edited_manifest_is_read_consistently_or_refused(edits, small_dataset, tmp_path_factory):
    import shutil

    copy = str(tmp_path_factory.mktemp("edit") / "ds")
    shutil.copytree(small_dataset, copy)
    manifest = json.loads(open(os.path.join(copy, "manifest.json")).read())
    for key, value in edits:
        if key == "shards[0]":
            manifest["shards"][0] = value
        else:
            manifest[key] = value
    with open(os.path.join(copy, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    try:
        read = fmt.read_manifest(copy)
    except fmt.DatasetError as e:
        _one_sentence(e)
        return
    event("accepted")  # then the manifest's claims hold for the files on disk
    assert sum(s["n_samples"] for s in read["shards"]) == read["n_samples"]
    for shard in read["shards"]:
        assert os.path.isfile(os.path.join(copy, shard["file"]))


arrays = hnp.arrays(
    dtype=st.sampled_from([np.uint8, np.int8, np.int64, np.float32, np.float64, np.bool_]),
    shape=st.sampled_from([(3, 4, 4), (2, 4, 4, 2), (1, 2, 2), (3, 4), (0, 4, 4), (2, 3, 4), (2, 4, 4, 1)]),
    elements=None,
)
labels = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
    shape=st.sampled_from([(1,), (2,), (3,)]),
    elements=None,
)


@SETTINGS
@given(x=arrays, temperatures=st.none() | labels, kind=st.sampled_from(["auto", "ising", "states", "angles", "real"]))
def test_an_import_writes_a_true_dataset_or_refuses_and_writes_nothing(x, temperatures, kind, tmp_path_factory):
    folder = tmp_path_factory.mktemp("import")
    path = folder / "in.npz"
    extra = {} if temperatures is None else {"temperatures": temperatures}
    np.savez(path, spins=x, **extra)
    out = folder / "ds"
    try:
        import_configurations(str(path), str(out), kind=kind, n_shards=1)
    except USER_ERRORS as e:
        _one_sentence(e)
        assert not out.exists() and not [n for n in os.listdir(folder) if fileio.is_temporary(n)]
        return
    event("accepted")
    manifest = fmt.read_manifest(str(out))
    assert manifest["n_samples"] == x.shape[0] and manifest["lattice_size"] == x.shape[1]
    verify.verify_dataset(str(out))
    if temperatures is not None:  # what was stored is what was given
        from betavae_tf.data.pipeline import load_numpy

        stored = np.sort(load_numpy(str(out))["temperature"])
        given_t = np.broadcast_to(temperatures.astype(np.float64), (x.shape[0],))
        np.testing.assert_allclose(stored, np.sort(given_t.astype(np.float32)), rtol=0, equal_nan=True)


@SETTINGS
@given(x=arrays)
def test_load_configurations_never_fails_otherwise(x, tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "in.npy"
    np.save(path, x)
    try:
        out, kind, q, _ = load_configurations(str(path))
    except ValueError as e:
        _one_sentence(e)
        return
    assert kind in ("ising", "states", "real") and out.shape[0] == x.shape[0]


_numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=True, allow_infinity=True), st.booleans())


@SETTINGS
@given(
    batch_size=_numbers,
    epochs=_numbers,
    learning_rate=_numbers,
    validation_fraction=_numbers,
    adam_beta_1=_numbers,
    keep_checkpoints=_numbers,
)
def test_train_settings_are_accepted_only_in_range(
    batch_size, epochs, learning_rate, validation_fraction, adam_beta_1, keep_checkpoints, small_dataset
):
    config = train_lib.TrainConfig(
        data_dir=small_dataset,
        batch_size=batch_size,
        epochs=epochs,
        learning_rate=learning_rate,
        validation_fraction=validation_fraction,
        adam_beta_1=adam_beta_1,
        keep_checkpoints=keep_checkpoints,
    )
    try:
        train_lib.validate(config)
    except ValueError as e:
        _one_sentence(e)
        return
    assert config.batch_size >= 1 and config.epochs >= 1 and config.learning_rate > 0
    assert 0 <= config.validation_fraction < 1 and 0 <= config.adam_beta_1 < 1 and config.keep_checkpoints >= 1


_plain = st.floats(0.5, 4.0)
_reals = st.one_of(_plain, _plain, _plain, _plain, st.floats(1e-45, 1e-30), st.floats(1e37, 1e40), _numbers)


@SETTINGS
@given(
    temperatures=st.lists(_reals, min_size=1, max_size=2),
    couplings=st.lists(_reals, min_size=1, max_size=1),
    field=st.just(0.0) | _reals,
    lattice_size=st.sampled_from([2, 4, 8]) | _numbers,
    samples=st.integers(1, 8) | _numbers,
)
def test_generate_settings_are_accepted_only_when_storable(temperatures, couplings, field, lattice_size, samples):
    config = GenerateConfig(
        lattice_size=lattice_size,
        temperatures=tuple(temperatures),
        couplings=tuple(couplings),
        field=field,
        samples_per_point=samples,
        n_shards=1,
    )
    try:
        config.validate()
    except ValueError as e:
        _one_sentence(e)
        return
    event("accepted")
    values = np.array(list(config.temperatures) + list(config.couplings) + [config.field], dtype=np.float64)
    assert np.array_equal(values.astype(np.float32).astype(np.float64) != 0, values != 0)  # nothing becomes 0
    assert np.isfinite(values.astype(np.float32)).all() and all(t > 0 for t in config.temperatures)
    assert not any(isinstance(v, bool) for v in values.tolist())


flag_lines = st.lists(st.text(alphabet=string.printable + "\x00\xff", max_size=30), max_size=5)


@SETTINGS
@given(lines=flag_lines, raw=st.binary(max_size=60))
def test_flagfiles_expand_or_refuse_in_one_sentence(lines, raw, tmp_path_factory):
    folder = tmp_path_factory.mktemp("flags")
    path = folder / "x.flags"
    path.write_bytes("\n".join(lines).encode("utf-8", errors="replace") + raw)
    try:
        expanded = flagfiles.expand([f"--flagfile={path}"])
    except (ValueError, FileNotFoundError) as e:
        _one_sentence(e)
        return
    assert all(isinstance(a, str) and a == a.strip() and a for a in expanded)


@SETTINGS
@given(
    names=st.lists(
        st.sampled_from(
            [
                "manifest.json",
                "notes.txt",
                "shard-00000-of-00001.tfrecord",
                "figures",
                "summary.json",
                "report.md",
                ".betavae_tf.json",
                "1",
                "analysis",
            ]
        ),
        unique=True,
        max_size=5,
    ),
    kind=st.sampled_from(places.KINDS),
)
def test_check_output_never_lets_a_foreign_entry_be_replaced(names, kind, tmp_path_factory):
    target = tmp_path_factory.mktemp("out") / "target"
    target.mkdir()
    for name in names:
        if name in ("figures", "1", "analysis"):
            (target / name).mkdir()
        else:
            (target / name).write_text("{}" if name.endswith(".json") else "x")
    before = sorted(os.listdir(target))
    try:
        _, existing = places.check_output(str(target), kind, overwrite=True)
    except USER_ERRORS as e:
        _one_sentence(e)
    else:
        if existing:  # accepted for replacement: then nothing in it is foreign
            assert places.kind_of(str(target)) == kind and places.first_foreign(str(target), kind) is None
    assert sorted(os.listdir(target)) == before
