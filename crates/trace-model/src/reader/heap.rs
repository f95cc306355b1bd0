//! Go's heap of cursors, the frontier: the cursors with events left, ordered by the time of their
//! next event. The exact sift operations matter: they decide which of two events with the same
//! time is tried first.

use super::Time;

/// An entry of the frontier: the time of a cursor's next event, and the cursor.
#[derive(Debug, Clone, Copy)]
pub(super) struct Front {
    pub(super) time: Time,
    pub(super) cursor: usize,
}

pub(super) fn insert(h: &mut Vec<Front>, c: Front) {
    h.push(c);
    let last = h.len() - 1;
    sift_up(h, last);
}

#[inline(always)]
pub(super) fn update(h: &mut [Front], i: usize) {
    if sift_up(h, i) != i {
        return;
    }
    sift_down(h, i);
}

pub(super) fn remove(h: &mut Vec<Front>, mut i: usize) {
    while i > 0 {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    let last = h.len() - 1;
    h.swap(0, last);
    h.pop();
    sift_down(h, 0);
}

#[inline(always)]
pub(super) fn sift_up(h: &mut [Front], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2].time > h[i].time {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

#[inline(always)]
pub(super) fn sift_down(h: &mut [Front], mut i: usize) {
    loop {
        let m = min3(h, i, 2 * i + 1, 2 * i + 2);
        if m == i {
            break;
        }
        h.swap(i, m);
        i = m;
    }
}

#[inline(always)]
pub(super) fn min3(h: &[Front], i0: usize, i1: usize, i2: usize) -> usize {
    let mut min = i0;
    let mut t = h.get(i0).map_or(i64::MAX, |c| c.time);
    for i in [i1, i2] {
        if let Some(c) = h.get(i) {
            if c.time < t {
                t = c.time;
                min = i;
            }
        }
    }
    min
}
