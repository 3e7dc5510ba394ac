//! The description rows of a child or a companion: label and value, in the poster's language.

use crate::cases::{Companion, Person, age_on};

use super::super::RenderError;
use super::super::template::fill;
use super::Ctx;
use super::words::{ValueKind, Words};

/// The description rows of a child.
pub fn person_rows(
    ctx: &Ctx<'_, '_>,
    field: &str,
    p: &Person,
) -> Result<Vec<(String, String)>, RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let mut rows = Vec::new();
    if !p.aliases.is_empty() {
        let a = Words::clean(
            ctx.fonts,
            &format!("{field}.aliases"),
            &p.aliases.join(", "),
        )?;
        rows.push((l.aliases.clone(), a));
    }
    rows.push((l.date_of_birth.clone(), w.date(p.date_of_birth.0)));
    let age = age_on(p.date_of_birth.0, ctx.input.issue_date).to_string();
    rows.push((l.age_now.clone(), fill(&w.lang.age, &[("age", &age)])));
    rows.push((l.sex.clone(), w.lang.sex(p.sex).to_string()));
    describe(ctx, field, &mut rows, &Looks::of_person(p))?;
    Ok(rows)
}

/// The descriptive fields a child and a companion share.
struct Looks<'p> {
    race: Option<&'p str>,
    height_cm: Option<f64>,
    weight_kg: Option<f64>,
    hair: Option<&'p str>,
    eyes: Option<&'p str>,
    marks: Option<&'p str>,
    clothing: Option<&'p str>,
}

impl<'p> Looks<'p> {
    fn of_person(p: &'p Person) -> Looks<'p> {
        Looks {
            race: p.race.as_deref(),
            height_cm: p.height_cm,
            weight_kg: p.weight_kg,
            hair: p.hair.as_deref(),
            eyes: p.eyes.as_deref(),
            marks: p.marks.as_deref(),
            clothing: p.clothing.as_deref(),
        }
    }

    fn of_companion(c: &'p Companion) -> Looks<'p> {
        Looks {
            race: c.race.as_deref(),
            height_cm: c.height_cm,
            weight_kg: c.weight_kg,
            hair: c.hair.as_deref(),
            eyes: c.eyes.as_deref(),
            marks: c.marks.as_deref(),
            clothing: c.clothing.as_deref(),
        }
    }
}

fn describe(
    ctx: &Ctx<'_, '_>,
    field: &str,
    rows: &mut Vec<(String, String)>,
    looks: &Looks,
) -> Result<(), RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let text = |name: &str,
                v: Option<&str>,
                kind: Option<ValueKind>|
     -> Result<Option<String>, RenderError> {
        v.map(|v| {
            let v = Words::clean(ctx.fonts, &format!("{field}.{name}"), v)?;
            Ok(kind.map_or(v.clone(), |k| w.value(k, &v)))
        })
        .transpose()
    };
    let mut push = |label: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            rows.push((label.to_string(), v));
        }
    };
    push(&l.race, text("race", looks.race, Some(ValueKind::Race))?);
    push(&l.height, looks.height_cm.map(|cm| w.height(cm)));
    push(&l.weight, looks.weight_kg.map(|kg| w.weight(kg)));
    push(&l.hair, text("hair", looks.hair, Some(ValueKind::Hair))?);
    push(&l.eyes, text("eyes", looks.eyes, Some(ValueKind::Eyes))?);
    push(&l.marks, text("marks", looks.marks, None)?);
    push(&l.clothing, text("clothing", looks.clothing, None)?);
    Ok(())
}

pub fn companion_rows(
    ctx: &Ctx<'_, '_>,
    field: &str,
    c: &Companion,
) -> Result<Vec<(String, String)>, RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let mut rows = Vec::new();
    if !c.aliases.is_empty() {
        let a = Words::clean(
            ctx.fonts,
            &format!("{field}.aliases"),
            &c.aliases.join(", "),
        )?;
        rows.push((l.aliases.clone(), a));
    }
    if let Some(dob) = c.date_of_birth {
        let age = age_on(dob.0, ctx.input.issue_date).to_string();
        let age = fill(&w.lang.age, &[("age", &age)]);
        rows.push((
            l.date_of_birth.clone(),
            format!("{} ({age})", w.date(dob.0)),
        ));
    }
    rows.push((l.sex.clone(), w.lang.sex(c.sex).to_string()));
    describe(ctx, field, &mut rows, &Looks::of_companion(c))?;
    if let Some(text) = vehicle_text(ctx, field, c)? {
        rows.push((l.vehicle.clone(), text));
    }
    Ok(rows)
}

/// A companion's vehicle as printed: "2014 gray Honda Civic, Plate ABC1234 (VA)"; None without one.
pub fn vehicle_text(
    ctx: &Ctx<'_, '_>,
    field: &str,
    c: &Companion,
) -> Result<Option<String>, RenderError> {
    let Some(v) = &c.vehicle else {
        return Ok(None);
    };
    let text = Words::clean(
        ctx.fonts,
        &format!("{field}.vehicle"),
        &ctx.words.vehicle(v),
    )?;
    Ok(Some(text).filter(|t| !t.is_empty()))
}

/// A companion's role as a heading: "ABDUCTOR (father)".
pub fn role_title(ctx: &Ctx<'_, '_>, field: &str, c: &Companion) -> Result<String, RenderError> {
    let role = ctx.words.lang.role(c.role).to_string();
    Ok(match &c.relation {
        Some(r) => {
            let r = Words::clean(ctx.fonts, &format!("{field}.relation"), r)?;
            fill(
                &ctx.words.lang.labels.relation,
                &[("role", &role), ("relation", &r)],
            )
        }
        None => role,
    })
}
