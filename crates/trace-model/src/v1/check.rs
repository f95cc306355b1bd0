//! Step 2, continued: the ordered events checked against the goroutine and P state machines,
//! with Go's adjustments (pseudo-Ps, stacks that don't exist).

use super::*;

/// Checks the ordered events against the goroutine and P state machines, as Go does before it
/// hands out any event, and makes Go's adjustments: GC starts go to the GC pseudo-P, unblocks
/// of goroutines blocked on the network to the poller's, and stacks that don't exist to none.
pub(super) fn check(
    version: Version,
    events: &mut [V1Event],
    stacks: &IdMap<u32, Box<[u64]>>,
) -> Result<()> {
    #[derive(Default, Clone, Copy)]
    struct G {
        status: GStatus,
        /// The type of the event that last changed how the goroutine waits.
        last: Option<u8>,
        mark_assist: bool,
    }
    #[derive(Default, Clone, Copy)]
    struct P {
        running: bool,
        g: u64,
        sweep: bool,
        stw: bool,
    }
    let mut gs: IdMap<u64, G> = IdMap::default();
    let mut ps: IdMap<i32, P> = IdMap::default();
    let mut tasks: IdMap<u64, ()> = IdMap::default();
    let mut regions: IdMap<u64, Vec<(u64, u64)>> = IdMap::default();
    gs.insert(
        0,
        G {
            status: GStatus::Running,
            ..G::default()
        },
    );
    let (mut gc, mut stw) = (false, false);
    let per_p_stw = version < Version::Go1_10;
    let name = |ty: u8| trace_format::spec::lookup(version, Ty(ty)).map_or("?", |s| s.name);
    let running = |p: &P, g: &G, e: &V1Event, allow_g0: bool| -> Result<()> {
        let n = name(e.ty);
        let msg = if g.status != GStatus::Running {
            format!("g {} is not running while {n} (time {})", e.g, e.ts)
        } else if p.g != e.g {
            format!(
                "p {} is not running g {} while {n} (time {})",
                e.p, e.g, e.ts
            )
        } else if !allow_g0 && e.g == 0 {
            format!("g 0 did {n} (time {})", e.ts)
        } else {
            return Ok(());
        };
        Err(about(state_error(msg), version, e))
    };

    for e in events.iter_mut() {
        let mut g = gs.get(&e.g).copied().unwrap_or_default();
        let mut p = ps.get(&e.p).copied().unwrap_or_default();
        let t = e.ts;
        let this = *e;
        let err = |msg: String| Err(about(state_error(msg), version, &this));
        // Whether the event changed its goroutine's entry (Go writes it back only then).
        let mut write_g = false;
        match e.ty {
            ev::PROC_START => {
                if p.running {
                    return err(format!("p {} is running before start (time {t})", e.p));
                }
                p.running = true;
            }
            ev::PROC_STOP => {
                if !p.running {
                    return err(format!("p {} is not running before stop (time {t})", e.p));
                }
                if p.g != 0 {
                    return err(format!(
                        "p {} is running a goroutine {} during stop (time {t})",
                        e.p, p.g
                    ));
                }
                p.running = false;
            }
            ev::GC_START => {
                if gc {
                    return err(format!(
                        "previous GC is not ended before a new one (time {t})"
                    ));
                }
                gc = true;
                e.p = GC_P;
            }
            ev::GC_DONE => {
                if !gc {
                    return err(format!("bogus GC end (time {t})"));
                }
                gc = false;
            }
            ev::STW_START => {
                let open = if per_p_stw { &mut p.stw } else { &mut stw };
                if *open {
                    return err(format!(
                        "previous STW is not ended before a new one (time {t})"
                    ));
                }
                *open = true;
            }
            ev::STW_DONE => {
                let open = if per_p_stw { &mut p.stw } else { &mut stw };
                if !*open {
                    return err(format!("bogus STW end (time {t})"));
                }
                *open = false;
            }
            ev::GC_SWEEP_START => {
                if p.sweep {
                    return err(format!(
                        "previous sweeping is not ended before a new one (time {t})"
                    ));
                }
                p.sweep = true;
            }
            ev::GC_SWEEP_DONE => {
                if !p.sweep {
                    return err(format!("bogus sweeping end (time {t})"));
                }
                p.sweep = false;
            }
            ev::GC_MARK_ASSIST_START => {
                write_g = true;
                if g.mark_assist {
                    return err(format!(
                        "previous mark assist is not ended before a new one (time {t})"
                    ));
                }
                g.mark_assist = true;
            }
            // A mark assist may have begun before the trace did.
            ev::GC_MARK_ASSIST_DONE => {
                write_g = true;
                g.mark_assist = false;
            }
            ev::GO_WAITING | ev::GO_IN_SYSCALL => {
                write_g = true;
                if g.status != GStatus::Runnable {
                    return err(format!(
                        "g {} is not runnable before {} (time {t})",
                        e.g,
                        if e.ty == ev::GO_WAITING {
                            "EvGoWaiting"
                        } else {
                            "EvGoInSyscall"
                        }
                    ));
                }
                g.status = GStatus::Waiting;
                g.last = Some(e.ty);
            }
            ev::GO_CREATE => {
                running(&p, &g, e, true)?;
                let child = e.args[0];
                if gs.contains_key(&child) {
                    return err(format!("g {child} already exists (time {t})"));
                }
                gs.insert(
                    child,
                    G {
                        status: GStatus::Runnable,
                        last: Some(e.ty),
                        mark_assist: false,
                    },
                );
            }
            ev::GO_START | ev::GO_START_LABEL => {
                write_g = true;
                if g.status != GStatus::Runnable {
                    return err(format!("g {} is not runnable before start (time {t})", e.g));
                }
                if p.g != 0 {
                    return err(format!(
                        "p {} is already running g {} while start g {} (time {t})",
                        e.p, p.g, e.g
                    ));
                }
                g.status = GStatus::Running;
                g.last = None;
                p.g = e.g;
            }
            ev::GO_END | ev::GO_STOP => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Dead;
                p.g = 0;
                if e.ty == ev::GO_END {
                    regions.remove(&e.g);
                }
            }
            ev::GO_SCHED | ev::GO_PREEMPT => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Runnable;
                g.last = Some(e.ty);
                p.g = 0;
            }
            ev::GO_UNBLOCK => {
                if g.status != GStatus::Running {
                    return err(format!("g {} is not running while unpark (time {t})", e.g));
                }
                if e.p != TIMER_P && p.g != e.g {
                    return err(format!(
                        "p {} is not running g {} while unpark (time {t})",
                        e.p, e.g
                    ));
                }
                let target = e.args[0];
                let mut g1 = gs.get(&target).copied().unwrap_or_default();
                if g1.status != GStatus::Waiting {
                    return err(format!(
                        "g {target} is not waiting before unpark (time {t})"
                    ));
                }
                if g1.last == Some(ev::GO_BLOCK_NET) {
                    e.p = NETPOLL_P;
                }
                g1.status = GStatus::Runnable;
                g1.last = Some(e.ty);
                gs.insert(target, g1);
            }
            ev::GO_SYS_CALL => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.last = Some(e.ty);
            }
            ev::GO_SYS_BLOCK => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Waiting;
                p.g = 0;
            }
            ev::GO_SYS_EXIT => {
                write_g = true;
                if g.status != GStatus::Waiting {
                    return err(format!(
                        "g {} is not waiting during syscall exit (time {t})",
                        e.g
                    ));
                }
                g.status = GStatus::Runnable;
                g.last = Some(e.ty);
            }
            ty if ev::blocks(ty) => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Waiting;
                g.last = Some(ty);
                p.g = 0;
            }
            ev::USER_TASK_CREATE => {
                let id = e.args[0];
                if tasks.insert(id, ()).is_some() {
                    return err(format!("task id conflicts (id:{id})"));
                }
            }
            ev::USER_TASK_END => {
                tasks.remove(&e.args[0]);
            }
            ev::USER_REGION => {
                let stack = regions.entry(e.g).or_default();
                match e.args[1] {
                    0 => stack.push((e.args[0], e.args[2])),
                    1 => {
                        if let Some(&(task, name)) = stack.last() {
                            if task != e.args[0] || name != e.args[2] {
                                return err(format!(
                                    "misuse of region in goroutine {}: region end does not match the innermost active region",
                                    e.g
                                ));
                            }
                            stack.pop();
                        }
                    }
                    _ => return err(format!("invalid user region mode: {}", e.args[1])),
                }
                if stack.is_empty() {
                    regions.remove(&e.g);
                }
            }
            _ => {}
        }
        if write_g {
            gs.insert(e.g, g);
        }
        ps.insert(e.p, p);
        if e.stack != 0 && stacks.get(&e.stack).is_none_or(|s| s.is_empty()) {
            e.stack = 0;
        }
    }
    Ok(())
}
