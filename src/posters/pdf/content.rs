//! A page's content stream, written straight as bytes: the handful of operators a poster uses
//! (fills, text, photos, marked content), each number written once, with no operator objects in
//! between. Building them as `printpdf` operations, translated to `lopdf` operations and encoded
//! again, cost a fifth of a letter poster.

use super::super::template::Rgb;

/// A content stream being written.
pub(super) struct Content {
    buf: Vec<u8>,
    /// Whether a hex string of a `TJ` array is open.
    in_string: bool,
}

impl Content {
    pub fn new() -> Self {
        Content {
            buf: Vec::with_capacity(16 * 1024),
            in_string: false,
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn op(&mut self, op: &str) {
        self.buf.extend_from_slice(op.as_bytes());
        self.buf.push(b'\n');
    }

    fn name(&mut self, name: &str) {
        self.buf.push(b'/');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b' ');
    }

    /// A number and a space. Thousandths of a point (or of an em in a `TJ`) are finer than any
    /// device draws, and a fixed precision keeps the bytes the same on every machine.
    pub fn num(&mut self, v: f32) {
        let thousandths = (f64::from(v) * 1000.0).round() as i64;
        if thousandths < 0 {
            self.buf.push(b'-');
        }
        let a = thousandths.unsigned_abs();
        self.int(a / 1000);
        let frac = a % 1000;
        if frac != 0 {
            self.buf.push(b'.');
            let digits = [frac / 100, frac / 10 % 10, frac % 10].map(|d| b'0' + d as u8);
            let last = digits.iter().rposition(|&d| d != b'0').map_or(0, |k| k + 1);
            self.buf.extend_from_slice(&digits[..last]);
        }
        self.buf.push(b' ');
    }

    fn int(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[i..]);
    }

    fn hex4(&mut self, v: u16) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.buf.extend(
            [12, 8, 4, 0]
                .into_iter()
                .map(|shift| HEX[usize::from((v >> shift) & 0xF)]),
        );
    }

    pub fn fill_color(&mut self, c: Rgb) {
        for v in c.0 {
            self.num(f32::from(v) / 255.0);
        }
        self.op("rg");
    }

    /// A filled rectangle, `x`, `y` its lower left corner.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        for v in [x, y, w, h] {
            self.num(v);
        }
        self.op("re f");
    }

    /// `/<tag> <</MCID n>> BDC`: the start of marked content number `mcid`.
    pub fn begin_marked(&mut self, tag: &str, mcid: usize) {
        self.name(tag);
        self.buf.extend_from_slice(b"<</MCID ");
        self.int(mcid as u64);
        self.op(">> BDC");
    }

    pub fn begin_artifact(&mut self) {
        self.op("/Artifact BMC");
    }

    /// `/Span <</ActualText <FEFF…>>> BDC`: what the glyphs inside say, in reading order
    /// (ISO 32000-1, 14.9.4), as UTF-16BE with its byte order mark.
    pub fn begin_actual_text(&mut self, text: &str) {
        self.buf.extend_from_slice(b"/Span <</ActualText <FEFF");
        for unit in text.encode_utf16() {
            self.hex4(unit);
        }
        self.op(">>> BDC");
    }

    pub fn end_marked(&mut self) {
        self.op("EMC");
    }

    pub fn save(&mut self) {
        self.op("q");
    }

    pub fn restore(&mut self) {
        self.op("Q");
    }

    /// Use the named graphics state (`/name gs`).
    pub fn graphics_state(&mut self, name: &str) {
        self.name(name);
        self.op("gs");
    }

    /// Draw the named image XObject into the rectangle at `x`, `y` (its lower left corner).
    pub fn image(&mut self, name: &str, x: f32, y: f32, w: f32, h: f32) {
        self.save();
        for v in [w, 0.0, 0.0, h, x, y] {
            self.num(v);
        }
        self.op("cm");
        self.name(name);
        self.op("Do");
        self.restore();
    }

    pub fn begin_text(&mut self) {
        self.op("BT");
    }

    pub fn end_text(&mut self) {
        self.op("ET");
    }

    pub fn font(&mut self, resource: &str, size: f32) {
        self.name(resource);
        self.num(size);
        self.op("Tf");
    }

    pub fn text_matrix(&mut self, m: [f32; 6]) {
        for v in m {
            self.num(v);
        }
        self.op("Tm");
    }

    /// Open a `TJ` array.
    pub fn begin_shown(&mut self) {
        self.buf.push(b'[');
        self.in_string = false;
    }

    /// A two-byte glyph code in the open `TJ` array.
    pub fn code(&mut self, code: u16) {
        if !self.in_string {
            self.buf.push(b'<');
            self.in_string = true;
        }
        self.hex4(code);
    }

    /// Move the next glyph `offset` thousandths of an em back (left, for horizontal text).
    pub fn offset(&mut self, offset: f32) {
        self.close_string();
        self.num(offset);
    }

    fn close_string(&mut self) {
        if self.in_string {
            self.buf.push(b'>');
            self.in_string = false;
        }
    }

    /// Close the `TJ` array and show it.
    pub fn end_shown(&mut self) {
        self.close_string();
        self.op("] TJ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Content)) -> String {
        let mut c = Content::new();
        f(&mut c);
        String::from_utf8(c.into_bytes()).unwrap()
    }

    #[test]
    fn numbers_are_written_to_the_thousandth_without_trailing_zeros() {
        for (v, s) in [
            (0.0, "0 "),
            (-0.0001, "0 "),
            (12.0, "12 "),
            (612.5, "612.5 "),
            (-3.25, "-3.25 "),
            (0.1234, "0.123 "),
            (0.0006, "0.001 "),
            (1.05, "1.05 "),
            (-0.5, "-0.5 "),
            (792.0, "792 "),
        ] {
            assert_eq!(written(|c| c.num(v)), s, "{v}");
        }
    }

    #[test]
    fn numbers_read_back_as_what_was_written_within_half_a_thousandth() {
        // a simple oracle: the shortest form parsed back
        let mut state = 0x9E37_79B9u32;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = (state % 2_000_000) as f32 / 997.0 - 1000.0;
            let s = written(|c| c.num(v));
            let back: f64 = s.trim().parse().unwrap();
            assert!((back - f64::from(v)).abs() <= 0.0005 + 1e-9, "{v} -> {s}");
        }
    }

    #[test]
    fn a_shown_array_groups_codes_into_strings_between_offsets() {
        let s = written(|c| {
            c.begin_shown();
            c.code(0x0041);
            c.code(0x01FF);
            c.offset(-12.5);
            c.code(3);
            c.end_shown();
        });
        assert_eq!(s, "[<004101FF>-12.5 <0003>] TJ\n");
    }

    #[test]
    fn marked_content_and_actual_text() {
        assert_eq!(written(|c| c.begin_marked("P", 7)), "/P <</MCID 7>> BDC\n");
        assert_eq!(
            written(|c| c.begin_actual_text("é")),
            "/Span <</ActualText <FEFF00E9>>> BDC\n"
        );
    }
}
