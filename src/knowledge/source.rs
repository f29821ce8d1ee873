//! Reading knowledge folders: every Markdown (`.md`, `.markdown`), text (`.txt`) and HTML
//! (`.html`, `.htm`) file in them and their subfolders, cut into passages. With one folder
//! a file is named from it (`faq/returns.md`); with several, from the folder's own name
//! (`sales/faq/returns.md`). A file that cannot be read, is not UTF-8
//! or is larger than [`MAX_FILE_BYTES`] is skipped and named; it never stops the others.
//! Other files and hidden ones are left alone.

use std::path::Path;

use super::passage::{passages, Format, Passage};

/// The largest file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// How deep subfolders are followed.
const MAX_DEPTH: usize = 8;

/// What a folder held.
#[derive(Debug, Default)]
pub struct Folder {
    /// Every passage of every file read, files in name order.
    pub passages: Vec<Passage>,
    /// Files read.
    pub files: usize,
    /// Files skipped, each with why (`faq/broken.md: not UTF-8`).
    pub skipped: Vec<String>,
}

/// Reads every folder of `dirs` (nothing from one that does not exist).
pub fn read_folders(dirs: &[std::path::PathBuf]) -> Folder {
    let mut folder = Folder::default();
    let mut files = Vec::new();
    for dir in dirs {
        let mut found = Vec::new();
        collect(dir, dir, 0, &mut found, &mut folder.skipped);
        if dirs.len() > 1 {
            let own = dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            for file in &mut found {
                file.0 = format!("{own}/{}", file.0);
            }
        }
        files.extend(found);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, path, format) in files {
        match read_file(&path) {
            Ok(text) => {
                folder.files += 1;
                folder.passages.extend(passages(&name, &text, format));
            }
            Err(why) => folder.skipped.push(format!("{name}: {why}")),
        }
    }
    folder
}

fn collect(
    root: &Path,
    dir: &Path,
    depth: usize,
    files: &mut Vec<(String, std::path::PathBuf, Format)>,
    skipped: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') {
            continue;
        }
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if depth < MAX_DEPTH {
                collect(root, &path, depth + 1, files, skipped);
            } else {
                skipped.push(format!("{name}: deeper than {MAX_DEPTH} folders"));
            }
            continue;
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match extension.as_deref() {
            Some("md" | "markdown") => Format::Markdown,
            Some("txt") => Format::Text,
            Some("html" | "htm") => Format::Html,
            _ => continue,
        };
        files.push((name, path, format));
    }
}

fn read_file(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot be read: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (byte {}): save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_text_are_read_broken_files_named_and_others_left_alone() {
        let dir = std::env::temp_dir().join(format!(
            "voicebridge-knowledge-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("faq/deep")).expect("folders");
        std::fs::write(dir.join("hours.md"), "## Hours\nOpen at nine.").expect("write");
        std::fs::write(dir.join("faq/deep/returns.txt"), "Thirty days.").expect("write");
        std::fs::write(dir.join("broken.md"), [b'O', b'k', 0xff, 0xfe]).expect("write");
        std::fs::write(dir.join("logo.png"), [0u8, 1, 2]).expect("write");
        std::fs::write(dir.join("faq/page.html"), "<h2>Gifts</h2><p>Wrapped.</p>").expect("write");
        std::fs::write(dir.join(".draft.md"), "hidden").expect("write");
        let folder = read_folders(std::slice::from_ref(&dir));
        assert_eq!(folder.files, 3);
        let files: Vec<&str> = folder.passages.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(files, ["faq/deep/returns.txt", "faq/page.html", "hours.md"]);
        assert_eq!(
            (
                folder.passages[1].heading.as_str(),
                folder.passages[1].text.as_str()
            ),
            ("Gifts", "Wrapped.")
        );
        let both = read_folders(&[dir.join("faq"), dir.join("faq/deep")]);
        let files: Vec<&str> = both.passages.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            ["deep/returns.txt", "faq/deep/returns.txt", "faq/page.html"]
        );
        assert_eq!(
            folder.skipped,
            ["broken.md: not UTF-8 (byte 2): save it as UTF-8"]
        );
        assert!(read_folders(&[dir.join("missing")]).passages.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
