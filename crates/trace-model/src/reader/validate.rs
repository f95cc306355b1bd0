//! The check of an event's string and stack IDs against its generation's tables.

use super::*;

/// Go checks every string and stack ID an event refers to against its generation's tables.
/// `limits` are the current generation's (every event checked here is of it).
#[inline(always)]
pub(super) fn validate_ids(
    ev: &Event,
    limits: &[[u64; 4]; 256],
) -> std::result::Result<(), OrderError> {
    let ty = ev.base.ty as usize;
    // Most IDs are within the tables' dense runs: check all four arguments at once.
    let (a, lim) = (&ev.base.args, &limits[ty]);
    if (a[0] <= lim[0]) & (a[1] <= lim[1]) & (a[2] <= lim[2]) & (a[3] <= lim[3]) {
        return Ok(());
    }
    match ev.table.as_deref() {
        Some(table) => validate_slow(ev, table),
        None => Ok(()),
    }
}

/// [`validate_ids`] for an ID past a dense run: look each up, in the order Go's spec lists
/// them (stacks, then strings), so that the first invalid one is Go's.
#[cold]
pub(super) fn validate_slow(ev: &Event, table: &Table) -> std::result::Result<(), OrderError> {
    // Never a Sync or CPU sample: their limits are all `u64::MAX`.
    let ty = ev.base.ty;
    let Some(spec) = spec_of(ty) else {
        return Ok(());
    };
    let kinds = [
        ("stack", true, spec.stack_ids),
        ("string", false, spec.string_ids),
    ];
    for (what, stack, ids) in kinds {
        for slot in ids.iter().filter_map(|&i| arg_slot(i)) {
            let id = ev.base.args.get(slot).copied().unwrap_or(0);
            let valid = if stack {
                table.has_stack(id)
            } else {
                table.string(id).is_some()
            };
            if !valid {
                return Err(OrderError::InvalidId {
                    what,
                    id,
                    event: wire_name(ty),
                });
            }
        }
    }
    Ok(())
}
