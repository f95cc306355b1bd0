//! Column buffers and the Parquet file of one table: rows are buffered column by column, and
//! every `row_group_rows` rows the buffers are written out as a row group and cleared, so a
//! table holds at most one row group in memory however long the trace.

use crate::schema::{ColType, TableSpec};
use crate::Error;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::hash::Hasher;
use std::io::BufWriter;
use std::sync::Arc;
use trace_format::hash::{IdHasher, IdMap};

type Out = BufWriter<File>;
type RowGroup<'a> = SerializedRowGroupWriter<'a, Out>;

/// Definition levels of an optional column (`1` a value, `0` null), `None` for a required one.
#[derive(Debug, Default)]
struct Defs(Option<Vec<i16>>);

impl Defs {
    fn new(optional: bool) -> Defs {
        Defs(optional.then(Vec::new))
    }
    #[inline]
    fn push(&mut self, present: bool) {
        if let Some(d) = &mut self.0 {
            d.push(i16::from(present));
        }
    }
    fn levels(&self) -> Option<&[i16]> {
        self.0.as_deref()
    }
    fn clear(&mut self) {
        if let Some(d) = &mut self.0 {
            d.clear();
        }
    }
}

/// A column of 64-bit integers (timestamps included).
#[derive(Debug)]
pub(crate) struct I64 {
    vals: Vec<i64>,
    defs: Defs,
}

impl I64 {
    /// A column that is never null.
    pub(crate) fn required() -> I64 {
        I64 {
            vals: Vec::new(),
            defs: Defs::new(false),
        }
    }
    /// A column that may be null.
    pub(crate) fn optional() -> I64 {
        I64 {
            vals: Vec::new(),
            defs: Defs::new(true),
        }
    }
    #[inline]
    pub(crate) fn push(&mut self, v: i64) {
        self.vals.push(v);
        self.defs.push(true);
    }
    #[inline]
    pub(crate) fn push_opt(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.push(v),
            None => self.defs.push(false),
        }
    }
}

/// A column of booleans.
#[derive(Debug)]
pub(crate) struct Bool {
    vals: Vec<bool>,
}

impl Bool {
    pub(crate) fn required() -> Bool {
        Bool { vals: Vec::new() }
    }
    #[inline]
    pub(crate) fn push(&mut self, v: bool) {
        self.vals.push(v);
    }
}

/// A column of strings from a fixed set known when compiling (kinds, states, names of wire
/// events): held as `&'static str`, written without copying.
#[derive(Debug)]
pub(crate) struct StaticStr {
    vals: Vec<&'static str>,
    defs: Defs,
}

impl StaticStr {
    pub(crate) fn required() -> StaticStr {
        StaticStr {
            vals: Vec::new(),
            defs: Defs::new(false),
        }
    }
    pub(crate) fn optional() -> StaticStr {
        StaticStr {
            vals: Vec::new(),
            defs: Defs::new(true),
        }
    }
    #[inline]
    pub(crate) fn push(&mut self, v: &'static str) {
        self.vals.push(v);
        self.defs.push(true);
    }
    #[inline]
    pub(crate) fn push_opt(&mut self, v: Option<&'static str>) {
        match v {
            Some(v) => self.push(v),
            None => self.defs.push(false),
        }
    }
}

/// A column of strings from the trace. Each distinct string is held once per row group (the
/// row group's values are indices), so repeated names cost four bytes a row, and the strings
/// are dropped with the row group.
#[derive(Debug)]
pub(crate) struct Str {
    codes: Vec<u32>,
    defs: Defs,
    dict: Vec<Bytes>,
    /// The first code of each hash; `chain` links codes of the same hash.
    index: IdMap<u64, u32>,
    chain: Vec<u32>,
    /// The code last pushed of each length modulo 8: names repeat, and most rows find theirs
    /// here without hashing.
    recent: [u32; 8],
}

/// No code: the end of a chain.
const NO_CODE: u32 = u32::MAX;

