//! The `events` table: one row per event of the ordered stream.

use crate::columns::{rows, TableFile};
use crate::stacks::Stacks;
use crate::Error;
use trace_model::{Event, EventKind, ResourceKind, NO_TASK};

rows!(
    /// The `events` table's buffers.
    EventRows {
        time: I64::required,
        kind: StaticStr::required,
        event: StaticStr::required,
        m: I64::optional,
        p: I64::optional,
        g: I64::optional,
        stack_id: I64::optional,
        resource: StaticStr::optional,
        resource_id: I64::optional,
        from_state: StaticStr::optional,
        to_state: StaticStr::optional,
        reason: Str::optional,
        transition_stack_id: I64::optional,
        range_name: Str::optional,
        swept_bytes: I64::optional,
        reclaimed_bytes: I64::optional,
        task_id: I64::optional,
        parent_task_id: I64::optional,
        task_type: Str::optional,
        region_type: Str::optional,
        log_category: Str::optional,
        log_message: Str::optional,
        label: Str::optional,
        metric_name: StaticStr::optional,
        metric_value: I64::optional,
        sync_n: I64::optional,
    }
);

/// What an event has beyond time, kind, M, P, G and stack: every column that may be null.
#[derive(Default)]
struct Details<'a> {
    resource: Option<&'static str>,
    resource_id: Option<i64>,
    from_state: Option<&'static str>,
    to_state: Option<&'static str>,
    reason: Option<&'a [u8]>,
    transition_stack_id: Option<i64>,
    range_name: Option<&'a [u8]>,
    swept_bytes: Option<i64>,
    reclaimed_bytes: Option<i64>,
    task_id: Option<i64>,
    parent_task_id: Option<i64>,
    task_type: Option<&'a [u8]>,
    region_type: Option<&'a [u8]>,
    log_category: Option<&'a [u8]>,
    log_message: Option<&'a [u8]>,
    label: Option<&'a [u8]>,
    metric_name: Option<&'static str>,
    metric_value: Option<i64>,
    sync_n: Option<i64>,
}

/// Go's name of a resource kind, `None` for none.
fn resource_name(kind: ResourceKind) -> Option<&'static str> {
    match kind {
        ResourceKind::Goroutine => Some("Goroutine"),
        ResourceKind::Proc => Some("Proc"),
        ResourceKind::Thread => Some("Thread"),
        _ => None,
    }
}

/// An M, P or goroutine ID, null for none (Go's -1).
#[inline]
fn some_id(id: i64) -> Option<i64> {
    (id != -1).then_some(id)
}

/// A task ID as a BIGINT (IDs past 2^63 wrap, as Go's uint64 does in a signed column).
fn task(id: u64) -> i64 {
    id as i64
}

/// Appends `ev` to the table; its stacks get their IDs from `stacks`.
#[inline]
pub(crate) fn push(
    file: &mut TableFile<EventRows>,
    stacks: &mut Stacks,
    ev: &Event,
) -> Result<(), Error> {
    let kind = ev.kind();
    if kind == EventKind::Sync {
        stacks.new_generation();
    }
    let stack_id = stacks.id(&ev.stack())?;
    let mut d = Details::default();
    // What the details borrow from, alive until the row is pushed.
    let range;
    let task_ev;
    let region;
    let log;
    let label;
    match kind {
        EventKind::StateTransition => {
            if let Some(st) = ev.state_transition() {
                d.resource = resource_name(st.resource.kind);
                d.resource_id = Some(st.resource.id);
                if let Some((from, to)) = st.goroutine() {
                    d.from_state = Some(from.name());
                    d.to_state = Some(to.name());
                } else if let Some((from, to)) = st.proc() {
                    d.from_state = Some(from.name());
                    d.to_state = Some(to.name());
                }
                d.reason = (!st.reason.is_empty()).then_some(st.reason);
                d.transition_stack_id = stacks.id(&st.stack)?;
            }
        }
        EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
            range = ev.range();
            if let Some(r) = &range {
                d.range_name = Some(&r.name);
                d.resource = resource_name(r.scope.kind);
                d.resource_id = d.resource.map(|_| r.scope.id);
            }
            if kind == EventKind::RangeEnd {
                for a in ev.range_attributes() {
                    match a.name {
                        "bytes swept" => d.swept_bytes = Some(a.value as i64),
                        "bytes reclaimed" => d.reclaimed_bytes = Some(a.value as i64),
                        _ => {}
                    }
                }
            }
        }
        EventKind::TaskBegin | EventKind::TaskEnd => {
            task_ev = ev.task();
            if let Some(t) = &task_ev {
                d.task_id = Some(task(t.id));
                d.parent_task_id = (t.parent != NO_TASK).then(|| task(t.parent));
                d.task_type = Some(t.ty);
            }
        }
        EventKind::RegionBegin | EventKind::RegionEnd => {
            region = ev.region();
            if let Some(r) = &region {
                d.task_id = Some(task(r.task));
                d.region_type = Some(r.ty);
            }
        }
        EventKind::Log => {
            log = ev.log();
            if let Some(l) = &log {
                d.task_id = Some(task(l.task));
                d.log_category = Some(l.category);
                d.log_message = Some(l.message);
            }
        }
        EventKind::Label => {
            label = ev.label();
            if let Some(l) = &label {
                d.label = Some(l.label);
                d.resource = resource_name(l.resource.kind);
                d.resource_id = d.resource.map(|_| l.resource.id);
            }
        }
        EventKind::Metric => {
            if let Some(m) = ev.metric() {
                d.metric_name = Some(m.name);
                d.metric_value = Some(m.value as i64);
            }
        }
        EventKind::Sync => {
            d.sync_n = ev.sync().map(|s| s.n as i64);
        }
        _ => {}
    }
    let r = file.cols();
    r.time.push(ev.time());
    r.kind.push(kind.name());
    r.event.push(ev.wire_name());
    r.m.push_opt(some_id(ev.thread()));
    r.p.push_opt(some_id(ev.proc()));
    r.g.push_opt(some_id(ev.goroutine()));
    r.stack_id.push_opt(stack_id);
    r.resource.push_opt(d.resource);
    r.resource_id.push_opt(d.resource_id);
    r.from_state.push_opt(d.from_state);
    r.to_state.push_opt(d.to_state);
    r.reason.push_opt(d.reason);
    r.transition_stack_id.push_opt(d.transition_stack_id);
    r.range_name.push_opt(d.range_name);
    r.swept_bytes.push_opt(d.swept_bytes);
    r.reclaimed_bytes.push_opt(d.reclaimed_bytes);
    r.task_id.push_opt(d.task_id);
    r.parent_task_id.push_opt(d.parent_task_id);
    r.task_type.push_opt(d.task_type);
    r.region_type.push_opt(d.region_type);
    r.log_category.push_opt(d.log_category);
    r.log_message.push_opt(d.log_message);
    r.label.push_opt(d.label);
    r.metric_name.push_opt(d.metric_name);
    r.metric_value.push_opt(d.metric_value);
    r.sync_n.push_opt(d.sync_n);
    file.end_row()
}
