//! Go's splitting of a large timeline into ranges of about 100 MiB of JSON each (the links of
//! `go tool trace`'s index page): the proc view's events counted as Go counts them, in a pass
//! that writes nothing.

use crate::emitter::Emitter;
use crate::json::Event;
use std::collections::HashSet;
use std::io::Write;

/// One range of the timeline, as Go's index page links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// Go's name for it: its start and end times as Go prints durations (`0s-432.879424ms`).
    pub name: String,
    /// Index of its first event (the `start` of its link).
    pub start: i64,
    /// Index past its last event, or of the last event for the last range (the `end`).
    pub end: i64,
    /// Its start, in ns from the trace's start, as Go rounds it.
    pub start_time: i64,
    /// Its end, likewise.
    pub end_time: i64,
}

/// The splitter's running state, fed every optional event.
pub(crate) struct Splitter {
    max: usize,
    required: usize,
    index: i64,
    start: i64,
    start_ts: i64,
    last_ts: i64,
    events_size: usize,
    frames: HashSet<u32>,
    frames_size: usize,
    scratch: Vec<u32>,
    pub(crate) ranges: Vec<Range>,
}

/// A time in ns as Go's splitter turns it into µs and back: `Duration(float64(ns)/1000*1000)`.
fn round_trip(ns: i64) -> i64 {
    (ns as f64 / 1000.0 * 1000.0) as i64
}

impl Splitter {
    pub(crate) fn new(max: usize, required: usize) -> Splitter {
        Splitter {
            max,
            required,
            index: -1,
            start: 0,
            start_ts: 0,
            last_ts: 0,
            events_size: 0,
            frames: HashSet::new(),
            frames_size: 0,
            scratch: Vec::new(),
            ranges: Vec::new(),
        }
    }

    pub(crate) fn event<W: Write>(&mut self, e: &mut Emitter<W>, ev: &Event<'_>) {
        self.index += 1;
        let i = self.index;
        let mut frames = std::mem::take(&mut self.scratch);
        let size = e.measure(ev, &mut frames) + 1;
        if i == self.start {
            self.start_ts = ev.ts;
        }
        self.last_ts = ev.ts;
        self.events_size += size;
        for &id in &frames {
            if self.frames.insert(id) {
                if let Some((name, parent)) = e.frame(id) {
                    self.frames_size += frame_size(id, name.len(), parent);
                }
            }
        }
        self.scratch = frames;
        if self.required + self.frames_size + self.events_size < self.max {
            return;
        }
        let (st, et) = (round_trip(self.start_ts), round_trip(ev.ts));
        self.ranges.push(Range {
            name: format!("{}-{}", go_duration(st), go_duration(et)),
            start: self.start,
            end: i + 1,
            start_time: st,
            end_time: et,
        });
        self.start = i + 1;
        self.frames.clear();
        self.frames_size = 0;
        self.events_size = 0;
    }

    /// The ranges, none if the timeline fits in one.
    pub(crate) fn finish(mut self) -> Vec<Range> {
        if self.ranges.len() <= 1 {
            return Vec::new();
        }
        let end = self.index;
        if self.start < end {
            let (st, et) = (round_trip(self.start_ts), round_trip(self.last_ts));
            self.ranges.push(Range {
                name: format!("{}-{}", go_duration(st), go_duration(et)),
                start: self.start,
                end,
                start_time: st,
                end_time: et,
            });
        }
        self.ranges
    }
}

/// The bytes Go estimates a frame takes in `stackFrames`.
fn frame_size(id: u32, name_len: usize, parent: u32) -> usize {
    let digits = |mut v: u32| {
        let mut n = 0;
        while v > 0 {
            n += 1;
            v /= 10;
        }
        n
    };
    let mut size = 1 + 11 + 3 + name_len + digits(id);
    if parent > 0 {
        size += 10 + digits(parent);
    }
    size
}

/// A duration in ns as Go's `time.Duration.String` prints it.
pub(crate) fn go_duration(d: i64) -> String {
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let frac = |v: u64, prec: u32| -> (u64, String) {
        let p = 10u64.pow(prec);
        let mut f = v % p;
        let mut digits = prec as usize;
        while digits > 0 && f % 10 == 0 {
            f /= 10;
            digits -= 1;
        }
        let s = if digits == 0 {
            String::new()
        } else {
            format!(".{f:0digits$}")
        };
        (v / p, s)
    };
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".to_string();
        }
        let (unit, prec) = if u < 1_000 {
            ("ns", 0)
        } else if u < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        let (int, f) = frac(u, prec);
        out.push_str(&format!("{int}{f}{unit}"));
        return out;
    }
    let (secs, f) = frac(u, 9);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        out.push_str(&format!("{h}h{m}m{s}{f}s"));
    } else if m > 0 {
        out.push_str(&format!("{m}m{s}{f}s"));
    } else {
        out.push_str(&format!("{s}{f}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_print_as_go() {
        for (d, want) in [
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (1_500, "1.5µs"),
            (432_879_424, "432.879424ms"),
            (1_000_000_000, "1s"),
            (61_500_000_000, "1m1.5s"),
            (3_723_000_000_001, "1h2m3.000000001s"),
            (-1_500, "-1.5µs"),
        ] {
            assert_eq!(super::go_duration(d), want);
        }
    }
}
