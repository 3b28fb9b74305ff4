//! Chinese fonts, found at run time among the fonts Debian packages install (nothing is bundled
//! and nothing is downloaded): Noto Serif/Sans CJK (`fonts-noto-cjk`) or WenQuanYi Micro/Zen Hei
//! (`fonts-wqy-microhei`, `fonts-wqy-zenhei`). `ZHIBU_FONT_DIR` names another directory to search
//! instead of `/usr/share/fonts` and `/usr/local/share/fonts`.
//!
//! Registers print their body in a serif face (like 宋体) and their titles and table heads in a
//! bold sans face (like 黑体), as offices print them. Only the faces used are read: a Noto CJK
//! collection is 20–27 MB, so two of them are loaded, once per process.

use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::Font;

use crate::PrintError;

/// The environment variable naming the directory to search for fonts instead of the system's.
pub const FONT_DIR_VARIABLE: &str = "ZHIBU_FONT_DIR";

/// The directories searched when `ZHIBU_FONT_DIR` is not set.
pub const SYSTEM_FONT_DIRS: [&str; 2] = ["/usr/share/fonts", "/usr/local/share/fonts"];

/// The Chinese character every usable face must have (党).
const PROBE: char = '党';

/// The fonts loaded for printing, and the family names the templates ask for.
pub struct LoadedFonts {
    pub fonts: Vec<Font>,
    /// Families for body text, best first.
    pub body: Vec<String>,
    /// Families for titles and table heads, best first.
    pub heading: Vec<String>,
    /// The files read.
    pub files: Vec<PathBuf>,
}

impl std::fmt::Debug for LoadedFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFonts")
            .field("faces", &self.fonts.len())
            .field("body", &self.body)
            .field("heading", &self.heading)
            .field("files", &self.files)
            .finish()
    }
}

/// What a font file is, judged by its name (the Debian packages' names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    SerifRegular,
    SansBold,
    SansRegular,
    SerifBold,
    WenQuanYi,
    /// Any other font file, used only from `ZHIBU_FONT_DIR` when it has Chinese glyphs.
    Other,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let is_font = [".ttc", ".otf", ".ttf", ".otc"]
        .iter()
        .any(|extension| name.ends_with(extension));
    if !is_font {
        return None;
    }
    let cjk = name.contains("cjk");
    // The Noto CJK collections, and the single-language cuts (NotoSerifCJKsc-Regular.otf).
    let simplified = !name.contains("cjktc")
        && !name.contains("cjkjp")
        && !name.contains("cjkkr")
        && !name.contains("cjkhk");
    Some(
        if cjk && simplified && name.contains("serif") && name.contains("-regular") {
            Kind::SerifRegular
        } else if cjk && simplified && name.contains("sans") && name.contains("-bold") {
            Kind::SansBold
        } else if cjk && simplified && name.contains("sans") && name.contains("-regular") {
            Kind::SansRegular
        } else if cjk && simplified && name.contains("serif") && name.contains("-bold") {
            Kind::SerifBold
        } else if name.starts_with("wqy-") {
            Kind::WenQuanYi
        } else {
            Kind::Other
        },
    )
}

/// Every font file under `dir`, at most a few levels down.
fn font_files(dir: &Path, depth: u32, found: &mut Vec<(Kind, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if depth < 6 {
                font_files(&path, depth + 1, found);
            }
        } else if let Some(kind) = kind_of(&path) {
            found.push((kind, path));
        }
    }
}

/// The faces of a file that have Chinese glyphs.
fn chinese_faces(path: &Path) -> Vec<Font> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    Font::iter(Bytes::new(data))
        .filter(|font| font.info().coverage.contains(u32::from(PROBE)))
        .collect()
}

/// The bilingual message when no Chinese font is present, naming the packages to install.
pub fn missing_fonts_message(searched: &[PathBuf]) -> String {
    let places = searched
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "未找到中文字体（已查找：{places}）。请安装 Debian 软件包 fonts-noto-cjk（或 fonts-wqy-microhei）：apt-get install fonts-noto-cjk；或用环境变量 {FONT_DIR_VARIABLE} 指定字体目录。 / No Chinese font found (searched: {places}). Install the Debian package fonts-noto-cjk (or fonts-wqy-microhei): apt-get install fonts-noto-cjk; or set {FONT_DIR_VARIABLE} to a directory of fonts."
    )
}

