//! What one sync message may cost the relay, checked on its bytes before Automerge reads them.
//!
//! A `sync` or `request` message's `data` is Automerge's binary sync message: heads, needs,
//! "haves" (each a Bloom filter of the changes the sender has), and change chunks. Automerge
//! trusts its peer with all of it: a Bloom filter without bits makes `generate_sync_message`
//! divide by zero (a panic), one with four billion probes allocates 16 GiB, a compressed chunk
//! inflates without bound, a run-length column claims 2^60 operations, and a list of empty
//! entries costs 24 bytes of memory per byte received. [`check`] reads the same bytes with
//! bounds and refuses such a message, saying which bound it crossed; what passes costs at most
//! the configured [`Limits`]. It reads in two steps, so that the relay can decide whether the
//! sender may write a document before inflating anything: [`shape`] (counts, lengths, Bloom
//! filters) and [`Shape::measure`] (the change chunks).

use super::chunks::{self, Bytes, ChunkError};

/// Haves in one message: Automerge sends none or one.
pub const MAX_HAVES: u64 = 8;
/// Bloom filter parameters: Automerge uses 10 bits per entry and 7 probes.
pub const MAX_BLOOM_BITS_PER_ENTRY: u32 = 64;
pub const MAX_BLOOM_PROBES: u32 = 32;
/// The smallest change entry that can be a chunk (magic, checksum, type, length).
const MIN_CHUNK: usize = 10;

/// The largest frame the relay accepts by default. Sized, like [`Limits::DEFAULT`], from the
/// largest records people make through the forms, with a margin of at least four (measured by
/// `shared/tests/largest_records.rs`; SECURITY.md has the figures).
pub const DEFAULT_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// Bounds on one sync message. See the relay's configuration for how each is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of all the message's change chunks once inflated.
    pub inflated_bytes: usize,
    /// Operations in one change.
    pub change_ops: u64,
    /// Operations in the whole message (a document's first upload carries all of them).
    pub message_ops: u64,
}

impl Limits {
    /// See [`DEFAULT_FRAME_BYTES`] for how these are sized.
    pub const DEFAULT: Limits = Limits {
        inflated_bytes: 32 * 1024 * 1024,
        change_ops: 10_000,
        message_ops: 50_000,
    };
}

/// Which bound a refused message crossed (for the relay's metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Not a well-formed sync message, or a shape Automerge never sends.
    Shape,
    Inflated,
    ChangeOps,
    MessageOps,
}

impl Bound {
    /// Whether an honest peer can cross it: a well-formed change that is simply too large.
    /// Such a write is refused like any other the relay does not accept, and its connection
    /// stays open; a message no honest peer sends (a malformed shape) closes the connection.
    pub fn honest(self) -> bool {
        !matches!(self, Bound::Shape)
    }
}

/// Why a sync message is refused. The text goes back to the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the sync data is malformed: {0}")]
    Malformed(&'static str),
    #[error("a Bloom filter in the sync data is malformed: {0}")]
    Bloom(&'static str),
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("the sync message holds more than {0} operations")]
    MessageOps(u64),
}

impl Refusal {
    pub fn bound(&self) -> Bound {
        match self {
            Refusal::Chunk(ChunkError::Inflated(_)) => Bound::Inflated,
            Refusal::Chunk(ChunkError::Ops(_)) => Bound::ChangeOps,
            Refusal::MessageOps(_) => Bound::MessageOps,
            _ => Bound::Shape,
        }
    }
}

/// What the check learnt of an acceptable message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// Change chunks it carries.
    pub chunks: usize,
    /// Their total cost.
    pub cost: chunks::Cost,
}

/// A sync message read within bounds, its change entries not yet measured (nothing inflated):
/// enough to tell whether it carries changes before deciding whether the sender may write.
#[derive(Debug)]
pub struct Shape<'a> {
    entries: Vec<&'a [u8]>,
}

