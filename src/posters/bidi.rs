//! The embedding level of each character of a line (UAX #9), with one higher-level rule (UAX #9,
//! 4.3 HL3): a code made of digits, Latin letters and joining punctuation, such as a phone
//! number, a case number, a plate or a time, is isolated as a left-to-right unit. Without it, a
//! phone number in an Arabic line comes apart: "1-800-THE-LOST" after an Arabic word is ordered
//! "THE-LOST-800-1", because the algorithm reads its digits as Arabic numbers and its hyphens as
//! neutrals between them. Pure.

use unicode_bidi::{BidiInfo, Level};

pub const LRI: char = '\u{2066}';
pub const PDI: char = '\u{2069}';

/// Characters of the right-to-left scripts: only these make the bidirectional algorithm worth
/// running.
pub fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x200F | 0x202B | 0x202E | 0x2067)
}

/// The levels of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Levels {
    /// The level of each byte of the text.
    pub of: Vec<Level>,
    /// Where an isolate begins or ends (the byte it stands before) and its own level, in order.
    pub isolates: Vec<(usize, Level)>,
}

/// The embedding level of each byte of `text`, after the line rules (trailing spaces at the
/// paragraph's level). Text without a right-to-left character is all at level 0.
pub fn levels(text: &str) -> Levels {
    let ltr = Level::ltr();
    if !text.chars().any(is_rtl) {
        return Levels {
            of: vec![ltr; text.len()],
            isolates: Vec::new(),
        };
    }
    let (isolated, origin) = isolate_codes(text);
    let bidi = BidiInfo::new(&isolated, Some(base_level(text)));
    let mut at = vec![ltr; isolated.len()];
    for para in &bidi.paragraphs {
        let range = para.range.clone();
        let line = bidi.reordered_levels(para, range.clone());
        at[range.clone()].copy_from_slice(&line[range]);
    }
    let mut of = vec![ltr; text.len()];
    let mut isolates = Vec::new();
    let mut next = 0;
    for (i, c) in isolated.char_indices() {
        match origin[i] {
            Some(from) => {
                of[from..from + c.len_utf8()].fill(at[i]);
                next = from + c.len_utf8();
            }
            None => isolates.push((next, at[i])),
        }
    }
    Levels { of, isolates }
}

/// The paragraph's level by the first strong character of `text` as written (rules P2, P3):
/// isolating a code must not change which way the line runs.
pub fn base_level(text: &str) -> Level {
    match unicode_bidi::get_base_direction(text) {
        unicode_bidi::Direction::Rtl => Level::rtl(),
        _ => Level::ltr(),
    }
}

/// `text` with each code wrapped in LRI … PDI, and for each byte of the result the byte of
/// `text` it comes from (`None` for the isolates).
pub fn isolate_codes(text: &str) -> (String, Vec<Option<usize>>) {
    let mut out = String::with_capacity(text.len() + 12);
    let mut origin = Vec::with_capacity(text.len() + 12);
    let copy =
        |out: &mut String, origin: &mut Vec<Option<usize>>, range: std::ops::Range<usize>| {
            out.push_str(&text[range.clone()]);
            origin.extend(range.map(Some));
        };
    let isolate = |out: &mut String, origin: &mut Vec<Option<usize>>, c: char| {
        out.push(c);
        origin.extend(std::iter::repeat_n(None, c.len_utf8()));
    };
    let mut at = 0;
    while let Some((start, end)) = next_code(&text[at..]) {
        copy(&mut out, &mut origin, at..at + start);
        isolate(&mut out, &mut origin, LRI);
        copy(&mut out, &mut origin, at + start..at + end);
        isolate(&mut out, &mut origin, PDI);
        at += end;
    }
    copy(&mut out, &mut origin, at..text.len());
    (out, origin)
}

/// The first code in `text`: its byte range. A code is a run of ASCII letters and digits joined
/// by `-.()/:+#`, with at least one digit, starting and ending with a letter, a digit or a
/// bracket that is closed (opened) inside it.
fn next_code(text: &str) -> Option<(usize, usize)> {
    let joins = |c: char| "-.()/:+#".contains(c);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if !(c.is_ascii_alphanumeric() || c == '(' || c == '+') {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < bytes.len() {
            let c = bytes[end] as char;
            if c.is_ascii_alphanumeric() || joins(c) {
                end += 1;
            } else {
                break;
            }
        }
        // trim what cannot end a code, and unbalanced brackets at the ends
        let mut s = start;
        let mut e = end;
        loop {
            let piece = &text[s..e];
            let last = piece.chars().last();
            let first = piece.chars().next();
            if matches!(last, Some(c) if joins(c) && c != ')')
                || (last == Some(')') && !piece.contains('('))
            {
                e -= 1;
            } else if first == Some('(') && !piece.contains(')') {
                s += 1;
            } else {
                break;
            }
            if s >= e {
                break;
            }
        }
        if s < e && text[s..e].bytes().any(|b| b.is_ascii_digit()) && text[s..e].len() > 1 {
            return Some((s, e));
        }
        i = end.max(start + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some((s, e)) = next_code(rest) {
            out.push(&rest[s..e]);
            rest = &rest[e..];
        }
        out
    }

    #[test]
    fn codes_are_phone_numbers_case_numbers_plates_and_times() {
        assert_eq!(
            codes("اتصل بالرقم 1-800-THE-LOST (1-800-843-5678)."),
            vec!["1-800-THE-LOST", "(1-800-843-5678)"]
        );
        assert_eq!(codes("رقم القضية 2026-004217 ·"), vec!["2026-004217"]);
        assert_eq!(codes("ABC1234 (VA), 9:30 مساءً"), vec!["ABC1234", "9:30"]);
        assert!(codes("Mara Ortega, علي").is_empty());
        assert!(
            codes("a 7 b").is_empty(),
            "a lone digit is left to the algorithm"
        );
    }

    #[test]
    fn isolating_keeps_every_character_and_its_origin() {
        for text in [
            "اتصل 1-800-843-5678 الآن",
            "no codes",
            "ليلى 2026-004217",
            "",
        ] {
            let (out, origin) = isolate_codes(text);
            let kept: String = out.chars().filter(|c| *c != LRI && *c != PDI).collect();
            assert_eq!(kept, text);
            for (i, o) in origin.iter().enumerate() {
                if let Some(o) = o {
                    assert_eq!(out.as_bytes()[i], text.as_bytes()[*o], "{text:?} byte {i}");
                }
            }
        }
    }

    #[test]
    fn a_phone_number_in_an_arabic_line_stays_in_one_piece() {
        let text = "اتصل بالرقم 1-800-843-5678";
        let levels = levels(text).of;
        let start = text.find('1').unwrap();
        let number = &levels[start..];
        assert!(
            number.iter().all(|l| *l == number[0] && l.is_ltr()),
            "{levels:?}"
        );
    }
}
