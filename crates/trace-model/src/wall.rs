//! Wall-clock times printed as Go's `time.Unix(sec, nsec).Format(time.RFC3339Nano)` prints them
//! in UTC (Go uses the local zone: compare against Go run with `TZ=UTC`).

use std::fmt;

/// Writes `2006-01-02T15:04:05.999999999Z` for the instant `sec` seconds and `nsec` nanoseconds
/// after the Unix epoch, with Go's normalisation of `nsec` outside `[0, 1e9)`.
pub(crate) fn write_rfc3339_nano(out: &mut dyn fmt::Write, sec: i64, nsec: i64) -> fmt::Result {
    let (mut sec, mut nsec) = (sec as i128, nsec as i128);
    if !(0..1_000_000_000).contains(&nsec) {
        sec += nsec.div_euclid(1_000_000_000);
        nsec = nsec.rem_euclid(1_000_000_000);
    }
    let days = sec.div_euclid(86_400);
    let secs_of_day = sec.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if year < 0 {
        write!(out, "-{:04}", -year)?;
    } else {
        write!(out, "{year:04}")?;
    }
    write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}",
        month,
        day,
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )?;
    if nsec != 0 {
        let digits = format!("{nsec:09}");
        write!(out, ".{}", digits.trim_end_matches('0'))?;
    }
    out.write_char('Z')
}

/// Year, month and day of the proleptic Gregorian calendar for days since 1970-01-01.
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i128::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::write_rfc3339_nano;

    fn fmt(sec: i64, nsec: i64) -> String {
        let mut s = String::new();
        write_rfc3339_nano(&mut s, sec, nsec).unwrap();
        s
    }

    #[test]
    fn formats_like_go() {
        // Values printed by Go 1.27's time.Unix(sec, nsec).Format(time.RFC3339Nano) with TZ=UTC.
        assert_eq!(fmt(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            fmt(1_795_420_158, 400_360_999),
            "2026-11-23T07:49:18.400360999Z"
        );
        assert_eq!(fmt(951_782_400, 500_000_000), "2000-02-29T00:00:00.5Z");
        assert_eq!(fmt(-1, 0), "1969-12-31T23:59:59Z");
        assert_eq!(fmt(0, -1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(fmt(0, 1_000_000_001), "1970-01-01T00:00:01.000000001Z");
        assert_eq!(fmt(253_402_300_800, 0), "10000-01-01T00:00:00Z");
        assert_eq!(fmt(-62_135_596_801, 5), "0000-12-31T23:59:59.000000005Z");
    }
}
