//! A pen that sets measured text into boxes and records the elements it made.

use crate::cases::Lang;

use super::super::fonts::{FontKind, Fonts};
use super::super::forms::CjkForms;
use super::super::shape;
use super::super::template::Rgb;
use super::super::text::{fit, wrap};
use super::{Element, Rect, Role, Tag, TextRun};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// How a block of text is set.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub font: FontKind,
    pub size: f32,
    pub color: Rgb,
    /// Line pitch as a multiple of the size.
    pub leading: f32,
    pub align: Align,
}

impl Style {
    pub fn new(font: FontKind, size: f32, color: Rgb, leading: f32) -> Style {
        Style {
            font,
            size,
            color,
            leading,
            align: Align::Left,
        }
    }

    pub fn align(mut self, align: Align) -> Style {
        self.align = align;
        self
    }
}

pub struct Pen<'f> {
    pub fonts: &'f Fonts,
    pub elements: Vec<Element>,
    /// The tag of the runs drawn from now on.
    pub tag: Tag,
    /// The poster's language, which decides the shapes of CJK characters a text's own letters
    /// leave open.
    pub lang: Lang,
}

impl<'f> Pen<'f> {
    pub fn new(fonts: &'f Fonts) -> Pen<'f> {
        Pen::in_lang(fonts, Lang::En)
    }

    pub fn in_lang(fonts: &'f Fonts, lang: Lang) -> Pen<'f> {
        Pen {
            fonts,
            elements: Vec::new(),
            tag: Tag::default(),
            lang,
        }
    }

    pub fn fill(&mut self, rect: Rect, color: Rgb) {
        self.elements.push(Element::Fill { rect, color });
    }

    /// One line with its top at `top`; returns the line's bottom (top + pitch).
    pub fn line(&mut self, text: &str, x: f32, top: f32, width: f32, style: Style) -> f32 {
        let f = self.fonts;
        let shaped = shape::line_in(f, style.font, text, CjkForms::of(text, self.lang));
        let w = shaped.width * style.size;
        let x = match style.align {
            Align::Left => x,
            Align::Center => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        let ascent = f.ascent(style.font, style.size);
        let descent = f.descent(style.font, style.size);
        let pitch = style.size * style.leading;
        // Centre the glyph box in the line pitch so stacked lines look evenly spaced.
        let baseline = top + (pitch - ascent - descent) / 2.0 + ascent;
        if !text.is_empty() {
            self.elements.push(Element::Text(TextRun {
                x,
                baseline,
                text: text.to_string(),
                glyphs: shaped.glyphs,
                font: style.font,
                size: style.size,
                color: style.color,
                bounds: Rect::new(x, baseline - ascent, w, ascent + descent),
                tag: self.tag,
            }));
        }
        top + pitch
    }

    /// A paragraph wrapped to `width`; returns its bottom.
    pub fn paragraph(&mut self, text: &str, x: f32, top: f32, width: f32, style: Style) -> f32 {
        let lines = wrap(self.fonts, style.font, text, style.size, width);
        self.lines(&lines, x, top, width, style)
    }

    /// A headline or name: shrunk down to `min` to stay on one line, wrapped at `min` otherwise.
    pub fn fitted(
        &mut self,
        text: &str,
        x: f32,
        top: f32,
        width: f32,
        style: Style,
        min: f32,
    ) -> f32 {
        let (size, lines) = fit(self.fonts, style.font, text, style.size, min, width);
        self.lines(&lines, x, top, width, Style { size, ..style })
    }

    fn lines(&mut self, lines: &[String], x: f32, top: f32, width: f32, style: Style) -> f32 {
        lines
            .iter()
            .fold(top, |y, l| self.line(l, x, y, width, style))
    }

    /// How tall `text` would be as a paragraph, without drawing it.
    pub fn measure(&self, text: &str, width: f32, style: Style) -> f32 {
        let lines = wrap(self.fonts, style.font, text, style.size, width);
        lines.len() as f32 * style.size * style.leading
    }

    /// How tall `text` would be when fitted, without drawing it.
    pub fn measure_fitted(&self, text: &str, width: f32, style: Style, min: f32) -> f32 {
        let (size, lines) = fit(self.fonts, style.font, text, style.size, min, width);
        lines.len() as f32 * size * style.leading
    }

    /// Label/value rows: labels in a column of their own, values wrapped beside them. Returns the
    /// bottom. A narrow box puts each label above its value instead.
    pub fn facts(
        &mut self,
        rows: &[(String, String)],
        x: f32,
        top: f32,
        width: f32,
        label: Style,
        value: Style,
    ) -> f32 {
        let widest = rows
            .iter()
            .map(|(l, _)| self.fonts.width(label.font, l, label.size))
            .fold(0.0, f32::max);
        let gap = label.size * 0.6;
        // A label too long for the column wraps inside it (a long Tagalog or French label), so the
        // children side by side keep the same shape; only a box too narrow for that stacks.
        let widest_word = rows
            .iter()
            .flat_map(|(l, _)| l.split_whitespace())
            .map(|w| self.fonts.width(label.font, w, label.size))
            .fold(0.0, f32::max);
        let label_width = if widest + gap <= width * 0.45 {
            Some(widest)
        } else if widest_word + gap <= width * 0.4 && width >= 12.0 * value.size {
            Some(width * 0.4 - gap)
        } else {
            None
        };
        // Each row a row of a table in the tagged PDF: its label heads its value.
        let tag = self.tag;
        let cell = |pen: &mut Self, n: usize, value: bool| {
            let n = u16::try_from(n).unwrap_or(u16::MAX);
            pen.tag.role = if value {
                Role::Value(n)
            } else {
                Role::Label(n)
            };
        };
        let mut y = top;
        if let Some(label_width) = label_width {
            let column = label_width + gap;
            for (n, (l, v)) in rows.iter().enumerate() {
                cell(self, n, false);
                let label_bottom = self.paragraph(l, x, y, label_width, label);
                cell(self, n, true);
                let value_bottom = self.paragraph(v, x + column, y, width - column, value);
                y = label_bottom.max(value_bottom) + value.size * 0.12;
            }
        } else {
            for (n, (l, v)) in rows.iter().enumerate() {
                cell(self, n, false);
                y = self.paragraph(l, x, y, width, label);
                cell(self, n, true);
                y = self.paragraph(v, x, y, width, value) + value.size * 0.25;
            }
        }
        self.tag = tag;
        y
    }
}