impl Str {
    pub(crate) fn required() -> Str {
        Str::new(false)
    }
    pub(crate) fn optional() -> Str {
        Str::new(true)
    }
    fn new(optional: bool) -> Str {
        Str {
            codes: Vec::new(),
            defs: Defs::new(optional),
            dict: Vec::new(),
            index: IdMap::default(),
            chain: Vec::new(),
            recent: [NO_CODE; 8],
        }
    }
    #[inline]
    pub(crate) fn push(&mut self, v: &[u8]) {
        let slot = v.len() % 8;
        let recent = self.recent.get(slot).copied().unwrap_or(NO_CODE);
        let code = match self.dict.get(recent as usize) {
            Some(d) if same(d, v) => recent,
            _ => self.lookup(v),
        };
        if let Some(r) = self.recent.get_mut(slot) {
            *r = code;
        }
        self.codes.push(code);
        self.defs.push(true);
    }
    fn lookup(&mut self, v: &[u8]) -> u32 {
        let mut h = IdHasher::default();
        h.write(v);
        let h = h.finish();
        let mut code = self.index.get(&h).copied().unwrap_or(NO_CODE);
        while code != NO_CODE {
            if self.dict.get(code as usize).is_some_and(|d| same(d, v)) {
                break;
            }
            code = self.chain.get(code as usize).copied().unwrap_or(NO_CODE);
        }
        if code == NO_CODE {
            code = self.intern(h, v);
        }
        code
    }
    #[cold]
    fn intern(&mut self, h: u64, v: &[u8]) -> u32 {
        let code = self.dict.len() as u32;
        self.dict.push(utf8(v));
        let next = self.index.insert(h, code).unwrap_or(NO_CODE);
        self.chain.push(next);
        code
    }
    #[inline]
    pub(crate) fn push_opt(&mut self, v: Option<&[u8]>) {
        match v {
            Some(v) => self.push(v),
            None => self.defs.push(false),
        }
    }
}

/// Bytes from the trace as a Parquet string, which must be UTF-8: as they are if they are
/// (Go writes UTF-8), else with each invalid byte sequence replaced by U+FFFD, as Go's
/// `encoding/json` and `trace-goroutines --json` write them.
fn utf8(v: &[u8]) -> Bytes {
    match String::from_utf8_lossy(v) {
        std::borrow::Cow::Borrowed(_) => Bytes::copy_from_slice(v),
        std::borrow::Cow::Owned(s) => Bytes::from(s),
    }
}

/// Whether two strings are equal, compared eight bytes at a time. The strings are short
/// (reasons, names), and a call of the C library's `memcmp` for each costs more than the
/// comparison (on some machines many times more).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut a8).zip(&mut b8) {
        // Arrays of eight bytes compare as one word.
        match (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) {
            (Ok(x), Ok(y)) if x == y => {}
            _ => return false,
        }
    }
    a8.remainder()
        .iter()
        .zip(b8.remainder())
        .all(|(x, y)| x == y)
}

/// A map from strings to 64-bit integers (Parquet's `MAP` of `STRING` to `INT64`), never null;
/// an empty map is a row with no entries.
#[derive(Debug, Default)]
pub(crate) struct MapStrI64 {
    keys: Vec<ByteArray>,
    vals: Vec<i64>,
    defs: Vec<i16>,
    reps: Vec<i16>,
}

impl MapStrI64 {
    pub(crate) fn required() -> MapStrI64 {
        MapStrI64::default()
    }
    /// One row: the map's entries.
    pub(crate) fn push<'a>(&mut self, entries: impl IntoIterator<Item = (&'a [u8], i64)>) {
        let mut first = true;
        for (k, v) in entries {
            self.keys.push(ByteArray::from(utf8(k)));
            self.vals.push(v);
            self.defs.push(1);
            self.reps.push(i16::from(!first));
            first = false;
        }
        if first {
            // An empty map: the repeated group is absent.
            self.defs.push(0);
            self.reps.push(0);
        }
    }
}

