//! Plain-text tables for the terminal, aligned by display width (a Chinese character takes two
//! columns).

/// The number of terminal columns `text` occupies.
pub fn display_width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF |
        0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 |
        0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Renders rows under a header; every column but the last is padded.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate().take(columns) {
            widths[index] = widths[index].max(display_width(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        for (index, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if index + 1 < cells.len() {
                out.push_str(&" ".repeat(widths[index] - display_width(cell) + 2));
            }
        }
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(display_width("党支部a"), 7);
        let table = render(&["组织", "x"], &[vec!["第一党支部".into(), "1".into()]]);
        assert_eq!(table, "组织        x\n第一党支部  1\n");
    }
}
