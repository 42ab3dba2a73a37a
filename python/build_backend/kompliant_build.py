"""The PEP 517 build backend of kompliant-webhooks: maturin, behind one guard.

pip uses it only when no prebuilt wheel fits the machine (an sdist, or ``pip install ./python``
from a checkout). A source build compiles the Rust core and needs ``cargo``. When cargo is not
on PATH, maturin would download a private Rust toolchain (~900 MB) without a word; this guard
stops first with an error that names what is missing and the two ways on, unless the user opted
in with ``KOMPLIANT_WEBHOOKS_INSTALL_RUST=1``, in which case it says that the download happens.
Every hook is maturin's own; nothing else differs.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any, List, Mapping, Optional

import maturin

OPT_IN = "KOMPLIANT_WEBHOOKS_INSTALL_RUST"

_MISSING_RUST = f"""\
kompliant-webhooks: no prebuilt wheel matches this machine, so pip is building the package
from source, and that needs Rust: `cargo` was not found on PATH.

  - install Rust (https://rustup.rs), make sure `cargo` is on PATH, and retry; or
  - set {OPT_IN}=1 to let the build download a private Rust toolchain
    (~900 MB, into a cache directory) for this build only.

Prebuilt wheels exist for Linux (manylinux 2.17+ and musllinux 1.2+, x86_64 and aarch64),
macOS and Windows, for CPython 3.9+: a newer pip (`pip install -U pip`) may find one.
"""


class RustNotFoundError(RuntimeError):
    """Raised by every build hook when cargo is missing and the download was not allowed."""


def _check_rust() -> None:
    if shutil.which("cargo"):
        return
    if os.environ.get(OPT_IN) == "1":
        print(
            f"kompliant-webhooks: cargo not found and {OPT_IN}=1: maturin downloads a private "
            "Rust toolchain (~900 MB) to build the package from source",
            file=sys.stderr,
            flush=True,
        )
        return
    # Never let maturin fetch a toolchain behind the user's back, whichever hook runs first.
    os.environ["MATURIN_NO_INSTALL_RUST"] = "1"
    raise RustNotFoundError(_MISSING_RUST)


def get_requires_for_build_wheel(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    _check_rust()
    return list(maturin.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_editable(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    _check_rust()
    return list(maturin.get_requires_for_build_editable(config_settings))


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Optional[Mapping[str, Any]] = None
) -> str:
    _check_rust()
    return str(maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings))


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Mapping[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    _check_rust()
    return str(maturin.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Mapping[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    _check_rust()
    return str(maturin.build_editable(wheel_directory, config_settings, metadata_directory))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Optional[Mapping[str, Any]] = None
) -> str:
    _check_rust()
    return str(maturin.prepare_metadata_for_build_editable(metadata_directory, config_settings))


# maturin reads the crate graph with `cargo metadata` even to write an sdist: guarded too.
def get_requires_for_build_sdist(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    _check_rust()
    return list(maturin.get_requires_for_build_sdist(config_settings))


def build_sdist(sdist_directory: str, config_settings: Optional[Mapping[str, Any]] = None) -> str:
    _check_rust()
    return str(maturin.build_sdist(sdist_directory, config_settings))
