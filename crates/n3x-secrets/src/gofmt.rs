//! Number and time text exactly as Go formats and parses it, because sops (a Go
//! program) hashes and prints values in Go's forms: `strconv.FormatFloat` with
//! `'f'`/`'g'`, `encoding/json` floats, and RFC 3339 timestamps.
//!
//! Pure functions only; no clock is read here.

/// Shortest round-trip digits and decimal exponent of a finite, non-zero `v`:
/// `v = 0.d1d2d3… × 10^dp`.
fn digits(v: f64) -> (String, i32) {
    // `{:e}` gives the shortest round-trip mantissa, e.g. "6.02e23".
    let s = format!("{:e}", v.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp + 1)
}

fn special(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent.
pub fn format_f(v: f64) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    // Rust's Display for f64 is the shortest round-trip form without exponent,
    // except that it prints "-0" as "-0" too (as Go does).
    format!("{v}")
}

fn exp_form(neg: bool, d: &str, dp: i32, min_exp_digits: usize) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    let mut chars = d.chars();
    if let Some(c) = chars.next() {
        s.push(c);
    }
    let rest: String = chars.collect();
    if !rest.is_empty() {
        s.push('.');
        s.push_str(&rest);
    }
    let e = dp - 1;
    s.push('e');
    s.push(if e < 0 { '-' } else { '+' });
    let mag = e.unsigned_abs().to_string();
    for _ in mag.len()..min_exp_digits {
        s.push('0');
    }
    s.push_str(&mag);
    s
}

/// Go `strconv.FormatFloat(v, 'g', -1, 64)` (what go-yaml writes for floats).
pub fn format_g(v: f64) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (d, dp) = digits(v);
    let exp = dp - 1;
    // With the shortest precision Go decides by a fixed precision of 6.
    if !(-4..6).contains(&exp) {
        return exp_form(v < 0.0, &d, dp, 2);
    }
    format_f(v)
}

/// Go `encoding/json` for a float64: plain decimal unless the magnitude is below
/// 1e-6 or at least 1e21, then exponent form with a short exponent.
pub fn format_json(v: f64) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let (d, dp) = digits(v);
        return exp_form(v < 0.0, &d, dp, 1);
    }
    format_f(v)
}

/// YAML float text as go-yaml writes it.
pub fn yaml_float(v: f64) -> String {
    match format_g(v).as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        s => s.to_string(),
    }
}

/// Go `strconv.ParseFloat(s, 64)` for the forms YAML and sops produce.
pub fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" | "+Infinity" | "Infinity" => Some(f64::INFINITY),
        "-Inf" | "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => {
            let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
            if ok {
                s.parse().ok()
            } else {
                None
            }
        }
    }
}

/// Go `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go `strconv.ParseInt(s, 0, 64)`: sign, then `0x`/`0o`/`0b` or a leading `0`
/// (octal), else decimal. Underscores must already be removed by the caller.
pub fn parse_int_base0(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(&digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// A point in time as sops keeps it: the instant plus the UTC offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch (UTC).
    pub secs: i64,
    /// Nanoseconds.
    pub nanos: u32,
    /// UTC offset in seconds.
    pub offset: i32,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl Timestamp {
    /// The UTC instant `secs` with zero offset.
    pub fn utc(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0, offset: 0 }
    }

    /// Go `time.RFC3339Nano` text (`Z` for a zero offset, trailing zeros of the
    /// fraction trimmed).
    pub fn rfc3339_nano(&self) -> String {
        self.format(true)
    }

    /// Go `time.RFC3339` text (whole seconds).
    pub fn rfc3339(&self) -> String {
        self.format(false)
    }

    fn format(&self, nanos: bool) -> String {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60);
        if nanos && self.nanos > 0 {
            let f = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(f.trim_end_matches('0'));
        }
        if self.offset == 0 {
            s.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let o = self.offset.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o / 60 % 60));
        }
        s
    }

    /// Parses RFC 3339 (`2006-01-02T15:04:05.999999999Z07:00`), as Go's
    /// `time.Parse(time.RFC3339, …)` accepts it.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        parse_ts(s, true, true)
    }

    /// go-yaml's timestamp resolution of a plain scalar: `2006-1-2`,
    /// `2006-1-2T15:4:5.9Z07:00` (also `t`), or `2006-1-2 15:4:5.9` (UTC).
    pub fn parse_yaml(s: &str) -> Option<Timestamp> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits != 4 || s.as_bytes().get(4) != Some(&b'-') {
            return None;
        }
        parse_ts(s, false, false)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.s.len() && self.i - start < max && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i == self.s.len()
    }
}

