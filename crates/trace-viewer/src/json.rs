//! The JSON bytes Go's `encoding/json` writes for the viewer's events: field order, number
//! printing and string escaping, by hand (serde_json escapes and prints floats differently).

/// Appends `s` as a JSON string the way Go's `encoding/json` encodes it with HTML escaping:
/// `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, invalid UTF-8 as U+FFFD.
pub(crate) fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    go_utf8(s, |piece| valid_str(out, piece));
    out.push(b'"');
}

/// Calls `f` on the pieces of `s` as Go's `encoding/json` reads it: the valid UTF-8 runs, and
/// U+FFFD for each byte that does not start a valid sequence.
pub(crate) fn go_utf8(s: &[u8], mut f: impl FnMut(&str)) {
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                f(valid);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // `good` is valid UTF-8 by construction.
                f(std::str::from_utf8(good).unwrap_or_default());
                f("\u{fffd}");
                rest = bad.get(1..).unwrap_or_default();
            }
        }
    }
}

fn valid_str(out: &mut Vec<u8>, s: &str) {
    // Most names need no escape: copy them whole.
    if !s
        .bytes()
        .any(|b| b < 0x20 || matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xe2))
    {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => None,
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        match esc {
            Some(e) => out.extend_from_slice(e),
            None => {
                let v = c as u32;
                out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((v >> shift) & 0xf) as usize]);
                }
            }
        }
        start = i + c.len_utf8();
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// Appends a duration in nanoseconds as Go prints `float64(ns) / 1000` (microseconds): the
/// shortest decimal that reads back as the same float, without exponent.
pub(crate) fn micros(out: &mut Vec<u8>, ns: i64) {
    // Below 10^15 ns the exact decimal ns/1000 has at most 15 significant digits, so it is the
    // shortest decimal of the nearest float: print it from the integer.
    if ns.unsigned_abs() < 1_000_000_000_000_000 {
        if ns < 0 {
            out.push(b'-');
        }
        let a = ns.unsigned_abs();
        uint(out, a / 1000);
        let frac = a % 1000;
        if frac != 0 {
            let digits = [
                b'.',
                b'0' + (frac / 100) as u8,
                b'0' + (frac / 10 % 10) as u8,
                b'0' + (frac % 10) as u8,
            ];
            let n = if frac % 100 == 0 {
                2
            } else if frac % 10 == 0 {
                3
            } else {
                4
            };
            out.extend_from_slice(&digits[..n]);
        }
    } else {
        use std::io::Write;
        let _ = write!(out, "{}", ns as f64 / 1000.0);
    }
}

/// Appends an unsigned integer.
pub(crate) fn uint(out: &mut Vec<u8>, mut v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

/// "00" to "99".
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends a signed integer.
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    uint(out, v.unsigned_abs());
}

/// The `args` of a viewer event, each printed as Go's struct for it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Args<'a> {
    None,
    /// `{"thread":T,"proc":P}`, each omitted at 0.
    Sched {
        thread: u64,
        proc: u64,
    },
    /// `{"blocked":"yes"}`.
    Blocked(bool),
    /// The `Goroutines` counter.
    Goroutines {
        running: u64,
        runnable: u64,
        gc_waiting: u64,
    },
    /// The `Threads` counter.
    Threads {
        running: i64,
        in_syscall: i64,
    },
    /// The `Heap` counter.
    Heap {
        allocated: u64,
        next_gc: u64,
    },
    /// `{"name":...}`.
    Name(&'a [u8]),
    /// `{"sort_index":N}`.
    SortIndex(i64),
    /// A task's `{"id":N,"start_g":G,"end_g":G}`, the goroutines omitted at 0.
    Task {
        id: u64,
        start_g: u64,
        end_g: u64,
    },
    /// A region's `{"taskid":N}`.
    TaskId(u64),
}

/// One viewer event, fields as Go's `format.Event`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event<'a> {
    pub name: &'a [u8],
    pub ph: &'static str,
    pub scope: &'a [u8],
    pub ts: i64,
    pub dur: i64,
    pub pid: u64,
    pub tid: u64,
    pub id: u64,
    pub sf: u64,
    pub esf: u64,
    pub args: Args<'a>,
    pub cname: &'static str,
    pub cat: &'a [u8],
    /// The child track of the lane a Perfetto export puts a slice on (not in the JSON).
    pub sub_lane: &'a [u8],
}

impl Default for Event<'_> {
    fn default() -> Self {
        Event {
            name: b"",
            ph: "",
            scope: b"",
            ts: 0,
            dur: 0,
            pid: 0,
            tid: 0,
            id: 0,
            sf: 0,
            esf: 0,
            args: Args::None,
            cname: "",
            cat: b"",
            sub_lane: b"",
        }
    }
}

