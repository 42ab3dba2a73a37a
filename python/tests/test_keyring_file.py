"""Keyring files shared by several processes: `add_to_keyring_file` from two processes at once
keeps every key (an OS file lock across the read-modify-write), and a temporary file a crashed
writer left behind is removed by the next write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kompliant_webhooks import Keyring, add_to_keyring_file, generate_secret

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
