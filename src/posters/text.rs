//! Text fitting: shrink a line to a minimum size, then wrap greedily on shaped widths at the line
//! break opportunities of UAX #14 (after spaces and hyphens, between ideographs). Nothing is ever
//! cut: a word wider than the box is broken between characters.

use unicode_linebreak::linebreaks;

use super::fonts::{FontKind, Fonts};

/// Break `text` into lines no wider than `width` at `size`. Paragraph breaks (`\n`) are kept;
/// runs of spaces count as one.
pub fn wrap(fonts: &Fonts, kind: FontKind, text: &str, size: f32, width: f32) -> Vec<String> {
    let fits = |s: &str| fonts.width(kind, s, size) <= width;
    let mut lines = Vec::new();
    // One buffer for every candidate line: the layout wraps every paragraph of a poster at
    // least twice (to measure, then to set).
    let mut candidate = String::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            for (k, segment) in segments(word).enumerate() {
                candidate.clear();
                candidate.push_str(&line);
                // a space before a word, none between the pieces of one
                if !line.is_empty() && k == 0 {
                    candidate.push(' ');
                }
                candidate.push_str(segment);
                if fits(&candidate) {
                    std::mem::swap(&mut line, &mut candidate);
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if fits(segment) {
                    line.push_str(segment);
                } else {
                    let mut pieces = break_word(fonts, kind, segment, size, width);
                    line = pieces.pop().unwrap_or_default();
                    lines.extend(pieces);
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// A word cut at its line break opportunities (after a hyphen, between ideographs).
fn segments(word: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    linebreaks(word).filter_map(move |(at, _)| {
        if at == start {
            return None;
        }
        let piece = &word[start..at];
        start = at;
        Some(piece)
    })
}

/// Split one over-long word into pieces that each fit (at least one character per piece).
fn break_word(fonts: &Fonts, kind: FontKind, word: &str, size: f32, width: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in word.chars() {
        piece.push(c);
        if fonts.width(kind, &piece, size) > width && piece.chars().count() > 1 {
            piece.pop();
            pieces.push(std::mem::replace(&mut piece, c.to_string()));
        }
    }
    pieces.push(piece);
    pieces
}

/// A headline or name: the largest size from `size` down to `min` at which it fits on one line;
/// when none does, wrapped at `min`.
pub fn fit(
    fonts: &Fonts,
    kind: FontKind,
    text: &str,
    size: f32,
    min: f32,
    width: f32,
) -> (f32, Vec<String>) {
    let natural = fonts.width(kind, text, size);
    if natural <= width {
        return (size, vec![text.to_string()]);
    }
    let shrunk = size * width / natural;
    if shrunk >= min && !text.contains('\n') {
        // A hair under the exact ratio, so rounding never pushes the line past the box.
        let s = shrunk * 0.999;
        return (s, vec![text.to_string()]);
    }
    (min, wrap(fonts, kind, text, min, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load().unwrap()
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let f = fonts();
        let text = "Mara and Tomás were taken by their non-custodial father. They may be traveling \
                    in a gray Honda Civic and may be in the Baltimore, MD or Harrisburg, PA areas.";
        let lines = wrap(&f, FontKind::Regular, text, 10.0, 150.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(f.width(FontKind::Regular, l, 10.0) <= 150.0, "{l}");
        }
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_unbreakable_word_is_split_not_cut() {
        let f = fonts();
        let word = "W".repeat(80);
        let lines = wrap(&f, FontKind::Bold, &word, 12.0, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
        for l in &lines {
            assert!(f.width(FontKind::Bold, l, 12.0) <= 100.0);
        }
    }

    #[test]
    fn fit_shrinks_before_wrapping() {
        let f = fonts();
        let (s, lines) = fit(&f, FontKind::Bold, "FAMILY ABDUCTION", 40.0, 20.0, 300.0);
        assert_eq!(lines, vec!["FAMILY ABDUCTION"]);
        assert!((20.0..40.0).contains(&s));
        assert!(f.width(FontKind::Bold, &lines[0], s) <= 300.0);
        let long = "PERDIDO, HERIDO O DESAPARECIDO ".repeat(3);
        let (s, lines) = fit(&f, FontKind::Bold, long.trim(), 40.0, 20.0, 300.0);
        assert_eq!(s, 20.0);
        assert!(lines.len() > 1);
        let (s, lines) = fit(&f, FontKind::Bold, "Mara", 40.0, 20.0, 300.0);
        assert_eq!((s, lines.len()), (40.0, 1));
    }

    #[test]
    fn lines_break_after_hyphens_too() {
        let f = fonts();
        let text = "Anne-Marie Ortega-Villanueva";
        let narrow = f.width(FontKind::Regular, "Anne-Marie Ortega-Vil", 10.0);
        let lines = wrap(&f, FontKind::Regular, text, 10.0, narrow);
        assert_eq!(lines, vec!["Anne-Marie Ortega-", "Villanueva"]);
    }

    #[test]
    fn paragraph_breaks_are_kept() {
        let f = fonts();
        let lines = wrap(&f, FontKind::Regular, "one\ntwo", 10.0, 500.0);
        assert_eq!(lines, vec!["one", "two"]);
    }
}