/// Reads the `data` of a `sync` or `request` message as Automerge will (version byte, heads,
/// needs, haves, changes, optional flags), refusing counts, Bloom filters and entries Automerge
/// would choke on.
pub fn shape(data: &[u8]) -> Result<Shape<'_>, Refusal> {
    let mut b = Bytes::new(data);
    let malformed = |e: ChunkError| match e {
        ChunkError::Malformed(what) => Refusal::Malformed(what),
        other => Refusal::Chunk(other),
    };
    match b.take(1).map_err(malformed)?[0] {
        0x42 | 0x43 => {}
        _ => return Err(Refusal::Malformed("not an Automerge sync message")),
    }
    b.hashes().map_err(malformed)?; // heads
    b.hashes().map_err(malformed)?; // need
    let haves = b
        .count(MAX_HAVES, "more haves than Automerge sends")
        .map_err(malformed)?;
    for _ in 0..haves {
        b.hashes().map_err(malformed)?; // last sync
        let len = b.uleb().map_err(malformed)?;
        bloom(b.take(len).map_err(malformed)?)?;
    }
    let count = b.uleb().map_err(malformed)?;
    if count > (b.left() / MIN_CHUNK) as u64 {
        return Err(Refusal::Malformed(
            "more change entries than the message holds",
        ));
    }
    let mut entries = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = b.uleb().map_err(malformed)?;
        let entry = b.take(len).map_err(malformed)?;
        if entry.len() < MIN_CHUNK {
            return Err(Refusal::Malformed("an empty change entry"));
        }
        entries.push(entry);
    }
    if !b.is_empty() {
        // The flags: a length-prefixed byte string, then nothing.
        let len = b.uleb().map_err(malformed)?;
        b.take(len).map_err(malformed)?;
    }
    Ok(Shape { entries })
}

impl<'a> Shape<'a> {
    pub fn carries_changes(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The change entries, each one or more chunks, not yet measured.
    pub fn entries(&self) -> &[&'a [u8]] {
        &self.entries
    }

    /// Measures the change chunks against `limits`, inflating no more than they allow.
    pub fn measure(&self, limits: &Limits) -> Result<Checked, Refusal> {
        let mut checked = Checked::default();
        for entry in &self.entries {
            for chunk in chunks::split(entry)? {
                let budget = limits.inflated_bytes - checked.cost.inflated;
                let cost = chunks::measure(&chunk, budget, limits.change_ops)?;
                checked.chunks += 1;
                checked.cost.inflated += cost.inflated;
                checked.cost.ops = checked.cost.ops.saturating_add(cost.ops);
                if checked.cost.ops > limits.message_ops {
                    return Err(Refusal::MessageOps(limits.message_ops));
                }
            }
        }
        Ok(checked)
    }
}

/// [`shape`] and [`Shape::measure`] at once.
pub fn check(data: &[u8], limits: &Limits) -> Result<Checked, Refusal> {
    shape(data)?.measure(limits)
}

/// A Bloom filter as Automerge parses it: empty, or entries, bits per entry, probes and
/// exactly `ceil(entries × bits per entry / 8)` bytes of bits. Automerge divides by the number
/// of bits and allocates a vector of `probes`, so a filter with entries but no bits, or with
/// more probes than it would ever use, is refused.
fn bloom(bytes: &[u8]) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut b = Bytes::new(bytes);
    let mut u32_of = || {
        b.uleb()
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(Refusal::Bloom("a parameter is not a 32-bit number"))
    };
    let (entries, bits_per_entry, probes) = (u32_of()?, u32_of()?, u32_of()?);
    if entries == 0 {
        return Ok(());
    }
    if bits_per_entry == 0 || bits_per_entry > MAX_BLOOM_BITS_PER_ENTRY {
        return Err(Refusal::Bloom("bits per entry out of range"));
    }
    if probes == 0 || probes > MAX_BLOOM_PROBES {
        return Err(Refusal::Bloom("number of probes out of range"));
    }
    let bits = (u64::from(entries) * u64::from(bits_per_entry)).div_ceil(8);
    // Automerge counts the bits in a u32.
    if bits >= 1 << 28 {
        return Err(Refusal::Bloom("more bits than Automerge can count"));
    }
    if bits > b.left() as u64 {
        return Err(Refusal::Bloom("fewer bits than its entries need"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
