//! Text fitting: shrink a line to a minimum size, then wrap greedily on shaped widths at the line
//! break opportunities of UAX #14 (after spaces and hyphens, between ideographs). Nothing is ever
//! cut: a word wider than the box is broken between characters.

use unicode_linebreak::linebreaks;

use super::fonts::{FontKind, Fonts};
use super::shape;

/// Break `text` into lines no wider than `width` at `size`. Paragraph breaks (`\n`) are kept;
/// runs of spaces count as one.
///
/// A paragraph the simple path lays out (kerning, no shaping) is measured piece by piece: a line's
/// width is the sum of its pieces' within one kerning pair where each two meet, so a candidate
/// line is measured whole only when that sum comes within those pairs of the box. The lines are
/// the same as measuring every candidate whole, which made a paragraph cost its length squared.
pub fn wrap(fonts: &Fonts, kind: FontKind, text: &str, size: f32, width: f32) -> Vec<String> {
    let measure = |s: &str| fonts.width(kind, s, size);
    // where two pieces meet: one kerning pair, and a little for the sums' rounding
    let junction = fonts.kern_bound() * size + 1e-3;
    let space = measure(" ");
    let mut lines = Vec::new();
    // One buffer for every candidate line: the layout wraps every paragraph of a poster at
    // least twice (to measure, then to set).
    let mut candidate = String::new();
    for paragraph in text.split('\n') {
        let piecewise = shape::simple_width(fonts, kind, paragraph).is_some();
        let mut line = Line::default();
        for word in paragraph.split_whitespace() {
            for (k, segment) in segments(word).enumerate() {
                // a space before a word, none between the pieces of one
                let spaced = !line.text.is_empty() && k == 0;
                if piecewise && !line.text.is_empty() {
                    let joins = if spaced { 2.0 } else { 1.0 };
                    let segment_width = measure(segment);
                    let estimate = line.width + (if spaced { space } else { 0.0 }) + segment_width;
                    let doubt = line.doubt + joins * junction;
                    if estimate + doubt <= width {
                        line.extend(spaced, segment, estimate, doubt);
                        continue;
                    }
                    if estimate - doubt > width {
                        lines.push(std::mem::take(&mut line).text);
                        line = Line::start(
                            fonts,
                            kind,
                            segment,
                            Some(segment_width),
                            size,
                            width,
                            &mut lines,
                        );
                        continue;
                    }
                    // too close to call: measured whole
                }
                candidate.clear();
                candidate.push_str(&line.text);
                if spaced {
                    candidate.push(' ');
                }
                candidate.push_str(segment);
                let w = measure(&candidate);
                if w <= width {
                    std::mem::swap(&mut line.text, &mut candidate);
                    (line.width, line.doubt) = (w, 0.0);
                    continue;
                }
                if !line.text.is_empty() {
                    lines.push(std::mem::take(&mut line).text);
                }
                line = Line::start(fonts, kind, segment, None, size, width, &mut lines);
            }
        }
        if !line.text.is_empty() || lines.is_empty() {
            lines.push(line.text);
        }
    }
    lines
}

/// A line being filled: its text, its width as far as it is known, and how far the true width
/// may be from that.
#[derive(Default)]
struct Line {
    text: String,
    width: f32,
    doubt: f32,
}

impl Line {
    fn extend(&mut self, spaced: bool, segment: &str, width: f32, doubt: f32) {
        if spaced {
            self.text.push(' ');
        }
        self.text.push_str(segment);
        (self.width, self.doubt) = (width, doubt);
    }

    /// A new line starting with `segment` (its width when already measured); a segment wider than
    /// the box is broken, its pieces but the last going into `lines`.
    fn start(
        fonts: &Fonts,
        kind: FontKind,
        segment: &str,
        known_width: Option<f32>,
        size: f32,
        width: f32,
        lines: &mut Vec<String>,
    ) -> Line {
        let w = known_width.unwrap_or_else(|| fonts.width(kind, segment, size));
        if w <= width {
            return Line {
                text: segment.to_string(),
                width: w,
                doubt: 0.0,
            };
        }
        let mut pieces = break_word(fonts, kind, segment, size, width);
        let text = pieces.pop().unwrap_or_default();
        lines.extend(pieces);
        Line {
            width: fonts.width(kind, &text, size),
            text,
            doubt: 0.0,
        }
    }
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

    /// The oracle: every candidate line measured whole, as `wrap` did before it measured by pieces.
    fn wrap_measuring_every_line(
        fonts: &Fonts,
        kind: FontKind,
        text: &str,
        size: f32,
        width: f32,
    ) -> Vec<String> {
        let fits = |s: &str| fonts.width(kind, s, size) <= width;
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                for (k, segment) in segments(word).enumerate() {
                    let mut candidate = line.clone();
                    if !line.is_empty() && k == 0 {
                        candidate.push(' ');
                    }
                    candidate.push_str(segment);
                    if fits(&candidate) {
                        line = candidate;
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

    #[test]
    fn wrapping_by_pieces_breaks_every_line_where_measuring_it_whole_does() {
        let f = fonts();
        // words kerned at their edges (AV, To, Ty, W.), hyphens, ideographs, a long word, and a
        // script the simple path leaves to the shaper
        let words = [
            "AVATAR",
            "To",
            "Tyler",
            "W.",
            "LT-Va",
            "well-known",
            "Mara",
            "Tomás",
            "Yves,",
            "Ortega-Ruiz",
            "陈美玲",
            "欧阳明华张伟",
            "Wolfeschlegelsteinhausenbergerdorff",
            "a",
            "Nguyễn",
            "\"quoted\"",
            "1-800-843-5678",
            "ليلى",
            "fi",
            "Ÿ",
            "V",
            "AT&T",
        ];
        let mut state = 0x5DEE_CE66u32;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % n
        };
        for round in 0..400 {
            let count = 1 + next(40);
            let text: Vec<&str> = (0..count).map(|_| words[next(words.len())]).collect();
            let mut text = text.join(" ");
            if round % 5 == 0 {
                text = text.replacen(' ', "\n", 1);
            }
            if round % 3 == 0 {
                // no shaper needed: the pieces are summed
                text = text.replace("ليلى", "Leila");
            }
            let size = [7.5, 9.0, 10.45, 14.0, 31.0][next(5)];
            let width = 40.0 + next(400) as f32 + next(100) as f32 / 7.0;
            let kind = [FontKind::Regular, FontKind::Bold][next(2)];
            assert_eq!(
                wrap(&f, kind, &text, size, width),
                wrap_measuring_every_line(&f, kind, &text, size, width),
                "{text:?} at {size} in {width}"
            );
        }
    }
}
