//! Measuring Automerge's storage chunks without loading them: how many bytes a chunk inflates to
//! and how many operations it holds, read from its headers and column encodings (Automerge's
//! binary format: <https://automerge.org/automerge-binary-format-spec/>). Nothing here builds a
//! document; the relay uses it to refuse a deflate bomb before inflating it whole, and an
//! "operation bomb" (a run-length column claiming 2^60 rows in three bytes) before Automerge
//! allocates for its rows.

use std::io::Read;

use sha2::{Digest, Sha256};

/// The four magic bytes that start every chunk.
pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Chunk types (the byte after the checksum).
pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;
pub const COMPRESSED_CHANGE: u8 = 2;
pub const BUNDLE: u8 = 3;

/// Columns in one column list: Automerge writes at most about fifteen.
const MAX_COLUMNS: u64 = 64;
/// Actors in one chunk (devices that ever wrote to one record, with room to spare).
pub const MAX_ACTORS: u64 = 65_536;
/// Bytes of one actor id (Automerge's are 16).
const MAX_ACTOR_BYTES: u64 = 256;
/// Change hashes in one list (heads, dependencies).
pub const MAX_HASHES: u64 = 1024;
/// Operation counters and sequence numbers stay below 2^53, as JavaScript peers can count.
pub const MAX_COUNTER: u64 = 1 << 53;

/// Why a chunk is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("a change chunk is malformed: {0}")]
    Malformed(&'static str),
    #[error("a change chunk inflates to more than {0} bytes")]
    Inflated(usize),
    #[error("a change chunk holds more than {0} operations")]
    Ops(u64),
    #[error("chunk type {0} is not one Automerge writes")]
    UnknownType(u8),
    #[error("a change chunk's checksum does not match its contents")]
    Checksum,
}

use ChunkError::Malformed;

/// What a chunk costs once Automerge reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Bytes once inflated.
    pub inflated: usize,
    /// Operations (the most rows of any column: ops, predecessors or changes).
    pub ops: u64,
}

/// One chunk: magic, checksum, type, LEB128 length, payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub kind: u8,
    pub checksum: [u8; 4],
    pub payload: &'a [u8],
    /// The whole chunk, header included.
    pub bytes: &'a [u8],
}

/// Splits concatenated chunks.
pub fn split(blob: &[u8]) -> Result<Vec<Chunk<'_>>, ChunkError> {
    let mut chunks = vec![];
    let mut rest = Bytes::new(blob);
    while !rest.is_empty() {
        let start = rest.pos;
        if rest.take(4)? != MAGIC {
            return Err(Malformed("a chunk has no Automerge header"));
        }
        let checksum = rest.take(4)?.try_into().expect("four bytes");
        let kind = rest.take(1)?[0];
        let len = rest.uleb()?;
        let payload = rest.take(len)?;
        chunks.push(Chunk {
            kind,
            checksum,
            payload,
            bytes: &blob[start..rest.pos],
        });
    }
    Ok(chunks)
}