impl LoadedFonts {
    /// The fonts of `ZHIBU_FONT_DIR` if it is set, else of the system's font directories.
    pub fn discover() -> Result<LoadedFonts, PrintError> {
        match std::env::var_os(FONT_DIR_VARIABLE).filter(|value| !value.is_empty()) {
            Some(dir) => LoadedFonts::from_dirs(&[PathBuf::from(dir)]),
            None => LoadedFonts::from_dirs(
                &SYSTEM_FONT_DIRS
                    .iter()
                    .map(PathBuf::from)
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// The fonts found under `dirs`: a serif regular and a sans bold Noto CJK face when present,
    /// otherwise WenQuanYi, otherwise any face with Chinese glyphs.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<LoadedFonts, PrintError> {
        let mut found = Vec::new();
        for dir in dirs {
            font_files(dir, 0, &mut found);
        }
        found.sort_by_key(|(kind, _)| *kind);
        let first = |kind: Kind| {
            found
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, p)| p.clone())
        };
        // The body face, then the heading face; either stands in for the other.
        let mut chosen: Vec<PathBuf> = Vec::new();
        if let Some(body) = first(Kind::SerifRegular).or_else(|| first(Kind::SansRegular)) {
            chosen.push(body);
        }
        if let Some(heading) = first(Kind::SansBold).or_else(|| first(Kind::SerifBold)) {
            chosen.push(heading);
        }
        if chosen.is_empty()
            && let Some(wqy) = first(Kind::WenQuanYi)
        {
            chosen.push(wqy);
        }
        let mut fonts = Vec::new();
        let mut files = Vec::new();
        for path in &chosen {
            let faces = chinese_faces(path);
            if !faces.is_empty() {
                fonts.extend(faces);
                files.push(path.clone());
            }
        }
        if fonts.is_empty() {
            // Any other face with Chinese glyphs (a directory named by ZHIBU_FONT_DIR).
            for (_, path) in found.iter().filter(|(kind, _)| *kind == Kind::Other) {
                let faces = chinese_faces(path);
                if !faces.is_empty() {
                    fonts.extend(faces);
                    files.push(path.clone());
                    break;
                }
            }
        }
        if fonts.is_empty() {
            return Err(PrintError::NoFonts(missing_fonts_message(dirs)));
        }
        let mut families: Vec<String> = Vec::new();
        for font in &fonts {
            let family = font.info().family.clone();
            if !families.contains(&family) {
                families.push(family);
            }
        }
        let ranked = |preferred: &[&str]| -> Vec<String> {
            let mut list: Vec<String> = preferred
                .iter()
                .filter(|name| {
                    families
                        .iter()
                        .any(|family| family.eq_ignore_ascii_case(name))
                })
                .map(|name| name.to_string())
                .collect();
            for family in &families {
                if !list.iter().any(|name| name.eq_ignore_ascii_case(family)) {
                    list.push(family.clone());
                }
            }
            list
        };
        let body = ranked(&[
            "Noto Serif CJK SC",
            "Noto Sans CJK SC",
            "WenQuanYi Micro Hei",
        ]);
        let heading = ranked(&[
            "Noto Sans CJK SC",
            "Noto Serif CJK SC",
            "WenQuanYi Micro Hei",
        ]);
        Ok(LoadedFonts {
            fonts,
            body,
            heading,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debian_file_names_are_recognized() {
        let kind = |name: &str| kind_of(Path::new(name));
        assert_eq!(kind("NotoSerifCJK-Regular.ttc"), Some(Kind::SerifRegular));
        assert_eq!(kind("NotoSansCJK-Bold.ttc"), Some(Kind::SansBold));
        assert_eq!(kind("NotoSansCJK-Regular.ttc"), Some(Kind::SansRegular));
        assert_eq!(kind("NotoSerifCJKsc-Bold.otf"), Some(Kind::SerifBold));
        assert_eq!(kind("NotoSansCJKtc-Bold.otf"), Some(Kind::Other));
        assert_eq!(kind("wqy-microhei.ttc"), Some(Kind::WenQuanYi));
        assert_eq!(kind("DejaVuSans.ttf"), Some(Kind::Other));
        assert_eq!(kind("README"), None);
    }

    #[test]
    fn an_empty_directory_gives_the_bilingual_message_naming_the_package() {
        let dir = std::env::temp_dir().join(format!("zhibu-no-fonts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("not-a-font.ttf"), b"nothing").expect("write");
        let error = LoadedFonts::from_dirs(std::slice::from_ref(&dir)).expect_err("no fonts");
        let message = error.to_string();
        assert!(message.contains("未找到中文字体"), "{message}");
        assert!(message.contains("No Chinese font found"), "{message}");
        assert!(message.contains("fonts-noto-cjk"), "{message}");
        assert!(message.contains(FONT_DIR_VARIABLE), "{message}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
