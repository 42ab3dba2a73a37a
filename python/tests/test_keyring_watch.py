"""`Keyring.watch`: a running receiver follows its keyring file while another process rotates
it (no restart), keeps its last good keys through a bad file (one WARNING on the
`kompliant_webhooks` logger per problem), and the loaders refuse what would make an empty or
unreadable keyring."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, List

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import (
    InvalidKeyError,
    Keyring,
    KeyringFileError,
    UnknownKeyError,
    WebhookReceiver,
    add_to_keyring_file,
    generate_secret,
)

from conftest import Sealer

ADD_ONE = """
import sys
from kompliant_webhooks import add_to_keyring_file
add_to_keyring_file(sys.argv[1], sys.argv[2], sys.argv[3])
"""


def add_in_another_process(path: Path, key_id: str, secret: str) -> None:
    """`add_to_keyring_file` run by a separate Python process (the rotating one)."""
    done = subprocess.run([sys.executable, "-c", ADD_ONE, str(path), key_id, secret], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def replace_file(path: Path, text: str) -> None:
    """Replaces `path` at once with `text` (a new file renamed over it, as writers do)."""
    temp = path.with_name(path.name + ".new")
    temp.write_text(text)
    os.replace(temp, path)


def records(caplog: pytest.LogCaptureFixture, level: int) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kompliant_webhooks" and r.levelno == level]


def finishes(call: Callable[[], Any], seconds: float = 10) -> BaseException:
    """Runs `call` on a thread; returns what it raised, failing if it hangs or returns."""
    outcome: List[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds}s"
    assert outcome, "did not raise"
    return outcome[0]


# --- what the loaders refuse ------------------------------------------------------------------


def test_from_env_without_any_secret_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("KOMPLIANT_WEBHOOK_SECRET_")]:
        monkeypatch.delenv(name)
    with pytest.raises(InvalidKeyError) as info:
        Keyring.from_env()
    assert info.value.code == "INVALID_KEY"
    assert "KOMPLIANT_WEBHOOK_SECRET_" in str(info.value)  # names what to set


def test_loaders_refuse_a_file_with_no_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{}")
    for load in (Keyring.from_file, Keyring.watch):
        with pytest.raises(InvalidKeyError) as info:
            load(path)
        assert "holds no key" in str(info.value)
    with pytest.raises(InvalidKeyError):
        Keyring.from_json("{}")


def test_loaders_refuse_a_directory_a_fifo_and_non_utf8_bytes(tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    fifo = tmp_path / "a-fifo"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes: never opened
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"whk_20251121_01": "\xe9t\xe9"}')
    secret = generate_secret()
    for path in (directory, fifo, latin1):
        for attempt in (
            lambda: Keyring.from_file(path),
            lambda: Keyring.watch(path),
            lambda: add_to_keyring_file(path, "whk_20251121_02", secret),
        ):
            error = finishes(attempt)
            assert isinstance(error, InvalidKeyError), (path.name, error)
            assert secret not in str(error)


def test_a_missing_file_is_a_keyring_file_error(tmp_path: Path) -> None:
    for load in (Keyring.from_file, Keyring.watch):
        with pytest.raises(KeyringFileError) as info:
            load(tmp_path / "missing.json")
        assert info.value.code == "IO_ERROR"


# --- following the file ----------------------------------------------------------------------


def test_a_key_added_by_another_process_is_used_on_the_next_decrypt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kompliant_webhooks")
    path = tmp_path / "keys.json"
    first = Sealer("whk_20251121_01")
    add_to_keyring_file(path, first.key_id, first.secret)
    keyring = Keyring.watch(path)  # default interval: 1 s
    receiver = WebhookReceiver(keyring)
    assert receiver.decrypt(first.body()).key_id == first.key_id

    second = Sealer("whk_20251122_01")
    with pytest.raises(UnknownKeyError):
        receiver.decrypt(second.body())
    add_in_another_process(path, second.key_id, second.secret)
    # No sleep, no restart: a key id the keyring lacks makes it look at the file at once.
    assert receiver.decrypt(second.body()).key_id == second.key_id
    assert receiver.decrypt(first.body()).key_id == first.key_id  # retired, still decrypts
    assert keyring.key_ids() == [first.key_id, second.key_id]
    reloads = records(caplog, logging.INFO)
    assert [r.getMessage() for r in reloads] == [
        f"keyring file {path} reloaded: {first.key_id}, {second.key_id}"
    ]
    assert not records(caplog, logging.WARNING)
    for record in caplog.records:
        assert first.secret not in record.getMessage() and second.secret not in record.getMessage()


def test_a_reload_noticed_while_decrypt_has_released_the_gil_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kompliant_webhooks")
    path = tmp_path / "keys.json"
    first, second = Sealer("whk_20251121_01"), Sealer("whk_20251122_01")
    add_to_keyring_file(path, first.key_id, first.secret)
    receiver = WebhookReceiver(Keyring.watch(path, interval=0))
    add_in_another_process(path, second.key_id, second.secret)
    big = second.body({"version": "1.0", "blob": "x" * 200_000})  # decrypted with the GIL released
    assert receiver.decrypt(big).key_id == second.key_id
    assert len(records(caplog, logging.INFO)) == 1


@pytest.mark.parametrize("problem", ["corrupt", "no keys", "deleted", "a directory"])
def test_a_bad_file_keeps_the_old_keys_and_warns_once_until_a_good_file_returns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, problem: str
) -> None:
    caplog.set_level(logging.INFO, logger="kompliant_webhooks")
    path = tmp_path / "keys.json"
    first = Sealer("whk_20251121_01")
    add_to_keyring_file(path, first.key_id, first.secret)
    receiver = WebhookReceiver(Keyring.watch(path, interval=timedelta(0)))  # look on every decrypt

    if problem == "corrupt":
        replace_file(path, path.read_text()[:20])  # a half-written file
    elif problem == "no keys":
        replace_file(path, "{}")
    elif problem == "deleted":
        path.unlink()
    else:
        path.unlink()
        path.mkdir()
    for _ in range(5):
        assert receiver.decrypt(first.body()).key_id == first.key_id
    stranger = Sealer("whk_20251122_09")
    for _ in range(3):  # an unknown key id looks at the file at once: still the same problem
        with pytest.raises(UnknownKeyError):
            receiver.decrypt(stranger.body())
    warnings = records(caplog, logging.WARNING)
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    message = warnings[0].getMessage()
    assert str(path) in message and "keeping the keys loaded before" in message
    assert first.secret not in message
    assert not records(caplog, logging.INFO)

    if path.is_dir():
        path.rmdir()
    second = Sealer("whk_20251122_01")
    replace_file(path, f'{{"{first.key_id}": "{first.secret}", "{second.key_id}": "{second.secret}"}}')
    assert receiver.decrypt(second.body()).key_id == second.key_id
    assert receiver.decrypt(first.body()).key_id == first.key_id
    assert len(records(caplog, logging.INFO)) == 1
    assert len(records(caplog, logging.WARNING)) == 1


def test_a_failing_log_handler_never_breaks_decrypt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise RuntimeError("the handler is broken")

    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    path = tmp_path / "keys.json"
    first, second = Sealer("whk_20251121_01"), Sealer("whk_20251122_01")
    add_to_keyring_file(path, first.key_id, first.secret)
    receiver = WebhookReceiver(Keyring.watch(path))
    logger = logging.getLogger("kompliant_webhooks")
    handler, level = Broken(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        add_to_keyring_file(path, second.key_id, second.secret)
        assert receiver.decrypt(second.body()).key_id == second.key_id
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    # Handed to sys.unraisablehook (printed on stderr by default), not raised by decrypt.
    assert [str(u.exc_value) for u in unraisable] == ["the handler is broken"]


def test_watched_path_interval_and_repr(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    secret = generate_secret()
    add_to_keyring_file(path, "whk_20251121_01", secret)
    keyring = Keyring.watch(str(path), interval=2.5)
    assert keyring.watched_path == path
    assert Keyring.from_file(path).watched_path is None
    assert Keyring().watched_path is None
    assert repr(keyring) == "Keyring({'whk_20251121_01': [REDACTED]})"
    assert secret not in repr(keyring)
    with pytest.raises(ValueError):
        Keyring.watch(path, interval=-1)
    with pytest.raises(TypeError):
        Keyring.watch(path, interval="1s")  # type: ignore[arg-type]
    assert kw.Keyring.watch.__doc__ and "kompliant_webhooks" in kw.Keyring.watch.__doc__
