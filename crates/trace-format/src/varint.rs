//! Unsigned LEB128 varints as Go's `encoding/binary.Uvarint` reads them.
//!
//! The runtime pads some varints (batch sizes are reserved before they are known), so non-minimal
//! encodings are valid; at most 10 bytes, and the 10th may only carry the top bit of a u64.
//! The parser is [`crate::parse::varint`]; [`read`] is the same by index.

/// Why a varint couldn't be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended before the last byte of the varint.
    Truncated,
    /// More than 10 bytes, or a value that doesn't fit in 64 bits.
    Overflow,
}

/// Reads a varint at `buf[pos..]`, returning its value and the position after it: the nom
/// parser [`crate::parse::varint`] by index.
#[inline(always)]
pub fn read(buf: &[u8], pos: usize) -> Result<(u64, usize), VarintError> {
    match crate::parse::varint(crate::parse::Span::at(buf, pos)) {
        Ok((rest, v)) => Ok((v, rest.position())),
        Err(nom::Err::Incomplete(_)) => Err(VarintError::Truncated),
        Err(_) => Err(VarintError::Overflow),
    }
}

/// Appends the minimal encoding of `v` to `out`.
pub(crate) fn write(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Length of the minimal encoding of `v`: 1 to 10 bytes, what Go's `binary.PutUvarint` writes.
///
/// ```
/// use trace_format::varint::encoded_len;
/// assert_eq!(encoded_len(0), 1);
/// assert_eq!(encoded_len(128), 2);
/// assert_eq!(encoded_len(u64::MAX), 10);
/// ```
#[inline]
pub fn encoded_len(v: u64) -> usize {
    // Seven bits a byte; 0 takes one byte as 1 does.
    let bits = u64::BITS - (v | 1).leading_zeros();
    (bits as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_is_what_write_writes() {
        for shift in 0..64 {
            for v in [
                (1u64 << shift) - 1,
                1 << shift,
                (1 << shift) + 1,
                u64::MAX >> shift,
            ] {
                let mut b = Vec::new();
                write(&mut b, v);
                assert_eq!(encoded_len(v), b.len(), "{v}");
            }
        }
    }

    #[test]
    fn round_trip_and_padding() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            (1 << 21) - 1,
            1 << 21,
            1 << 35,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            write(&mut b, v);
            assert_eq!(read(&b, 0), Ok((v, b.len())));
        }
        // Padded encoding of 5, as the runtime writes reserved sizes.
        assert_eq!(read(&[0x85, 0x80, 0x80, 0x00], 0), Ok((5, 4)));
        assert_eq!(read(&[0x85, 0x80, 0x00], 0), Ok((5, 3)));
    }

    #[test]
    fn errors() {
        assert_eq!(read(&[], 0), Err(VarintError::Truncated));
        assert_eq!(read(&[0x80, 0x80], 0), Err(VarintError::Truncated));
        // Ten bytes whose last carries more than the top bit.
        let mut b = vec![0xff; 9];
        b.push(0x02);
        assert_eq!(read(&b, 0), Err(VarintError::Overflow));
        b[9] = 0x01;
        assert_eq!(read(&b, 0), Ok((u64::MAX, 10)));
        // Eleven bytes.
        assert_eq!(read(&[0x80; 11], 0), Err(VarintError::Overflow));
    }
}
