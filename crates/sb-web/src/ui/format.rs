//! Dates, times, numbers and money as the user's language writes them, in the
//! account's time zone.

use chrono::{Locale, TimeZone};
use chrono_tz::Tz;

#[derive(Clone)]
pub struct Formats {
    lang: &'static str,
    tz: Tz,
    currency: String,
}

impl Formats {
    pub fn new(lang: &'static str, timezone: &str, currency: &str) -> Formats {
        Formats {
            lang,
            tz: timezone.parse().unwrap_or(Tz::UTC),
            currency: currency.to_string(),
        }
    }

    fn locale(&self) -> Locale {
        match self.lang {
            "es" => Locale::es_ES,
            "pt" => Locale::pt_BR,
            "hu" => Locale::hu_HU,
            _ => Locale::en_US,
        }
    }

    fn at(&self, ms: i64) -> Option<chrono::DateTime<Tz>> {
        self.tz.timestamp_millis_opt(ms).single()
    }

    fn fmt(&self, ms: i64, pattern: &str) -> String {
        self.at(ms)
            .map(|d| d.format_localized(pattern, self.locale()).to_string())
            .unwrap_or_default()
    }

    pub fn date(&self, ms: i64) -> String {
        let p = match self.lang {
            "es" => "%-d %b %Y",
            "pt" => "%d/%m/%Y",
            "hu" => "%Y. %b %-d.",
            _ => "%b %-d, %Y",
        };
        self.fmt(ms, p)
    }

    pub fn time(&self, ms: i64) -> String {
        self.fmt(ms, "%H:%M")
    }

    pub fn datetime(&self, ms: i64) -> String {
        format!("{} {}", self.date(ms), self.time(ms))
    }

    /// `YYYY-MM-DDTHH:MM` in the account's zone (a datetime-local input's value).
    pub fn input_datetime(&self, ms: i64) -> String {
        self.at(ms)
            .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }

    /// A datetime-local input's value back to ms, in the account's zone.
    pub fn parse_input_datetime(&self, s: &str) -> Option<i64> {
        let naive = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        self.tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.timestamp_millis())
    }

    /// A `date` input's value (`YYYY-MM-DD`) to the ms of that day's start (or, with
    /// `end`, of its last millisecond) in the account's zone.
    pub fn parse_input_date(&self, s: &str, end: bool) -> Option<i64> {
        let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
        let start = self
            .tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()?
            .timestamp_millis();
        if end {
            let next = d.succ_opt()?;
            let n = self
                .tz
                .from_local_datetime(&next.and_hms_opt(0, 0, 0)?)
                .earliest()?
                .timestamp_millis();
            Some(n - 1)
        } else {
            Some(start)
        }
    }

    /// Start of today and of tomorrow in the account's zone, for "today" and "overdue".
    pub fn day_bounds(&self, now_ms: i64) -> (i64, i64) {
        let day = self.at(now_ms).map(|d| d.date_naive()).unwrap_or_default();
        let start = |d: chrono::NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|n| self.tz.from_local_datetime(&n).earliest())
                .map(|x| x.timestamp_millis())
                .unwrap_or(now_ms)
        };
        (start(day), start(day.succ_opt().unwrap_or(day)))
    }

    fn separators(&self) -> (&'static str, &'static str) {
        match self.lang {
            "es" | "pt" => (".", ","),
            // a narrow no-break space, as Hungarian typesetting groups thousands
            "hu" => ("\u{202f}", ","),
            _ => (",", "."),
        }
    }

    /// A whole number with the language's thousands separator.
    pub fn num(&self, n: i64) -> String {
        group(n, self.separators().0)
    }

    /// An amount in the account's currency, from minor units (as prices are stored):
    /// cents shown only when there are any.
    pub fn money(&self, minor: i64) -> String {
        let (thousands, decimal) = self.separators();
        let cents = minor.unsigned_abs() % 100;
        let mut amount = group(minor / 100, thousands);
        if minor < 0 && minor > -100 {
            amount = format!("-{amount}");
        }
        if cents != 0 {
            amount = format!("{amount}{decimal}{cents:02}");
        }
        let sym = match self.currency.as_str() {
            "EUR" => "€",
            "USD" => "$",
            "BRL" => "R$",
            "HUF" => "Ft",
            "GBP" => "£",
            other => other,
        };
        match (self.lang, self.currency.as_str()) {
            ("en", "EUR" | "USD" | "GBP") => format!("{sym}{amount}"),
            ("pt", "BRL") | ("en", _) => format!("{sym}\u{a0}{amount}"),
            _ => format!("{amount}\u{a0}{sym}"),
        }
    }
}

fn group(n: i64, sep: &str) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-03-05 14:07 UTC
    const T: i64 = 1_772_719_620_000;

    #[test]
    fn dates_follow_language_and_zone() {
        let en = Formats::new("en", "Europe/Madrid", "EUR");
        assert_eq!(en.datetime(T), "Mar 5, 2026 15:07");
        let es = Formats::new("es", "Europe/Madrid", "EUR");
        assert_eq!(es.date(T), "5 mar 2026");
        let pt = Formats::new("pt", "America/Sao_Paulo", "BRL");
        assert_eq!(pt.datetime(T), "05/03/2026 11:07");
        let hu = Formats::new("hu", "Europe/Budapest", "HUF");
        assert_eq!(hu.date(T), "2026. márc 5.");
    }

    #[test]
    fn numbers_and_money() {
        assert_eq!(
            Formats::new("en", "UTC", "EUR").money(123456700),
            "€1,234,567"
        );
        assert_eq!(Formats::new("en", "UTC", "EUR").money(-150), "€-1.50");
        assert_eq!(
            Formats::new("es", "UTC", "EUR").money(123450),
            "1.234,50\u{a0}€"
        );
        assert_eq!(Formats::new("pt", "UTC", "BRL").money(9900), "R$\u{a0}99");
        assert_eq!(Formats::new("hu", "UTC", "HUF").num(-1234), "-1\u{202f}234");
        assert_eq!(duration(65), "1:05");
        assert_eq!(duration(3725), "1:02:05");
    }

    #[test]
    fn inputs_round_trip_in_the_account_zone() {
        let f = Formats::new("en", "Europe/Madrid", "EUR");
        let v = f.input_datetime(T);
        assert_eq!(v, "2026-03-05T15:07");
        assert_eq!(f.parse_input_datetime(&v), Some(T));
        let (a, b) = f.day_bounds(T);
        assert!(a <= T && T < b && b - a == 86_400_000);
    }
}