/// One column of a table's buffers, to write or check.
#[derive(Debug)]
pub(crate) enum Col<'a> {
    I64(&'a mut I64),
    Bool(&'a mut Bool),
    StaticStr(&'a mut StaticStr),
    Str(&'a mut Str),
    Map(&'a mut MapStrI64),
}

impl<'a> From<&'a mut I64> for Col<'a> {
    fn from(c: &'a mut I64) -> Col<'a> {
        Col::I64(c)
    }
}
impl<'a> From<&'a mut Bool> for Col<'a> {
    fn from(c: &'a mut Bool) -> Col<'a> {
        Col::Bool(c)
    }
}
impl<'a> From<&'a mut StaticStr> for Col<'a> {
    fn from(c: &'a mut StaticStr) -> Col<'a> {
        Col::StaticStr(c)
    }
}
impl<'a> From<&'a mut Str> for Col<'a> {
    fn from(c: &'a mut Str) -> Col<'a> {
        Col::Str(c)
    }
}
impl<'a> From<&'a mut MapStrI64> for Col<'a> {
    fn from(c: &'a mut MapStrI64) -> Col<'a> {
        Col::Map(c)
    }
}

/// The buffers of a table's rows: a struct with a field per column (see [`rows!`]).
pub(crate) trait Rows: Send {
    /// The columns' names, in the struct's order.
    fn names(&self) -> &'static [&'static str];
    /// The columns, in the same order.
    fn columns(&mut self) -> Vec<Col<'_>>;
    /// Empty buffers.
    fn fresh() -> Self
    where
        Self: Sized;
}

/// Declares a table's buffers: `rows!(Name { field: Type::ctor, ... })`, fields in the order
/// of the table's columns and named as they are.
macro_rules! rows {
    ($(#[$m:meta])* $name:ident { $($field:ident: $ty:ident :: $ctor:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug)]
        pub(crate) struct $name {
            $(pub(crate) $field: $crate::columns::$ty,)*
        }
        impl $name {
            pub(crate) fn new() -> $name {
                $name { $($field: $crate::columns::$ty::$ctor(),)* }
            }
        }
        impl $crate::columns::Rows for $name {
            fn fresh() -> $name {
                $name::new()
            }
            fn names(&self) -> &'static [&'static str] {
                &[$(stringify!($field)),*]
            }
            fn columns(&mut self) -> Vec<$crate::columns::Col<'_>> {
                vec![$($crate::columns::Col::from(&mut self.$field)),*]
            }
        }
    };
}
pub(crate) use rows;

fn wrong_type(table: &str, column: &str) -> Error {
    Error::Schema(format!("{table}.{column}: buffer and schema disagree"))
}

/// The next leaf column of the row group, which the schema says exists.
fn next_leaf<'b>(
    rg: &'b mut RowGroup<'_>,
    table: &str,
    column: &str,
) -> Result<parquet::file::writer::SerializedColumnWriter<'b>, Error> {
    rg.next_column()?
        .ok_or_else(|| Error::Schema(format!("{table}.{column}: no such column")))
}

impl Col<'_> {
    /// Writes the buffered values as the column's chunk of the row group, and clears them.
    fn write(self, rg: &mut RowGroup<'_>, table: &str, column: &str) -> Result<(), Error> {
        let mut leaf = next_leaf(rg, table, column)?;
        match (self, leaf.untyped()) {
            (Col::I64(c), ColumnWriter::Int64ColumnWriter(w)) => {
                w.write_batch(&c.vals, c.defs.levels(), None)?;
                c.vals.clear();
                c.defs.clear();
            }
            (Col::Bool(c), ColumnWriter::BoolColumnWriter(w)) => {
                w.write_batch(&c.vals, None, None)?;
                c.vals.clear();
            }
            (Col::StaticStr(c), ColumnWriter::ByteArrayColumnWriter(w)) => {
                let vals: Vec<ByteArray> = c
                    .vals
                    .iter()
                    .map(|s| ByteArray::from(Bytes::from_static(s.as_bytes())))
                    .collect();
                w.write_batch(&vals, c.defs.levels(), None)?;
                c.vals.clear();
                c.defs.clear();
            }
            (Col::Str(c), ColumnWriter::ByteArrayColumnWriter(w)) => {
                let vals: Vec<ByteArray> = c
                    .codes
                    .iter()
                    .map(|&i| ByteArray::from(c.dict.get(i as usize).cloned().unwrap_or_default()))
                    .collect();
                w.write_batch(&vals, c.defs.levels(), None)?;
                c.codes.clear();
                c.defs.clear();
                c.dict.clear();
                c.index.clear();
                c.chain.clear();
                c.recent = [NO_CODE; 8];
            }
            (Col::Map(c), ColumnWriter::ByteArrayColumnWriter(w)) => {
                w.write_batch(&c.keys, Some(&c.defs), Some(&c.reps))?;
                leaf.close()?;
                let mut leaf = next_leaf(rg, table, column)?;
                let ColumnWriter::Int64ColumnWriter(w) = leaf.untyped() else {
                    return Err(wrong_type(table, column));
                };
                w.write_batch(&c.vals, Some(&c.defs), Some(&c.reps))?;
                leaf.close()?;
                c.keys.clear();
                c.vals.clear();
                c.defs.clear();
                c.reps.clear();
                return Ok(());
            }
            _ => return Err(wrong_type(table, column)),
        }
        leaf.close()?;
        Ok(())
    }

    /// Whether the buffer is of the type and nullability its column's spec says.
    fn matches(&self, ty: ColType, optional: bool) -> bool {
        let (is_optional, same_type) = match self {
            Col::I64(c) => (
                c.defs.0.is_some(),
                matches!(ty, ColType::I64 | ColType::Timestamp),
            ),
            Col::Bool(_) => (false, ty == ColType::Bool),
            Col::StaticStr(c) => (c.defs.0.is_some(), ty == ColType::Str),
            Col::Str(c) => (c.defs.0.is_some(), ty == ColType::Str),
            Col::Map(_) => (false, ty == ColType::MapStrI64),
        };
        same_type && is_optional == optional
    }
}

