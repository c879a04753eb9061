//! Reading one CBOR item from an untrusted frame, with bounds. A protocol message is a small map
//! (a dozen fields, a few short arrays), so the reader refuses anything much bigger before
//! building it: more than [`MAX_ITEMS`] items, nesting deeper than [`MAX_DEPTH`], or a length
//! the frame cannot hold. Without these, a few kilobytes of CBOR (an array of a million
//! one-byte items, each becoming a 48-byte value) cost the relay tens of megabytes.

use ciborium::Value;
use ciborium_ll::{Decoder, Header};

/// Items (keys, values, array elements) in one message. automerge-repo's largest messages
/// (`remote-heads-changed` with a few storage ids, `remote-subscription-change`) have dozens.
pub const MAX_ITEMS: usize = 4096;
/// Nesting of arrays, maps and tags. The deepest protocol field (`newHeads` → storage id →
/// `heads`) is at depth 4.
pub const MAX_DEPTH: usize = 16;

/// Why a frame is not one bounded CBOR item. The text goes back to the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("malformed CBOR at byte {0}")]
    Syntax(usize),
    #[error("the frame ends inside a CBOR item")]
    Truncated,
    #[error("more than {MAX_ITEMS} CBOR items in one message")]
    TooManyItems,
    #[error("CBOR nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("a CBOR length ({0}) is larger than the frame")]
    TooLong(usize),
}

impl CborError {
    /// Whether a bound was crossed (the rest is malformed CBOR).
    pub fn is_bound(&self) -> bool {
        matches!(
            self,
            CborError::TooManyItems | CborError::TooDeep | CborError::TooLong(_)
        )
    }
}

fn ll_error<E>(e: ciborium_ll::Error<E>) -> CborError {
    match e {
        ciborium_ll::Error::Io(_) => CborError::Truncated,
        ciborium_ll::Error::Syntax(at) => CborError::Syntax(at),
    }
}

/// Reads one item from the start of `frame`; returns it and how many bytes it took.
pub fn read(frame: &[u8]) -> Result<(Value, usize), CborError> {
    let mut reader = Reader {
        decoder: Decoder::from(frame),
        len: frame.len(),
        items: 0,
    };
    let value = reader.item(0)?;
    let used = reader.decoder.offset();
    Ok((value, used))
}

struct Reader<'a> {
    decoder: Decoder<&'a [u8]>,
    len: usize,
    items: usize,
}

