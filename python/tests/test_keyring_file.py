"""Keyring files: the format `add_to_keyring_file` writes (the key in use as a string, keys
rotated out with their `retired_at`) and readers load (older all-string files too), pruning of
keys retired longer than the retention, and files shared by several processes:
`add_to_keyring_file` from two processes at once keeps every key (an OS file lock across the
read-modify-write), and a temporary file a crashed writer left behind is removed by the next
write."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kompliant_webhooks import Keyring, WebhookReceiver, add_to_keyring_file, generate_secret

from conftest import Sealer


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_adding_a_key_retires_the_previous_one_with_its_time(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first, second = Sealer("whk_20251021_01"), Sealer("whk_20251121_01")
    add_to_keyring_file(path, first.key_id, first.secret)
    assert json.loads(path.read_text()) == {first.key_id: first.secret}
    before = datetime.now(timezone.utc).replace(microsecond=0)
    add_to_keyring_file(path, second.key_id, second.secret)
    after = datetime.now(timezone.utc)

    written = json.loads(path.read_text())
    assert written[second.key_id] == second.secret  # the key in use: a plain string
    retired = written[first.key_id]
    assert set(retired) == {"secret", "retired_at"} and retired["secret"] == first.secret
    assert retired["retired_at"].endswith("Z")  # RFC 3339, UTC
    retired_at = datetime.fromisoformat(retired["retired_at"].replace("Z", "+00:00"))
    assert before <= retired_at <= after

    # Readers hold the retired key too: redeliveries sealed with it still decrypt.
    receiver = WebhookReceiver(Keyring.from_file(path))
    assert receiver.decrypt(first.body()).key_id == first.key_id
    assert receiver.decrypt(second.body()).key_id == second.key_id


def test_a_file_written_before_retirement_times_existed_still_loads_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    old, older, new = generate_secret(), generate_secret(), generate_secret()
    path.write_text(json.dumps({"whk_20250921_01": older, "whk_20251021_01": old}))
    assert Keyring.from_file(path).key_ids() == ["whk_20250921_01", "whk_20251021_01"]
    add_to_keyring_file(path, "whk_20251121_01", new)
    written = json.loads(path.read_text())
    assert written["whk_20251121_01"] == new
    assert {written[k]["secret"] for k in ("whk_20250921_01", "whk_20251021_01")} == {older, old}


@pytest.mark.parametrize("retention", [3600, timedelta(hours=1)])
def test_keys_retired_longer_than_the_retention_are_removed_by_the_next_write(
    tmp_path: Path, retention: object
) -> None:
    path = tmp_path / "keys.json"
    now = datetime.now(timezone.utc)
    long_ago, recently, current, new = (generate_secret() for _ in range(4))
    path.write_text(json.dumps({
        "whk_20251001_01": {"secret": long_ago, "retired_at": rfc3339(now - timedelta(hours=2))},
        "whk_20251101_01": {"secret": recently, "retired_at": rfc3339(now - timedelta(minutes=10))},
        "whk_20251121_01": current,
    }))
    # A reader holds every key the file holds, however long ago it was retired.
    assert len(Keyring.from_file(path)) == 3
    add_to_keyring_file(path, "whk_20251201_01", new, retention=retention)  # type: ignore[arg-type]
    written = json.loads(path.read_text())
    assert sorted(written) == ["whk_20251101_01", "whk_20251121_01", "whk_20251201_01"]
    assert long_ago not in path.read_text()
    assert written["whk_20251121_01"]["secret"] == current  # retired now, kept
    assert written["whk_20251201_01"] == new


def test_the_default_retention_is_seven_days(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    now = datetime.now(timezone.utc)
    path.write_text(json.dumps({
        "whk_20251001_01": {"secret": generate_secret(), "retired_at": rfc3339(now - timedelta(days=8))},
        "whk_20251101_01": {"secret": generate_secret(), "retired_at": rfc3339(now - timedelta(days=6))},
        "whk_20251121_01": generate_secret(),
    }))
    add_to_keyring_file(path, "whk_20251201_01", generate_secret())
    assert sorted(json.loads(path.read_text())) == ["whk_20251101_01", "whk_20251121_01", "whk_20251201_01"]
    with pytest.raises(ValueError):
        add_to_keyring_file(path, "whk_20251202_01", generate_secret(), retention=-1)

ADDER = """
import sys
from kompliant_webhooks import add_to_keyring_file, generate_secret
path, day = sys.argv[1], sys.argv[2]
for n in range(50):
    add_to_keyring_file(path, f"whk_202510{day}_{n:02d}", generate_secret())
"""


def test_two_processes_adding_50_keys_each_keep_all_100(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    writers = [
        subprocess.Popen([sys.executable, "-c", ADDER, str(keys), day], stderr=subprocess.PIPE)
        for day in ("01", "02")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode(errors="replace")
    ids = Keyring.from_file(keys).key_ids()
    assert len(ids) == 100
    assert {i[:12] for i in ids} == {"whk_20251001", "whk_20251002"}
    # Only the keyring and its lock sidecar remain: no temporary file with secrets in it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keys.json.lock", "keys.json"]


def test_a_crashed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    add_to_keyring_file(keys, "whk_20251021_01", generate_secret())
    leftover = tmp_path / ".keys.json.00000000deadbeef.tmp"
    leftover.write_text('{"whk_20251021_01": "a copy of a secret"}')
    add_to_keyring_file(keys, "whk_20251121_01", generate_secret())
    assert not leftover.exists()
    assert Keyring.from_file(keys).key_ids() == ["whk_20251021_01", "whk_20251121_01"]
