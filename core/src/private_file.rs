//! Writing files that hold secrets (keyring files, the simulator's state, credential env
//! files): atomically and readable by the owner only. One implementation for every writer.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically, readable and writable by the owner only (0600).
///
/// The bytes go to a new temporary file next to `path` (random name, created exclusively, so
/// a leftover file or a planted symlink is never written through), which is set to 0600,
/// flushed to disk and renamed over `path`; then the directory is flushed. A reader sees the
/// old file or the new one, never a partial one; a crash leaves one of the two.
///
/// # Errors
/// Any I/O error; the temporary file is removed on failure. On WASI (the Node package's
/// WebAssembly build), always `Unsupported`: WASI has no file modes, a file made there gets
/// the host's default mode (readable by others), so no secret is written at all.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    private_files_supported()?;
    let dir = parent_dir(path);
    let name = file_name(path)?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{:016x}{TEMP_SUFFIX}", u64::from_le_bytes(suffix)));
    let tmp = dir.join(tmp_name);

    let result = write_new_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir);
    Ok(())
}

/// `Unsupported` on WASI (the Node package's WebAssembly build), which has no file modes: a
/// file made there is readable by others, so no secret file (nor its lock) is written at all.
fn private_files_supported() -> io::Result<()> {
    if cfg!(target_os = "wasi") {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "WASI cannot make a file readable by its owner only; write secret files with a native build",
        ));
    }
    Ok(())
}

/// The end of every temporary file name [`write_private_file`] makes:
/// `.<name>.<16 hex digits>.tmp` beside `<name>`.
const TEMP_SUFFIX: &str = ".tmp";

fn file_name(path: &Path) -> io::Result<&std::ffi::OsStr> {
    path.file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes the temporary files a crashed [`write_private_file`] of `path` left behind (each
/// holds a copy of the secrets); returns how many. Call it only while no other writer of
/// `path` can be mid-write (under `PathLock`): a live writer's temporary file has the same
/// shape. A file that cannot be removed is left (the next call tries again).
pub fn remove_leftover_temps(path: &Path) -> io::Result<usize> {
    let dir = parent_dir(path);
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name(path)?);
    prefix.push(".");
    let prefix = prefix.as_encoded_bytes();
    let mut removed = 0;
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let bytes = name.as_encoded_bytes();
        let is_temp = bytes.len() == prefix.len() + 16 + TEMP_SUFFIX.len()
            && bytes.starts_with(prefix)
            && bytes.ends_with(TEMP_SUFFIX.as_bytes())
            && bytes
                .get(prefix.len()..prefix.len() + 16)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        if is_temp && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// An exclusive lock on a file path, shared by every process on the machine: an OS file lock
/// (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::lock`) on a sidecar file
/// `.<name>.lock` beside it, held until dropped. The sidecar, not the file itself: writers
/// replace the file by renaming a new one over it, and a lock on the old file would not stop a
/// writer that opened the new one. The sidecar is created 0600 and never removed (removing it
/// would let two writers lock two different files). Threads of one process exclude each other
/// too: each lock is a separate open of the sidecar.
#[derive(Debug)]
pub struct PathLock {
    _file: fs::File,
}

impl PathLock {
    /// Blocks until this process holds the lock for `path`.
    ///
    /// # Errors
    /// Any I/O error opening or locking the sidecar; `Unsupported` on WASI, before anything
    /// is created (see [`write_private_file`]).
    pub fn acquire(path: &Path) -> io::Result<PathLock> {
        private_files_supported()?;
        let mut name = std::ffi::OsString::from(".");
        name.push(file_name(path)?);
        name.push(".lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(parent_dir(path).join(name))?;
        file.lock()?;
        Ok(PathLock { _file: file })
    }
}

fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // The umask can only remove bits; set the mode explicitly anyway.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename durable (best effort: not every platform can open a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_atomically_with_owner_only_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.json");
        std::fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_private_file(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftover_temporary_files_of_this_path_only_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "{}").unwrap();
        let leftovers = [
            ".keys.json.0123456789abcdef.tmp",
            ".keys.json.fedcba9876543210.tmp",
        ];
        let kept = [
            ".other.json.0123456789abcdef.tmp", // another file's
            ".keys.json.notahexnumber123.tmp",  // not our shape
            ".keys.json.lock",                  // the lock sidecar
            "keys.json",
        ];
        for name in leftovers.iter().chain(&kept[..3]) {
            std::fs::write(dir.path().join(name), "secret").unwrap();
        }
        assert_eq!(remove_leftover_temps(&path).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn a_path_lock_excludes_another_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let first = PathLock::acquire(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let path = path.clone();
            move || {
                let _second = PathLock::acquire(&path).unwrap();
                tx.send(()).unwrap();
            }
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err(),
            "a second holder got the lock while the first held it"
        );
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        waiter.join().unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        assert!(write_private_file(Path::new("/nonexistent-dir/x"), b"x").is_err());
    }
}
