use chrono::{Datelike, NaiveDate};

/// Whole years between a birth date and a day (0 before the first birthday).
pub fn age_on(born: NaiveDate, day: NaiveDate) -> u32 {
    if day < born {
        return 0;
    }
    let mut years = day.year() - born.year();
    if (day.month(), day.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Height for US posters: (feet, inches), inches rounded to the nearest whole inch.
pub fn cm_to_feet_inches(cm: f64) -> (u32, u32) {
    let total = (cm / 2.54).round().max(0.0) as u32;
    (total / 12, total % 12)
}

/// Weight for US posters, in whole pounds.
pub fn kg_to_pounds(kg: f64) -> u32 {
    (kg * 2.204_622_621_8).round().max(0.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn age_counts_whole_years_and_birthdays() {
        assert_eq!(age_on(d("2015-03-02"), d("2026-11-23")), 11);
        assert_eq!(age_on(d("2015-03-02"), d("2026-03-01")), 10);
        assert_eq!(age_on(d("2015-03-02"), d("2026-03-02")), 11);
        assert_eq!(age_on(d("2012-02-29"), d("2026-02-28")), 13);
        assert_eq!(age_on(d("2020-01-01"), d("2019-01-01")), 0);
    }

    #[test]
    fn units_convert_for_us_posters() {
        assert_eq!(cm_to_feet_inches(132.0), (4, 4));
        assert_eq!(cm_to_feet_inches(178.0), (5, 10));
        assert_eq!(kg_to_pounds(29.0), 64);
        assert_eq!(kg_to_pounds(82.0), 181);
    }
}
