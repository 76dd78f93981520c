"""Security: model names never leave the store, models load in safe mode, uploads are capped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from fashion import cli
from fashion.errors import ImageError, ModelNotFoundError, ModelStoreError
from fashion.photos.image_file import MAX_FILE_BYTES
from fashion.photos.pipeline import prepare_photo
from fashion.store import model_store as store

REPOSITORY = Path(__file__).resolve().parent.parent
STREAMLIT_CONFIG = REPOSITORY / ".streamlit" / "config.toml"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
HOSTILE_NAMES = [
    "../x",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\windows",
    "~root",
    "chemise-été",
    "name\nwith newline",
    "nul\x00byte",
    ".hidden",
    "x" * 500,
]
UNUSABLE_NAMES = ["", "   ", "..", ".", "-", "👕"]


class FakeModel:
    """Stands in for a Keras model: save() writes a few bytes, so no TensorFlow is needed."""

    def save(self, path) -> None:
        Path(path).write_bytes(b"not really a model")


def snapshot_tree(directory: Path) -> set[str]:
    """Every path under directory, relative to it."""
    return {str(path.relative_to(directory)) for path in directory.rglob("*")}


@pytest.fixture
def victim(tmp_path) -> Path:
    """A folder beside the store that looks like a model entry and must never be touched."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / store.RECORD_FILE).write_text('{"architecture": "tutorial"}', encoding="utf-8")
    (folder / store.MODEL_FILE).write_bytes(b"precious")
    return folder


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_sanitized_names_are_plain_folder_names(name):
    safe_name = store.sanitize_name(name)
    assert SAFE_NAME.match(safe_name), safe_name
    assert ".." not in safe_name and len(safe_name) <= store.MAX_NAME_LENGTH


@pytest.mark.parametrize("name", UNUSABLE_NAMES)
def test_unusable_names_are_refused(name):
    with pytest.raises(ModelStoreError, match="not a usable model name"):
        store.sanitize_name(name)


def test_saving_under_hostile_names_stays_inside_the_store(models_dir, tmp_path, victim):
    for name in HOSTILE_NAMES:
        entry = store.save_model(FakeModel(), {"architecture": "tutorial"}, name, models_dir)
        assert entry.path.resolve().parent == models_dir.resolve(), name
        assert entry.readable is False  # the fake model is not a Keras archive
    assert len(list(models_dir.iterdir())) == len(HOSTILE_NAMES)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["models", "victim"]
    assert (victim / store.MODEL_FILE).read_bytes() == b"precious"


@pytest.mark.parametrize(
    "name", ["../victim", "..", ".", "", "a/../../victim", "models/../victim", "/etc", "%2e%2e/victim"]
)
def test_lookups_and_deletes_with_traversal_names_touch_nothing(store_with_model, victim, name):
    before = snapshot_tree(victim.parent)
    with pytest.raises(ModelStoreError):
        store.get_entry(name)
    with pytest.raises(ModelStoreError):
        store.delete_model(name)
    with pytest.raises(ModelStoreError):
        store.load_model(name)
    assert snapshot_tree(victim.parent) == before


def test_absolute_path_of_an_outside_entry_is_not_found(store_with_model, victim):
    with pytest.raises(ModelNotFoundError):
        store.get_entry(str(victim))
    with pytest.raises(ModelNotFoundError):
        store.delete_model(str(victim))
    assert (victim / store.MODEL_FILE).is_file()


def test_deleting_a_symlinked_entry_removes_the_link_not_its_target(models_dir, victim):
    models_dir.mkdir()
    (models_dir / "linked").symlink_to(victim, target_is_directory=True)
    store.delete_model("linked", models_dir)
    assert not (models_dir / "linked").exists()
    assert (victim / store.MODEL_FILE).read_bytes() == b"precious"


def test_a_model_with_a_lambda_layer_is_refused_by_safe_mode(models_dir):
    import keras

    inputs = keras.Input(shape=(28, 28))
    doubled = keras.layers.Lambda(lambda images: images * 2.0)(inputs)
    outputs = keras.layers.Dense(10)(keras.layers.Flatten()(doubled))
    entry = store.save_model(
        keras.Model(inputs, outputs), {"architecture": "tutorial"}, "with-lambda", models_dir
    )
    assert entry.readable
    with pytest.raises(ModelStoreError, match="unreadable"):
        store.load_model("with-lambda", models_dir)
    # The file itself is fine: only safe mode stands between it and running its Python code.
    keras.saving.load_model(entry.model_path, safe_mode=False, compile=False)


def test_upload_size_cap_is_10_mb_and_enforced_in_the_core():
    assert MAX_FILE_BYTES == 10 * 1024 * 1024
    with pytest.raises(ImageError, match="limit is 10 MB"):
        prepare_photo(b"\x89PNG\r\n\x1a\n" + bytes(MAX_FILE_BYTES))
    with pytest.raises(ImageError) as at_the_cap:
        prepare_photo(b"\x89PNG\r\n\x1a\n" + bytes(MAX_FILE_BYTES - 8))
    assert "limit is 10 MB" not in str(at_the_cap.value)


def test_cli_reads_no_more_than_the_cap_of_a_huge_file(store_with_model, tmp_path, capsys):
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:
        handle.truncate(4 * 1024**3)  # a sparse 4 GB file: reading it whole would take seconds and memory
    read_before = bytes_read_by_this_process()
    status = cli.main(["predict", str(huge)])
    read = bytes_read_by_this_process() - read_before
    lines = capsys.readouterr().err.splitlines()
    assert status == 2
    assert len(lines) == 1 and "limit is 10 MB" in lines[0]
    assert MAX_FILE_BYTES < read < 2 * MAX_FILE_BYTES


def bytes_read_by_this_process() -> int:
    """The bytes this process has read so far (rchar in /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == "rchar":
            return int(value)
    raise RuntimeError("rchar missing from /proc/self/io")


def test_streamlit_config_caps_uploads_and_keeps_xsrf_protection():
    assert STREAMLIT_CONFIG.is_file(), f"{STREAMLIT_CONFIG} is missing"
    config = tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    server = config.get("server", {})
    assert server.get("enableXsrfProtection", True) is not False
    assert server.get("maxUploadSize") == 10


def test_the_app_listens_on_this_machine_only_unless_told_otherwise():
    config = tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


def test_the_core_cap_is_the_streamlit_upload_cap():
    # Streamlit counts maxUploadSize in MiB; the core refuses one byte past the same number.
    config = tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
