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
    if cfg!(target_os = "wasi") {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "WASI cannot make a file readable by its owner only; write secret files with a native build",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{:016x}.tmp", u64::from_le_bytes(suffix)));
    let tmp = dir.join(tmp_name);

    let result = write_new_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir);
    Ok(())
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
    fn a_missing_directory_is_an_error() {
        assert!(write_private_file(Path::new("/nonexistent-dir/x"), b"x").is_err());
    }
}