fn parse_ts(s: &str, strict: bool, require_time: bool) -> Option<Timestamp> {
    let mut c = Cursor { s: s.as_bytes(), i: 0 };
    let y = c.num(4, 4)?;
    let (lo, _) = if strict { (2, 2) } else { (1, 2) };
    if !c.eat(b'-') {
        return None;
    }
    let m = c.num(lo, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.num(lo, 2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(i64::from(y), m) {
        return None;
    }
    let day = days_from_civil(i64::from(y), m, d);
    if c.done() {
        if require_time {
            return None;
        }
        return Some(Timestamp { secs: day * 86_400, nanos: 0, offset: 0 });
    }
    let sep = *c.s.get(c.i)?;
    let needs_zone = match sep {
        b'T' => true,
        b't' if !strict => true,
        b' ' if !strict => false,
        _ => return None,
    };
    c.i += 1;
    let hh = c.num(lo, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let mm = c.num(lo, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let ss = c.num(lo, 2)?;
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let mut nanos = 0u32;
    if c.eat(b'.') {
        let start = c.i;
        while c.i < c.s.len() && c.s[c.i].is_ascii_digit() {
            c.i += 1;
        }
        let frac = std::str::from_utf8(&c.s[start..c.i]).ok()?;
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = format!("{frac:0<9}").parse().ok()?;
    }
    let mut offset = 0i32;
    if needs_zone {
        if c.eat(b'Z') || (!strict && c.eat(b'z')) {
        } else {
            let sign = match c.s.get(c.i) {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            c.i += 1;
            let oh = c.num(2, 2)?;
            if !c.eat(b':') {
                return None;
            }
            let om = c.num(2, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            offset = sign * (oh as i32 * 3600 + om as i32 * 60);
        }
    }
    if !c.done() {
        return None;
    }
    let local = day * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
    Some(Timestamp { secs: local - i64::from(offset), nanos, offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go() {
        assert_eq!(format_f(1e21), "1000000000000000000000");
        assert_eq!(format_f(1e-7), "0.0000001");
        assert_eq!(format_f(3.0), "3");
        assert_eq!(format_f(-0.0), "-0");
        assert_eq!(format_f(f64::INFINITY), "+Inf");
        assert_eq!(format_g(3.5), "3.5");
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(1e21), "1e+21");
        assert_eq!(format_g(1e-7), "1e-07");
        assert_eq!(format_g(6.02e23), "6.02e+23");
        assert_eq!(format_g(1e6), "1e+06");
        assert_eq!(format_g(123456789.0), "1.23456789e+08");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(100000.0), "100000");
        assert_eq!(format_json(1e-7), "1e-7");
        assert_eq!(format_json(1e21), "1e+21");
        assert_eq!(format_json(1000.0), "1000");
        assert_eq!(format_json(12345678901234567890.0), "12345678901234567000");
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::parse_yaml("2024-01-02").unwrap();
        assert_eq!(t.rfc3339_nano(), "2024-01-02T00:00:00Z");
        let t = Timestamp::parse_yaml("2001-12-14t21:59:43.10-05:00").unwrap();
        assert_eq!(t.rfc3339_nano(), "2001-12-14T21:59:43.1-05:00");
        let t = Timestamp::parse_yaml("2001-12-14 21:59:43.10").unwrap();
        assert_eq!(t.rfc3339_nano(), "2001-12-14T21:59:43.1Z");
        assert!(Timestamp::parse_yaml("2001-13-14").is_none());
        assert!(Timestamp::parse_yaml("20011-1-1").is_none());
        let t = Timestamp::parse_rfc3339("2026-11-22T01:02:03+00:00").unwrap();
        assert_eq!(t.rfc3339(), "2026-11-22T01:02:03Z");
        assert_eq!(Timestamp::utc(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert!(Timestamp::parse_rfc3339("2026-11-22").is_none());
    }

    #[test]
    fn ints_base0() {
        assert_eq!(parse_int_base0("010"), Some(8));
        assert_eq!(parse_int_base0("0x1F"), Some(31));
        assert_eq!(parse_int_base0("-0o17"), Some(-15));
        assert_eq!(parse_int_base0("0"), Some(0));
        assert_eq!(parse_int_base0("09"), None);
        assert_eq!(parse_int_base0("1.5"), None);
    }
}