/// Automerge's checksum of a chunk: the first four bytes of the SHA-256 of its type, length
/// and payload (for a compressed change, of the change it inflates to).
pub fn checksum(kind: u8, payload: &[u8]) -> [u8; 4] {
    let mut length = vec![];
    write_uleb(&mut length, payload.len() as u64);
    let hash = Sha256::new()
        .chain_update([kind])
        .chain_update(length)
        .chain_update(payload)
        .finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Measures one chunk and checks its checksum. `inflated_budget` bounds the bytes it may
/// inflate to (checked while inflating), `change_ops` the operations of any one change in it.
/// Automerge checks the checksum too, but only after parsing the chunk, and parsing columns
/// that do not agree with each other panics in Automerge 0.12 (SECURITY.md): checking it first
/// keeps corrupted uploads away from that parser (a deliberate one still reaches it, and the
/// relay contains what that costs).
pub fn measure(chunk: &Chunk, inflated_budget: usize, change_ops: u64) -> Result<Cost, ChunkError> {
    let check = |kind, data: &[u8]| {
        if checksum(kind, data) == chunk.checksum {
            Ok(())
        } else {
            Err(ChunkError::Checksum)
        }
    };
    let payload = chunk.payload;
    match chunk.kind {
        CHANGE => {
            if payload.len() > inflated_budget {
                return Err(ChunkError::Inflated(inflated_budget));
            }
            check(CHANGE, payload)?;
            change(payload, change_ops)
        }
        COMPRESSED_CHANGE => {
            let inflated = inflate(payload, inflated_budget)?;
            check(CHANGE, &inflated)?;
            change(&inflated, change_ops)
        }
        DOCUMENT | BUNDLE => {
            check(chunk.kind, payload)?;
            let layout = if chunk.kind == DOCUMENT {
                Layout::Document
            } else {
                Layout::Bundle
            };
            columnar(payload, inflated_budget, layout)
        }
        other => Err(ChunkError::UnknownType(other)),
    }
}

/// A change: dependencies, actor, sequence number, first operation counter, time, message,
/// other actors, then its operation columns (never compressed inside a change).
fn change(body: &[u8], max_ops: u64) -> Result<Cost, ChunkError> {
    let mut b = Bytes::new(body);
    b.hashes()?;
    b.actor()?;
    let seq = b.uleb()?;
    let start_op = b.uleb()?;
    b.sleb()?; // time
    let message = b.uleb()?;
    b.take(message)?;
    b.actors()?;
    let columns = b.columns()?;
    let mut ops = 0;
    for (spec, len) in columns {
        let data = b.take(len)?;
        if deflated(spec) {
            return Err(Malformed("a change's columns are compressed inside it"));
        }
        ops = ops.max(rows(spec, data)?);
    }
    if ops > max_ops {
        return Err(ChunkError::Ops(max_ops));
    }
    if seq >= MAX_COUNTER || start_op == 0 || start_op.saturating_add(ops) >= MAX_COUNTER {
        return Err(Malformed(
            "sequence number or operation counter out of range",
        ));
    }
    Ok(Cost {
        inflated: body.len(),
        ops,
    })
}

enum Layout {
    /// Actors, heads, change columns, operation columns, their data, head indexes.
    Document,
    /// Dependencies, actors, change columns and data, operation columns and data.
    Bundle,
}

/// A document or bundle: columns of change metadata and of operations, each possibly
/// deflated on its own.
fn columnar(body: &[u8], budget: usize, layout: Layout) -> Result<Cost, ChunkError> {
    let mut b = Bytes::new(body);
    let mut cost = Cost::default();
    let mut measure_columns = |b: &mut Bytes, columns: Vec<(u32, u64)>| {
        for (spec, len) in columns {
            let data = b.take(len)?;
            let inflated;
            let data = if deflated(spec) {
                inflated = inflate(data, budget - cost.inflated)?;
                &inflated[..]
            } else {
                data
            };
            cost.inflated += data.len();
            if cost.inflated > budget {
                return Err(ChunkError::Inflated(budget));
            }
            cost.ops = cost.ops.max(rows(spec, data)?);
        }
        Ok::<_, ChunkError>(())
    };
    match layout {
        Layout::Document => {
            b.actors()?;
            b.hashes()?;
            let changes = b.columns()?;
            let ops = b.columns()?;
            measure_columns(&mut b, changes)?;
            measure_columns(&mut b, ops)?;
        }
        Layout::Bundle => {
            b.hashes()?;
            b.actors()?;
            let changes = b.columns()?;
            measure_columns(&mut b, changes)?;
            let ops = b.columns()?;
            measure_columns(&mut b, ops)?;
        }
    }
    Ok(cost)
}

/// Writes `n` as unsigned LEB128, Automerge's encoding of lengths and counts.
pub fn write_uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Writes `n` as signed LEB128 (run lengths, deltas).
pub fn write_sleb(out: &mut Vec<u8>, mut n: i64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Inflates raw DEFLATE data, stopping as soon as it passes `cap` bytes. The buffer grows by
/// doubling but never past `cap`, so a bomb costs at most `cap` bytes.
fn inflate(data: &[u8], cap: usize) -> Result<Vec<u8>, ChunkError> {
    let mut decoder = flate2::read::DeflateDecoder::new(data);
    let mut out: Vec<u8> = Vec::new();
    let mut piece = [0u8; 16 * 1024];
    loop {
        let n = decoder
            .read(&mut piece)
            .map_err(|_| Malformed("compressed data does not inflate"))?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > cap {
            return Err(ChunkError::Inflated(cap));
        }
        if out.len() + n > out.capacity() {
            let target = (out.capacity() * 2).max(out.len() + n).min(cap);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&piece[..n]);
    }
}

fn deflated(spec: u32) -> bool {
    spec & 0b1000 != 0
}

/// How many rows a column encodes (its type is the spec's low three bits). Run-length columns
/// are summed run by run, so a column claiming 2^60 rows costs a few steps to count; a group
/// column also counts the rows its groups claim in the columns they group.
fn rows(spec: u32, data: &[u8]) -> Result<u64, ChunkError> {
    match spec & 0b111 {
        0 => {
            let (rows, sum) = rle(data, Value::Uleb)?;
            Ok(rows.max(sum))
        }
        1 | 2 | 6 => Ok(rle(data, Value::Uleb)?.0),
        3 => Ok(rle(data, Value::Sleb)?.0),
        4 => {
            // Alternating run lengths of false and true.
            let mut b = Bytes::new(data);
            let mut rows = 0u64;
            while !b.is_empty() {
                rows = rows.saturating_add(b.uleb()?);
            }
            Ok(rows)
        }
        5 => Ok(rle(data, Value::Str)?.0),
        // Raw values: their rows are counted in the metadata column.
        _ => Ok(0),
    }
}

#[derive(Clone, Copy)]
enum Value {
    Uleb,
    Sleb,
    Str,
}

/// A run-length encoded column: runs of `n > 0` copies of one value, literal runs of `-n`
/// values, and null runs (`0`, then their length). Returns the rows and the sum of the
/// (unsigned) values.
fn rle(data: &[u8], value: Value) -> Result<(u64, u64), ChunkError> {
    let mut b = Bytes::new(data);
    let (mut rows, mut sum) = (0u64, 0u64);
    let read = |b: &mut Bytes| -> Result<u64, ChunkError> {
        match value {
            Value::Uleb => b.uleb(),
            Value::Sleb => b.sleb().map(|_| 0),
            Value::Str => {
                let len = b.uleb()?;
                b.take(len).map(|_| 0)
            }
        }
    };
    while !b.is_empty() {
        let count = b.sleb()?;
        if count > 0 {
            let v = read(&mut b)?;
            rows = rows.saturating_add(count as u64);
            sum = sum.saturating_add(v.saturating_mul(count as u64));
        } else if count < 0 {
            let n = count.unsigned_abs();
            if n > b.left() as u64 {
                return Err(Malformed("a literal run is longer than its column"));
            }
            for _ in 0..n {
                sum = sum.saturating_add(read(&mut b)?);
            }
            rows = rows.saturating_add(n);
        } else {
            rows = rows.saturating_add(b.uleb()?);
        }
    }
    Ok((rows, sum))
}

/// A reader over a chunk's bytes.
pub(crate) struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(crate) fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], ChunkError> {
        if n > self.left() as u64 {
            return Err(Malformed("truncated"));
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    pub(crate) fn uleb(&mut self) -> Result<u64, ChunkError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(Malformed("a number overflows 64 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Malformed("a number overflows 64 bits"))
    }

    pub(crate) fn sleb(&mut self) -> Result<i64, ChunkError> {
        let mut value = 0i64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift < 57 && byte & 0x40 != 0 {
                    value |= -1i64 << (shift + 7);
                }
                return Ok(value);
            }
        }
        Err(Malformed("a number overflows 64 bits"))
    }

    /// A count, at most `max`.
    pub(crate) fn count(&mut self, max: u64, what: &'static str) -> Result<u64, ChunkError> {
        let n = self.uleb()?;
        if n > max {
            return Err(Malformed(what));
        }
        Ok(n)
    }

    /// A list of change hashes (32 bytes each).
    pub(crate) fn hashes(&mut self) -> Result<u64, ChunkError> {
        let n = self.count(MAX_HASHES, "too many change hashes in one list")?;
        self.take(n * 32)?;
        Ok(n)
    }

    fn actor(&mut self) -> Result<(), ChunkError> {
        let len = self.count(MAX_ACTOR_BYTES, "an actor id is too long")?;
        self.take(len).map(|_| ())
    }

    fn actors(&mut self) -> Result<(), ChunkError> {
        for _ in 0..self.count(MAX_ACTORS, "too many actors in one chunk")? {
            self.actor()?;
        }
        Ok(())
    }

    /// Column metadata: how many, then each column's spec and length.
    fn columns(&mut self) -> Result<Vec<(u32, u64)>, ChunkError> {
        let n = self.count(MAX_COLUMNS, "too many columns")?;
        (0..n)
            .map(|_| {
                let spec = u32::try_from(self.uleb()?)
                    .map_err(|_| Malformed("a column specification is out of range"))?;
                Ok((spec, self.uleb()?))
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
