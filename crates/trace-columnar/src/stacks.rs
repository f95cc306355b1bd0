//! Trace-wide stack IDs. A trace's stack IDs are per generation (the same ID names different
//! stacks in different generations), so the table's ID is a hash of the frames: the same
//! stack in two generations, or in two traces of the same program, has the same ID, and a
//! query can group by it across traces. Each distinct stack's frames are written once.

use crate::columns::{rows, TableFile};
use crate::Error;
use std::collections::HashMap;
use trace_format::hash::{IdMap, IdSet};
use trace_model::Stack;
use twox_hash::XxHash3_128;

rows!(
    /// The `stacks` table's buffers.
    StackRows {
        stack_id: I64::required,
        depth: I64::required,
        function: Str::required,
        file: Str::required,
        line: I64::required,
        pc: I64::required,
    }
);

/// A frame as the stacks table takes it: PC, function, file, line.
pub(crate) type FrameRef<'a> = (u64, &'a [u8], &'a [u8], u64);

/// Gives stacks their trace-wide IDs, writing each new stack's frames to the `stacks` table.
pub(crate) struct Stacks {
    pub(crate) file: TableFile<StackRows>,
    /// The trace-wide IDs of the current generation's stacks, by their ID in the generation.
    by_gen_id: IdMap<u64, i64>,
    /// Trace-wide IDs by the 128-bit hash of the frames.
    by_hash: HashMap<u128, i64, std::hash::BuildHasherDefault<trace_format::hash::IdHasher>>,
    /// The IDs given, to keep them unique should two hashes share 63 bits.
    used: IdSet<i64>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Stacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacks")
            .field("distinct", &self.by_hash.len())
            .finish()
    }
}

/// The XXH3 128-bit hash of a stack's frames: each frame's PC and line, then its function and
/// file names with their lengths, so that no two different stacks hash the same bytes.
/// `scratch` holds those bytes.
pub(crate) fn hash_frames<'a>(
    frames: impl Iterator<Item = FrameRef<'a>>,
    scratch: &mut Vec<u8>,
) -> u128 {
    scratch.clear();
    for (pc, func, file, line) in frames {
        scratch.extend_from_slice(&pc.to_le_bytes());
        scratch.extend_from_slice(&line.to_le_bytes());
        scratch.extend_from_slice(&(func.len() as u64).to_le_bytes());
        scratch.extend_from_slice(func);
        scratch.extend_from_slice(&(file.len() as u64).to_le_bytes());
        scratch.extend_from_slice(file);
    }
    XxHash3_128::oneshot(scratch)
}

impl Stacks {
    pub(crate) fn new(file: TableFile<StackRows>) -> Stacks {
        Stacks {
            file,
            by_gen_id: IdMap::default(),
            by_hash: HashMap::default(),
            used: IdSet::default(),
            scratch: Vec::new(),
        }
    }

    /// A new generation begins: its stack IDs mean other stacks.
    pub(crate) fn new_generation(&mut self) {
        self.by_gen_id.clear();
    }

    /// The trace-wide ID of an event's stack, `None` for no stack. A stack with no frames
    /// has an ID, and no rows.
    #[inline]
    pub(crate) fn id(&mut self, stack: &Stack<'_>) -> Result<Option<i64>, Error> {
        if stack.is_none() {
            return Ok(None);
        }
        if let Some(&id) = self.by_gen_id.get(&stack.id()) {
            return Ok(Some(id));
        }
        self.id_slow(stack).map(Some)
    }

    #[cold]
    fn id_slow(&mut self, stack: &Stack<'_>) -> Result<i64, Error> {
        let frames = || stack.frames().map(|f| (f.pc, f.func, f.file, f.line));
        let id = self.intern(frames)?;
        self.by_gen_id.insert(stack.id(), id);
        Ok(id)
    }

    /// The ID of the stack of `frames` (innermost first), which may be called more than once.
    pub(crate) fn intern<'a, I: Iterator<Item = FrameRef<'a>>>(
        &mut self,
        frames: impl Fn() -> I,
    ) -> Result<i64, Error> {
        let h = hash_frames(frames(), &mut self.scratch);
        if let Some(&id) = self.by_hash.get(&h) {
            return Ok(id);
        }
        // 63 bits of the hash: a non-negative BIGINT. Should two stacks share them, the later
        // takes the next free ID.
        let mut id = ((h as u64) >> 1) as i64;
        while !self.used.insert(id) {
            id = id.wrapping_add(1) & i64::MAX;
        }
        self.by_hash.insert(h, id);
        for (depth, (pc, func, file, line)) in frames().enumerate() {
            let r = self.file.cols();
            r.stack_id.push(id);
            r.depth.push(depth as i64);
            r.function.push(func);
            r.file.push(file);
            r.line.push(line as i64);
            r.pc.push(pc as i64);
            self.file.end_row()?;
        }
        Ok(id)
    }
}
