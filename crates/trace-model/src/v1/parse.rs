//! Step 1 of reading a v1 trace: every record in file order into per-P event lists, strings,
//! stacks and frames.

use super::*;

/// Everything read from the records of a v1 trace.
pub(super) struct Parsed {
    pub(super) version: Version,
    pub(super) strings: IdMap<u64, Box<[u8]>>,
    /// `UserLog` messages, which v1 writes inline; an event refers to one by index.
    pub(super) inline: Vec<Box<[u8]>>,
    pub(super) stacks: IdMap<u32, Box<[u64]>>,
    pub(super) frames: IdMap<u64, FrameRecord>,
    /// Each P's events in file order, Ps in order of first appearance.
    pub(super) procs: Vec<(i32, Vec<V1Event>)>,
    pub(super) cpu_samples: Vec<V1Event>,
    pub(super) ticks_per_sec: i64,
    pub(super) timer_goroutines: IdMap<u64, ()>,
}

/// Reads every record of a v1 trace (step 1). When `salvage` holds a place for it, a record
/// that can't be read ends the records (and is put there) rather than the reading.
pub(super) fn parse(
    bytes: &[u8],
    limits: Limits,
    mut salvage: Option<&mut Option<Error>>,
) -> Result<Parsed> {
    let trace = Trace::parse_with_limits(bytes, limits)?;
    let version = trace.version();
    let go15 = version == Version::Go1_5;
    let mut out = Parsed {
        version,
        strings: IdMap::default(),
        inline: Vec::new(),
        stacks: IdMap::default(),
        frames: IdMap::default(),
        procs: Vec::new(),
        cpu_samples: Vec::new(),
        ticks_per_sec: 0,
        timer_goroutines: IdMap::default(),
    };
    let mut inline_ids: HashMap<Box<[u8]>, usize> = HashMap::new();
    let mut proc_index: IdMap<i32, usize> = IdMap::default();
    let mut cur: Option<usize> = None;
    let (mut last_p, mut last_g, mut last_ts, mut last_seq) = (0i32, 0u64, 0i64, 0i64);
    let mut last_gs: IdMap<i32, u64> = IdMap::default();

    let trace_format::RawEvents::V1(mut records) = trace.raw_events()? else {
        return Err(Error::new(crate::error::ErrorKind::Unsupported(
            version.minor(),
        )));
    };
    // Salvage: whether a stack record followed the frequency. Go 1.7 to 1.21 write the
    // frequency, the timer goroutines (to Go 1.13) and then the stacks: once a stack is read,
    // every event's P is known.
    let mut stack_after_frequency = false;
    loop {
        let raw = match records.next_event() {
            Ok(Some(raw)) => raw,
            Ok(None) => break,
            Err(e) if !e.is_limit() => match salvage.as_deref_mut() {
                Some(damage) => {
                    *damage = Some(e.into());
                    break;
                }
                None => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        let ty = raw.ty().0;
        let a = raw.args();
        let at = raw.offset();
        if ty == ev::STRING {
            out.strings
                .insert(a[0], raw.data().unwrap_or_default().into());
            continue;
        }
        if ty == ev::BATCH {
            let pid = a[0];
            if pid != u64::MAX && pid > i32::MAX as u64 {
                return Err(state_error(format!(
                    "processor ID {pid} is larger than maximum of {}",
                    i32::MAX
                ))
                .at_event(raw.name(), at));
            }
            last_gs.insert(last_p, last_g);
            last_p = if pid == u64::MAX { -1 } else { pid as i32 };
            last_g = last_gs.get(&last_p).copied().unwrap_or(0);
            if go15 {
                last_seq = a[1] as i64;
                last_ts = a[2] as i64;
            } else {
                last_ts = a[1] as i64;
            }
            let i = *proc_index.entry(last_p).or_insert_with(|| {
                out.procs.push((last_p, Vec::new()));
                out.procs.len() - 1
            });
            cur = Some(i);
            continue;
        }
        let Some(cur) = cur else {
            return Err(
                state_error("an event before the first batch".into()).at_event(raw.name(), at)
            );
        };
        match ty {
            ev::FREQUENCY => {
                out.ticks_per_sec = a[0] as i64;
                if out.ticks_per_sec <= 0 {
                    return Err(time_order().at_event(raw.name(), at));
                }
            }
            ev::TIMER_GOROUTINE => {
                out.timer_goroutines.insert(a[0], ());
            }
            ev::STACK => {
                stack_after_frequency |= out.ticks_per_sec != 0;
                let id = a[0] as u32;
                let frames = raw.frames();
                if id != 0 && !frames.is_empty() {
                    let mut pcs = Vec::with_capacity(frames.len());
                    for f in frames.iter() {
                        pcs.push(f.pc);
                        // Go 1.5 and 1.6 stacks have PCs only: leave their frames unknown.
                        if !go15 {
                            out.frames.entry(f.pc).or_insert(FrameRecord {
                                func: f.func,
                                file: f.file,
                                line: f.line,
                            });
                        }
                    }
                    out.stacks.insert(id, pcs.into());
                }
            }
            ev::CPU_SAMPLE => {
                // Written late by the profiler: their own time, P and goroutine, and no part in
                // the batch's time deltas.
                out.cpu_samples.push(V1Event {
                    ts: a[1] as i64,
                    seq: 0,
                    g: a[3],
                    args: [0; 4],
                    stack: a[4] as u32,
                    p: a[2] as i32,
                    ty,
                    blocked: false,
                    offset: at,
                });
            }
            _ => {
                let (dt, rest) = if go15 {
                    last_seq = last_seq.wrapping_add(a[0] as i64);
                    (a[1], &a[2..])
                } else {
                    (a[0], &a[1..])
                };
                last_ts = last_ts.wrapping_add(dt as i64);
                let mut e = V1Event {
                    ts: last_ts,
                    seq: last_seq,
                    g: last_g,
                    args: [0; 4],
                    stack: 0,
                    p: last_p,
                    ty,
                    blocked: false,
                    offset: at,
                };
                // The last argument of an event with a stack is the stack.
                let own_stack = v1_has_stack(version, ty);
                let (plain, stack) = if own_stack {
                    let (s, p) = rest.split_last().map_or((0, rest), |(s, p)| (*s, p));
                    (p, s)
                } else {
                    (rest, 0)
                };
                e.stack = stack as u32;
                for (slot, v) in e.args.iter_mut().zip(plain) {
                    *slot = *v;
                }
                match ty {
                    ev::GO_START | ev::GO_START_LOCAL | ev::GO_START_LABEL => {
                        last_g = e.args[0];
                        e.g = last_g;
                    }
                    ev::GO_SYS_EXIT | ev::GO_WAITING | ev::GO_IN_SYSCALL => e.g = e.args[0],
                    ev::USER_LOG => {
                        let msg = raw.data().unwrap_or_default();
                        e.args[3] = inline_id(&mut out.inline, &mut inline_ids, msg) as u64;
                    }
                    t if ev::stops_g(t) => last_g = 0,
                    _ => {}
                }
                if let Some((_, list)) = out.procs.get_mut(cur) {
                    list.push(e);
                }
            }
        }
    }
    if out.ticks_per_sec == 0 {
        return Err(state_error("no EvFrequency event".into()));
    }
    let damaged = salvage.is_some_and(|d| d.is_some());
    if damaged && (go15 || !stack_after_frequency) {
        // Go 1.5 writes the timer goroutines last of all.
        let why = "cut before the stacks that follow its frequency: timer goroutines unknown";
        return Err(state_error(why.into()));
    }
    Ok(out)
}

/// The index of an inline `UserLog` message, the same for equal messages.
pub(super) fn inline_id(
    inline: &mut Vec<Box<[u8]>>,
    ids: &mut HashMap<Box<[u8]>, usize>,
    msg: &[u8],
) -> usize {
    if let Some(&i) = ids.get(msg) {
        return i;
    }
    inline.push(msg.into());
    ids.insert(msg.into(), inline.len() - 1);
    inline.len() - 1
}