impl Reader<'_> {
    fn header(&mut self) -> Result<Header, CborError> {
        self.decoder.pull().map_err(ll_error)
    }

    fn left(&mut self) -> usize {
        self.len - self.decoder.offset()
    }

    /// A declared count of things each taking at least one byte: more than the frame holds is
    /// refused before anything is allocated for them.
    fn fits(&mut self, n: usize) -> Result<usize, CborError> {
        if n > self.left() {
            return Err(CborError::TooLong(n));
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        let header = self.header()?;
        self.value(header, depth)
    }

    fn value(&mut self, header: Header, depth: usize) -> Result<Value, CborError> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(CborError::TooManyItems);
        }
        if depth >= MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        let at = self.decoder.offset();
        Ok(match header {
            Header::Positive(n) => Value::Integer(n.into()),
            Header::Negative(n) => Value::Integer(
                (-1 - i128::from(n))
                    .try_into()
                    .map_err(|_| CborError::Syntax(at))?,
            ),
            Header::Float(f) => Value::Float(f),
            Header::Simple(20) => Value::Bool(false),
            Header::Simple(21) => Value::Bool(true),
            // ciborium reads both null and undefined (which JS peers write for absent) as Null.
            Header::Simple(22 | 23) => Value::Null,
            Header::Simple(_) | Header::Break => return Err(CborError::Syntax(at)),
            Header::Tag(tag) => Value::Tag(tag, Box::new(self.item(depth + 1)?)),
            Header::Bytes(len) => Value::Bytes(self.bytes(len)?),
            Header::Text(len) => Value::Text(self.text(len)?),
            Header::Array(len) => {
                let mut items = Vec::with_capacity(self.fits(len.unwrap_or(0))?);
                while let Some(header) = self.next_in(len, items.len())? {
                    items.push(self.value(header, depth + 1)?);
                }
                Value::Array(items)
            }
            Header::Map(len) => {
                let pairs = len.map(|n| n.saturating_mul(2));
                let mut entries = Vec::with_capacity(self.fits(pairs.unwrap_or(0))? / 2);
                while let Some(header) = self.next_in(pairs, entries.len() * 2)? {
                    let key = self.value(header, depth + 1)?;
                    let value = self.item(depth + 1)?;
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
        })
    }

    /// The header of the next element of an array or map that has `len` (or, when `None`, is
    /// ended by a break) and has read `read` so far.
    fn next_in(&mut self, len: Option<usize>, read: usize) -> Result<Option<Header>, CborError> {
        match len {
            Some(n) if read >= n => Ok(None),
            Some(_) => self.header().map(Some),
            None => match self.header()? {
                Header::Break => Ok(None),
                header => Ok(Some(header)),
            },
        }
    }

    /// A byte string, definite or in segments.
    fn bytes(&mut self, len: Option<usize>) -> Result<Vec<u8>, CborError> {
        let mut out = Vec::with_capacity(self.fits(len.unwrap_or(0))?);
        let mut scratch = [0u8; 4096];
        let mut segments = self.decoder.bytes(len);
        while let Some(mut segment) = segments.pull().map_err(ll_error)? {
            while let Some(chunk) = segment.pull(&mut scratch).map_err(ll_error)? {
                out.extend_from_slice(chunk);
            }
        }
        Ok(out)
    }

    /// A text string (UTF-8 is checked), definite or in segments.
    fn text(&mut self, len: Option<usize>) -> Result<String, CborError> {
        let mut out = String::with_capacity(self.fits(len.unwrap_or(0))?);
        let mut scratch = [0u8; 4096];
        let mut segments = self.decoder.text(len);
        while let Some(mut segment) = segments.pull().map_err(ll_error)? {
            while let Some(chunk) = segment.pull(&mut scratch).map_err(ll_error)? {
                out.push_str(chunk);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: &Value) -> Vec<u8> {
        let mut out = vec![];
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn reads_what_ciborium_writes() {
        let value = Value::Map(vec![
            ("type".into(), "sync".into()),
            ("n".into(), Value::Integer((-5).into())),
            ("big".into(), Value::Integer(u64::MAX.into())),
            ("f".into(), Value::Float(7.5)),
            ("b".into(), Value::Bytes(vec![1, 2, 3])),
            ("a".into(), Value::Array(vec![true.into(), Value::Null])),
            ("t".into(), Value::Tag(42, Box::new("x".into()))),
        ]);
        let bytes = encoded(&value);
        assert_eq!(read(&bytes).unwrap(), (value, bytes.len()));
    }

    #[test]
    fn indefinite_lengths_and_segments_are_read() {
        // [_ h'01' h'0203' ] as indefinite bytes, then an indefinite array of 1, 2.
        let bytes = [0x82, 0x5f, 0x41, 1, 0x42, 2, 3, 0xff, 0x9f, 1, 2, 0xff];
        let (value, used) = read(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(
            value,
            Value::Array(vec![
                Value::Bytes(vec![1, 2, 3]),
                Value::Array(vec![Value::Integer(1.into()), Value::Integer(2.into())]),
            ])
        );
    }

    #[test]
    fn counts_and_lengths_beyond_the_frame_are_refused_before_allocating() {
        // array(2^32) with one element: the count alone would reserve 2^32 values.
        let huge_array = [0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        assert!(matches!(read(&huge_array), Err(CborError::TooLong(_))));
        // bytes(2^60)
        let huge_bytes = [0x5b, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(read(&huge_bytes), Err(CborError::TooLong(_))));
        // map(2^62) of nothing
        let huge_map = [0xbb, 0x40, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(read(&huge_map), Err(CborError::TooLong(_))));
    }

    #[test]
    fn many_small_items_and_deep_nesting_are_refused() {
        let mut many = vec![0x9f]; // indefinite array of 5,000 zeros
        many.extend(std::iter::repeat_n(0u8, 5000));
        many.push(0xff);
        assert_eq!(read(&many), Err(CborError::TooManyItems));
        let deep: Vec<u8> = std::iter::repeat_n(0x81u8, 100).chain([0]).collect();
        assert_eq!(read(&deep), Err(CborError::TooDeep));
        let tags: Vec<u8> = std::iter::repeat_n(0xc1u8, 100).chain([0]).collect();
        assert_eq!(read(&tags), Err(CborError::TooDeep));
    }

    #[test]
    fn truncated_and_malformed_input_is_an_error() {
        assert_eq!(read(&[]), Err(CborError::Truncated));
        assert_eq!(read(&[0x9f, 1]), Err(CborError::Truncated));
        assert_eq!(read(&[0x18]), Err(CborError::Truncated));
        assert!(matches!(read(&[0xff]), Err(CborError::Syntax(_))));
        assert!(
            matches!(read(&[0x62, 0xff, 0xfe]), Err(CborError::Syntax(_))),
            "not UTF-8"
        );
        assert!(read(&[0x1c]).is_err(), "reserved additional information");
    }
}