/// How tables are written: rows per row group, compression, and whether row groups are
/// encoded on a thread of their own.
#[derive(Debug, Clone)]
pub(crate) struct WriteOptions {
    pub(crate) row_group_rows: usize,
    pub(crate) compression: Compression,
    pub(crate) threaded: bool,
}

/// The Parquet writer of one table's file.
struct Writer {
    spec: &'static TableSpec,
    file: SerializedFileWriter<Out>,
}

impl Writer {
    fn create(
        path: &std::path::Path,
        spec: &'static TableSpec,
        opts: &WriteOptions,
    ) -> Result<Writer, Error> {
        let schema = Arc::new(parquet::schema::parser::parse_message_type(
            &spec.message_type(),
        )?);
        let mut props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(opts.compression)
            .set_created_by(format!(
                "gotrace trace-columnar {}",
                env!("CARGO_PKG_VERSION")
            ))
            // Minimum and maximum of each column chunk, for integers: readers skip row groups
            // by them (times, IDs). Those of strings cost a comparison a value, and no query
            // here filters by the order of names.
            .set_statistics_enabled(EnabledStatistics::None);
        for c in spec.columns {
            let path = || ColumnPath::new(vec![c.name.to_string()]);
            if matches!(c.ty, ColType::I64 | ColType::Timestamp) {
                props = props.set_column_statistics_enabled(path(), EnabledStatistics::Chunk);
            }
            if c.unique {
                // Values that rarely repeat (times): no dictionary, differences bit-packed.
                props = props
                    .set_column_dictionary_enabled(path(), false)
                    .set_column_encoding(path(), Encoding::DELTA_BINARY_PACKED);
            }
        }
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let file = SerializedFileWriter::new(out, schema, Arc::new(props.build()))?;
        Ok(Writer { spec, file })
    }

    /// Writes `cols` as a row group, and clears them.
    fn write<R: Rows>(&mut self, cols: &mut R) -> Result<(), Error> {
        let mut rg = self.file.next_row_group()?;
        for (col, spec) in cols.columns().into_iter().zip(self.spec.columns) {
            col.write(&mut rg, self.spec.name, spec.name)?;
        }
        rg.close()?;
        Ok(())
    }

    /// Writes the footer and flushes the file.
    fn close(self) -> Result<(), Error> {
        self.file.close()?;
        Ok(())
    }
}

/// Where full row groups go.
enum Sink<R> {
    /// Nowhere: the writer's thread failed, and its error was reported.
    Gone,
    /// Written on this thread.
    Here(Writer),
    /// Handed to a thread that writes them and hands the buffers back, so that rows are
    /// gathered on one core while the last row group is encoded and compressed on another.
    /// The hand-over waits for the thread, so there are two sets of buffers: one filling,
    /// one being written.
    Thread {
        full: std::sync::mpsc::SyncSender<R>,
        empty: std::sync::mpsc::Receiver<R>,
        thread: std::thread::JoinHandle<Result<(), Error>>,
        /// Sets of buffers made so far.
        sets: usize,
    },
}

/// The Parquet file of one table of one trace, with the row group being filled.
pub(crate) struct TableFile<R: Rows> {
    spec: &'static TableSpec,
    cols: R,
    rows: usize,
    row_group_rows: usize,
    sink: Sink<R>,
}