impl Event<'_> {
    /// Appends the event as `enc.Encode` writes it, with its final newline.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        if !self.name.is_empty() {
            out.extend_from_slice(b"\"name\":");
            string(out, self.name);
            out.push(b',');
        }
        out.extend_from_slice(b"\"ph\":\"");
        out.extend_from_slice(self.ph.as_bytes());
        out.push(b'"');
        if !self.scope.is_empty() {
            out.extend_from_slice(b",\"s\":");
            string(out, self.scope);
        }
        out.extend_from_slice(b",\"ts\":");
        micros(out, self.ts);
        if self.dur != 0 {
            out.extend_from_slice(b",\"dur\":");
            micros(out, self.dur);
        }
        out.extend_from_slice(b",\"pid\":");
        uint(out, self.pid);
        out.extend_from_slice(b",\"tid\":");
        uint(out, self.tid);
        if self.id != 0 {
            out.extend_from_slice(b",\"id\":");
            uint(out, self.id);
        }
        if self.sf != 0 {
            out.extend_from_slice(b",\"sf\":");
            uint(out, self.sf);
        }
        if self.esf != 0 {
            out.extend_from_slice(b",\"esf\":");
            uint(out, self.esf);
        }
        self.encode_args(out);
        if !self.cname.is_empty() {
            out.extend_from_slice(b",\"cname\":");
            string(out, self.cname.as_bytes());
        }
        if !self.cat.is_empty() {
            out.extend_from_slice(b",\"cat\":");
            string(out, self.cat);
        }
        out.extend_from_slice(b"}\n");
    }

    fn encode_args(&self, out: &mut Vec<u8>) {
        if let Args::None = self.args {
            return;
        }
        out.extend_from_slice(b",\"args\":{");
        match self.args {
            Args::None => {}
            Args::Sched { thread, proc } => {
                if thread != 0 {
                    out.extend_from_slice(b"\"thread\":");
                    uint(out, thread);
                }
                if proc != 0 {
                    if thread != 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"\"proc\":");
                    uint(out, proc);
                }
            }
            Args::Blocked(b) => {
                out.extend_from_slice(if b {
                    b"\"blocked\":\"yes\""
                } else {
                    b"\"blocked\":\"no\""
                });
            }
            Args::Goroutines {
                running,
                runnable,
                gc_waiting,
            } => {
                out.extend_from_slice(b"\"Running\":");
                uint(out, running);
                out.extend_from_slice(b",\"Runnable\":");
                uint(out, runnable);
                out.extend_from_slice(b",\"GCWaiting\":");
                uint(out, gc_waiting);
            }
            Args::Threads {
                running,
                in_syscall,
            } => {
                out.extend_from_slice(b"\"Running\":");
                int(out, running);
                out.extend_from_slice(b",\"InSyscall\":");
                int(out, in_syscall);
            }
            Args::Heap { allocated, next_gc } => {
                out.extend_from_slice(b"\"Allocated\":");
                uint(out, allocated);
                out.extend_from_slice(b",\"NextGC\":");
                uint(out, next_gc);
            }
            Args::Name(n) => {
                out.extend_from_slice(b"\"name\":");
                string(out, n);
            }
            Args::SortIndex(i) => {
                out.extend_from_slice(b"\"sort_index\":");
                int(out, i);
            }
            Args::Task { id, start_g, end_g } => {
                out.extend_from_slice(b"\"id\":");
                uint(out, id);
                if start_g != 0 {
                    out.extend_from_slice(b",\"start_g\":");
                    uint(out, start_g);
                }
                if end_g != 0 {
                    out.extend_from_slice(b",\"end_g\":");
                    uint(out, end_g);
                }
            }
            Args::TaskId(id) => {
                out.extend_from_slice(b"\"taskid\":");
                uint(out, id);
            }
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        let mut out = Vec::new();
        string(&mut out, b);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_as_go() {
        assert_eq!(s(b"a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(
            s(b"\x01\x08\x0c\n\r\t\x7f"),
            "\"\\u0001\\b\\f\\n\\r\\t\x7f\""
        );
        assert_eq!(s("x\u{2028}y\u{2029}".as_bytes()), r#""x\u2028y\u2029""#);
        assert_eq!(
            s(b"a\xffb\xe2\x82x\xe2\x82"),
            "\"a\u{fffd}b\u{fffd}\u{fffd}x\u{fffd}\u{fffd}\""
        );
        assert_eq!(s(b"q\"\\"), r#""q\"\\""#);
    }

    #[test]
    fn micros_match_float_printing() {
        for ns in [
            0i64,
            1,
            10,
            100,
            999,
            1000,
            1001,
            1010,
            123456789,
            -5,
            -1500,
            999_999_999_999_999,
            1_000_000_000_000_001,
            i64::MAX,
            i64::MIN,
            12_345_678_901_234,
            1_000_000_007,
        ] {
            let mut out = Vec::new();
            micros(&mut out, ns);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{}", ns as f64 / 1000.0)
            );
        }
    }
}
