//! TEMPORARY STUB (being replaced by an exact replica of Go's slices.SortFunc).
pub(crate) fn sort_func<T, F: FnMut(&T, &T) -> std::cmp::Ordering>(v: &mut [T], cmp: F) {
    v.sort_by(cmp);
}