impl<R: Rows> std::fmt::Debug for TableFile<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableFile")
            .field("table", &self.spec.name)
            .field("rows", &self.rows)
            .finish()
    }
}

impl<R: Rows + 'static> TableFile<R> {
    /// Creates `path` for table `spec`, whose rows are buffered in `R`: a field per column of
    /// the spec, in its order, of its name, type and nullability (checked).
    pub(crate) fn create(
        path: &std::path::Path,
        spec: &'static TableSpec,
        opts: &WriteOptions,
    ) -> Result<TableFile<R>, Error> {
        let mut cols = R::fresh();
        check(spec, &mut cols)?;
        let mut writer = Writer::create(path, spec, opts)?;
        let sink = if opts.threaded {
            let (full, full_rx) = std::sync::mpsc::sync_channel::<R>(0);
            let (empty_tx, empty) = std::sync::mpsc::channel::<R>();
            let thread = std::thread::Builder::new()
                .name(format!("parquet {}", spec.name))
                .spawn(move || {
                    for mut cols in full_rx {
                        writer.write(&mut cols)?;
                        // The table may be done with it: then it is dropped here.
                        let _ = empty_tx.send(cols);
                    }
                    writer.close()
                })?;
            Sink::Thread {
                full,
                empty,
                thread,
                sets: 1,
            }
        } else {
            Sink::Here(writer)
        };
        Ok(TableFile {
            spec,
            cols,
            rows: 0,
            row_group_rows: opts.row_group_rows.max(1),
            sink,
        })
    }

    /// The buffers, to push one row into: every column gets one value (or null).
    #[inline]
    pub(crate) fn cols(&mut self) -> &mut R {
        &mut self.cols
    }

    /// Ends the row just pushed; writes the row group if it is full.
    #[inline]
    pub(crate) fn end_row(&mut self) -> Result<(), Error> {
        self.rows += 1;
        if self.rows >= self.row_group_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as a row group.
    #[cold]
    fn flush(&mut self) -> Result<(), Error> {
        if self.rows == 0 {
            return Ok(());
        }
        self.rows = 0;
        match &mut self.sink {
            Sink::Here(w) => w.write(&mut self.cols),
            Sink::Thread {
                full, empty, sets, ..
            } => {
                // A second set of buffers the first time; then the one the thread gives back
                // when done with it (the thread can't take more before then anyway).
                let spare = if *sets < 2 {
                    *sets += 1;
                    Some(R::fresh())
                } else {
                    empty.recv().ok()
                };
                let Some(spare) = spare else {
                    return self.stopped();
                };
                let cols = std::mem::replace(&mut self.cols, spare);
                if full.send(cols).is_ok() {
                    return Ok(());
                }
                self.stopped()
            }
            Sink::Gone => Err(Error::Schema(format!(
                "{}: written after a failure",
                self.spec.name
            ))),
        }
    }

    /// The writer's thread stopped early: it failed, and says why when joined.
    #[cold]
    fn stopped(&mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.sink, Sink::Gone) {
            Sink::Thread { thread, .. } => join(thread),
            _ => Ok(()),
        }
    }

    /// Writes what is buffered and the footer, and closes the file.
    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.flush()?;
        match self.sink {
            Sink::Here(w) => w.close(),
            Sink::Thread { full, thread, .. } => {
                drop(full);
                join(thread)
            }
            Sink::Gone => Ok(()),
        }
    }
}

/// The result of a writer's thread; its panic goes on here.
fn join(thread: std::thread::JoinHandle<Result<(), Error>>) -> Result<(), Error> {
    match thread.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Whether `cols` has the columns of `spec`: names, order, types and nullability.
pub(crate) fn check<R: Rows>(spec: &TableSpec, cols: &mut R) -> Result<(), Error> {
    let names = cols.names();
    let columns = cols.columns();
    let same = names.len() == spec.columns.len()
        && columns.len() == spec.columns.len()
        && names
            .iter()
            .zip(&columns)
            .zip(spec.columns)
            .all(|((n, c), s)| *n == s.name && c.matches(s.ty, s.optional));
    if same {
        Ok(())
    } else {
        Err(Error::Schema(format!(
            "{}: the buffers ({}) are not the columns",
            spec.name,
            names.join(", ")
        )))
    }
}
