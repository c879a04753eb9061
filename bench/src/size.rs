//! The app shell's size: what a tablet downloads to install the app.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::Result;

/// The shell's files, relative to `dist/`.
pub const SHELL: [&str; 3] = ["pkg/app_bg.wasm", "pkg/app.js", "style.css"];

/// One file's size, raw, `gzip -9`, and the build's brotli copy (`<file>.br`, what the relay
/// sends browsers that accept br) when there is one.
#[derive(Debug, Clone)]
pub struct FileSize {
    pub path: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: Option<u64>,
}

/// The sizes of [`SHELL`] in `dist`.
pub fn shell(dist: &Path) -> Result<Vec<FileSize>> {
    SHELL
        .iter()
        .map(|path| {
            let file = dist.join(path);
            let raw = std::fs::metadata(&file)
                .map_err(|e| {
                    format!(
                        "{}: {e} (build the app with scripts/build-app)",
                        file.display()
                    )
                })?
                .len();
            let out = Command::new("gzip")
                .args(["-9", "-c"])
                .arg(&file)
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run gzip: {e}"))?;
            if !out.status.success() {
                return Err(format!("gzip -9 {} failed", file.display()).into());
            }
            let brotli = std::fs::metadata(dist.join(format!("{path}.br")))
                .ok()
                .map(|m| m.len());
            Ok(FileSize {
                path: (*path).to_owned(),
                raw,
                gzip: out.stdout.len() as u64,
                brotli,
            })
        })
        .collect()
}
