//! The canonical binary form of a value: bytes to hash, for journals, snapshot digests
//! and state digests across onhand's crates.
//!
//! A value's serde shape, written compactly and without names, so the same value gives
//! the same bytes on every machine and build, and two different values of one type never
//! give the same bytes. It is an input to a hash, not a storage format: nothing reads it
//! back.
//!
//! | serde shape | bytes |
//! |---|---|
//! | `bool` | one byte, 0 or 1 |
//! | integers, `char` | their own width, little-endian (`char` as `u32`) |
//! | floats | their IEEE bits, little-endian |
//! | string, bytes | length as `u64` LE, then the UTF-8 or raw bytes |
//! | `None` / `Some(v)` | `0` / `1` then `v` |
//! | unit, unit struct | nothing |
//! | enum variant | its index as `u32` LE, then its fields |
//! | sequence, map | element count as `u64` LE, then each element (key then value) |
//! | tuple, struct | each field in order; a struct field is `1` then its value, or `0` if skipped |
//!
//! Field names and variant names are not written: the type says what comes next. The
//! presence byte per struct field keeps a skipped optional field from reading as the
//! next field.
//!
//! ## The compact form
//!
//! [`stream_compact`] and [`to_bytes_compact`] write the same shapes with every integer
//! as a LEB128 variable-length number (signed ones zigzag-encoded first: 0, -1, 1, -2
//! become 0, 1, 2, 3), and every known length, count and variant index the same way.
//! A sequence whose length the serializer does not know keeps the 8-byte count; text
//! written through `Display` gets its length as a variable-length number too. A
//! variable-length number is prefix-free, so a value's type still says where each part
//! ends, and small figures (most quantities, counts and ids) take one to three bytes
//! instead of eight or sixteen: large states hash several times faster. Both forms
//! tell the types they encode `is_human_readable() == false`, so a type with a compact
//! machine form (a UUID's 16 bytes, a time as seconds and nanoseconds) writes that.
//!
//! ```
//! use onhand_master::canonical;
//!
//! let bytes = canonical::to_bytes_compact(&("ab", 7u16, -1i64, 300u32))?;
//! assert_eq!(bytes, [2, b'a', b'b', 7, 1, 0xac, 0x02]);
//! # Ok::<(), canonical::EncodeError>(())
//! ```
//!
//! [`to_bytes`] and [`encode`] write the form into memory; [`stream`] hands it out in
//! chunks as it is written (to a hasher, say), so a large state is hashed without
//! holding its whole form: only a sequence whose length the serializer does not know
//! up front, or text written through `Display`, is held until its length is known.
//!
//! ```
//! use onhand_master::canonical;
//!
//! let bytes = canonical::to_bytes(&("ab", 7u16))?;
//! assert_eq!(bytes, [2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', 7, 0]);
//! let mut streamed = Vec::new();
//! canonical::stream(&("ab", 7u16), |chunk| streamed.extend_from_slice(chunk))?;
//! assert_eq!(streamed, bytes);
//! # Ok::<(), canonical::EncodeError>(())
//! ```

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser;

/// Why a value has no canonical form (a `Serialize` impl that reported an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(String);

impl Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// Appends the canonical form of `value` to `out`.
///
/// # Errors
/// [`EncodeError`] if `value`'s `Serialize` impl reports one.
pub fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut sink = Sink::new(std::mem::take(out), None);
    let r = value.serialize(&mut Encoder { out: &mut sink, compact: false });
    *out = sink.buf;
    r
}

/// The compact canonical form of `value` (see [the module docs](self)), as a new buffer.
///
/// # Errors
/// As [`encode`].
pub fn to_bytes_compact<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let mut sink = Sink::new(Vec::with_capacity(256), None);
    value.serialize(&mut Encoder { out: &mut sink, compact: true })?;
    Ok(sink.buf)
}

/// Hands the compact canonical form of `value` (see [the module docs](self)) to `f` in
/// order, in chunks as [`stream`] does: the concatenation is [`to_bytes_compact`]'s.
///
/// # Errors
/// As [`encode`]; `f` may have seen part of the form.
pub fn stream_compact<T: Serialize + ?Sized>(
    value: &T,
    mut f: impl FnMut(&[u8]),
) -> Result<(), EncodeError> {
    let mut sink = Sink::new(Vec::with_capacity(CHUNK + 1024), Some(&mut f));
    value.serialize(&mut Encoder { out: &mut sink, compact: true })?;
    sink.hand_out();
    Ok(())
}

/// Hands the compact canonical form that `write` writes to `f` in order, in chunks as
/// [`stream_compact`] does. `write` spells a value out part by part through [`Compact`]:
/// for the large, regular parts of a state, where the serde walk's generic steps cost
/// several times the bytes they write. Written right, the bytes are exactly
/// [`stream_compact`]'s for the same value, so a digest does not depend on which way it
/// was taken ([`stream_compact_as`] holds the two to the same bytes in debug builds).
///
/// ```
/// use onhand_master::canonical::{self, Compact};
///
/// #[derive(serde::Serialize)]
/// struct Line { qty: u32, delta: i64, note: Option<u8> }
/// let lines = [Line { qty: 300, delta: -1, note: None }, Line { qty: 2, delta: 5, note: Some(1) }];
///
/// let mut by_hand = Vec::new();
/// canonical::stream_compact_with(|chunk| by_hand.extend_from_slice(chunk), |w: &mut Compact<'_>| {
///     w.len(lines.len());
///     for l in &lines {
///         w.field();
///         w.u64(l.qty.into());
///         w.field();
///         w.i64(l.delta);
///         w.field();
///         w.value(&l.note)?;
///     }
///     Ok(())
/// })?;
/// assert_eq!(by_hand, canonical::to_bytes_compact(&lines[..])?);
/// # Ok::<(), canonical::EncodeError>(())
/// ```
///
/// # Errors
/// What `write` returns ([`Compact::value`]'s errors); `f` may have seen part of the form.
pub fn stream_compact_with(
    mut f: impl FnMut(&[u8]),
    write: impl FnOnce(&mut Compact<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut w = Compact { sink: Sink::new(Vec::with_capacity(CHUNK + 1024), Some(&mut f)) };
    write(&mut w)?;
    w.sink.hand_out();
    Ok(())
}

/// [`stream_compact_with`] for a `write` that spells out `value`'s own form: the bytes
/// handed to `f` are `write`'s. In debug builds (every test and fuzz target) they are
/// also held to [`to_bytes_compact`]`(value)`, and a difference panics naming the first
/// byte where they part, so a form written by hand cannot drift from the serde walk's.
///
/// # Errors
/// What `write` or, in debug builds, the serde walk returns.
///
/// # Panics
/// In debug builds only, when `write` wrote other bytes than the serde walk: a defect
/// in the hand-written form, never in the input.
pub fn stream_compact_as<T: Serialize + ?Sized>(
    value: &T,
    f: impl FnMut(&[u8]),
    write: impl FnOnce(&mut Compact<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    #[cfg(debug_assertions)]
    {
        let mut f = f;
        let mut by_hand = Vec::new();
        stream_compact_with(
            |chunk| {
                by_hand.extend_from_slice(chunk);
                f(chunk);
            },
            write,
        )?;
        let derived = to_bytes_compact(value)?;
        if by_hand != derived {
            let at = by_hand.iter().zip(&derived).take_while(|(a, b)| a == b).count();
            panic!(
                "a form written by hand parts from the serde walk's at byte {at} \
                 ({} bytes by hand, {} by serde)",
                by_hand.len(),
                derived.len()
            );
        }
        Ok(())
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = value;
        stream_compact_with(f, write)
    }
}

/// A compact canonical form written part by part ([`stream_compact_with`]): each method
/// writes what the serde walk writes for that shape, and [`value`](Compact::value) writes
/// any serializable part the serde way.
pub struct Compact<'f> {
    sink: Sink<'f>,
}

impl Compact<'_> {
    /// The mark before a present struct field (what a derived `Serialize` writes before
    /// each field it does not skip), or a present `Option`.
    #[inline]
    pub fn field(&mut self) {
        self.sink.push(1);
    }

    /// The mark of a struct field skipped by `skip_serializing_if`, or of `None`.
    #[inline]
    pub fn skipped(&mut self) {
        self.sink.push(0);
    }

    /// A `bool`.
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.sink.push(u8::from(v));
    }

    /// An unsigned integer of at most 64 bits (`u8` to `u64`, `usize`), or a unit
    /// variant's index.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        Encoder { out: &mut self.sink, compact: true }.varint64(v);
    }

    /// A signed integer of at most 64 bits (`i8` to `i64`).
    #[inline]
    pub fn i64(&mut self, v: i64) {
        Encoder { out: &mut self.sink, compact: true }.zigzag64(v);
    }

    /// A `u128`.
    #[inline]
    pub fn u128(&mut self, v: u128) {
        Encoder { out: &mut self.sink, compact: true }.varint(v);
    }

    /// An `i128`.
    #[inline]
    pub fn i128(&mut self, v: i128) {
        Encoder { out: &mut self.sink, compact: true }.zigzag(v);
    }

    /// The length of a sequence or map whose length serde knows (a `Vec`, a slice, a
    /// `BTreeMap`), before its elements.
    #[inline]
    pub fn len(&mut self, n: usize) {
        Encoder { out: &mut self.sink, compact: true }.len(n);
    }

    /// A struct field with `skip_serializing_if`: its skipped mark when `skip`, else
    /// its present mark and `value` the serde way.
    ///
    /// # Errors
    /// [`EncodeError`] if `value`'s `Serialize` impl reports one.
    #[inline]
    pub fn field_unless<T: Serialize + ?Sized>(
        &mut self,
        skip: bool,
        value: &T,
    ) -> Result<(), EncodeError> {
        if skip {
            self.skipped();
            Ok(())
        } else {
            self.field();
            self.value(value)
        }
    }

    /// `value` the serde way, in the compact form.
    ///
    /// # Errors
    /// [`EncodeError`] if `value`'s `Serialize` impl reports one.
    #[inline]
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(&mut Encoder { out: &mut self.sink, compact: true })
    }
}

/// The canonical form of `value`, as a new buffer.
///
/// # Errors
/// As [`encode`].
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(256);
    encode(value, &mut out)?;
    Ok(out)
}

/// Hands the canonical form of `value` to `f` in order, in chunks of up to about 64 KiB
/// (their boundaries mean nothing): the concatenation is [`to_bytes`]'s.
///
/// # Errors
/// As [`encode`]; `f` may have seen part of the form.
pub fn stream<T: Serialize + ?Sized>(
    value: &T,
    mut f: impl FnMut(&[u8]),
) -> Result<(), EncodeError> {
    let mut sink = Sink::new(Vec::with_capacity(CHUNK + 1024), Some(&mut f));
    value.serialize(&mut Encoder { out: &mut sink, compact: false })?;
    sink.hand_out();
    Ok(())
}

/// How much a streaming sink holds before handing it out.
const CHUNK: usize = 64 * 1024;

/// Where the form goes: a buffer, handed out to `flush` (when streaming) whenever no
/// length waits to be filled in.
struct Sink<'f> {
    buf: Vec<u8>,
    /// The position in the whole form of `buf`'s first byte.
    base: usize,
    /// Lengths written as placeholders and not yet filled in.
    open: usize,
    flush: Option<Flush<'f>>,
    /// Text written through `Display` in the compact form, before its length is known.
    text: String,
}

/// Where a streaming sink hands its chunks.
type Flush<'f> = &'f mut dyn FnMut(&[u8]);

impl<'f> Sink<'f> {
    fn new(buf: Vec<u8>, flush: Option<Flush<'f>>) -> Self {
        Sink { buf, base: 0, open: 0, flush, text: String::new() }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.settle();
    }

    #[inline]
    fn push(&mut self, byte: u8) {
        self.buf.push(byte);
    }

    /// Hands the buffer out if it is full and no length waits to be filled in (after
    /// bytes written with [`push`](Self::push)).
    #[inline]
    fn settle(&mut self) {
        if self.open == 0 && self.buf.len() >= CHUNK {
            self.hand_out();
        }
    }

    fn hand_out(&mut self) {
        if let Some(f) = self.flush.as_mut() {
            f(&self.buf);
            self.base += self.buf.len();
            self.buf.clear();
        }
    }

    /// Writes a length placeholder and returns where it is.
    fn hold(&mut self) -> usize {
        let at = self.base + self.buf.len();
        self.open += 1;
        self.buf.extend_from_slice(&0u64.to_le_bytes());
        at
    }

    /// Bytes written since the placeholder at `at` (after it).
    fn since(&self, at: usize) -> usize {
        (self.base + self.buf.len()).saturating_sub(at + 8)
    }

    /// Fills in the placeholder at `at`.
    fn fill(&mut self, at: usize, n: u64) {
        // Nothing is handed out while a placeholder is open, so `at` is in `buf`.
        let i = at.saturating_sub(self.base);
        if let Some(slot) = self.buf.get_mut(i..i + 8) {
            slot.copy_from_slice(&n.to_le_bytes());
        }
        self.open = self.open.saturating_sub(1);
    }
}

impl std::io::Write for Sink<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Encoder<'a, 'f> {
    out: &'a mut Sink<'f>,
    /// Integers, lengths and variant indices as variable-length numbers.
    compact: bool,
}

impl Encoder<'_, '_> {
    #[inline]
    fn len(&mut self, n: usize) {
        // usize is at most 64 bits on every target Rust supports.
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        if self.compact {
            self.varint64(n);
        } else {
            self.out.put(&n.to_le_bytes());
        }
    }

    #[inline]
    fn variant(&mut self, index: u32) {
        if self.compact {
            self.varint64(u64::from(index));
        } else {
            self.out.put(&index.to_le_bytes());
        }
    }

    /// `v` as LEB128: seven bits a byte, low first, the high bit set on all but the last.
    #[inline]
    fn varint(&mut self, v: u128) {
        match u64::try_from(v) {
            Ok(v) => self.varint64(v),
            Err(_) => self.varint_wide(v),
        }
    }

    /// [`varint`](Self::varint) for a number of at most 64 bits, the common case, in
    /// 64-bit arithmetic: most figures, counts and ids take one to three bytes, each
    /// pushed (a copy of a few bytes would go through `memcpy`).
    #[inline]
    fn varint64(&mut self, mut v: u64) {
        while v >= 0x80 {
            // Keeps the low seven bits: the cast cannot lose them.
            #[allow(clippy::cast_possible_truncation, reason = "masked to seven bits")]
            self.out.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        #[allow(clippy::cast_possible_truncation, reason = "below 128")]
        self.out.push(v as u8);
        self.out.settle();
    }

    /// [`varint`](Self::varint) for a number beyond 64 bits, byte by byte.
    #[inline(never)]
    fn varint_wide(&mut self, mut v: u128) {
        loop {
            // Keeps the low seven bits: the cast cannot lose them.
            #[allow(clippy::cast_possible_truncation, reason = "masked to seven bits")]
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(low);
                break;
            }
            self.out.push(low | 0x80);
        }
        self.out.settle();
    }

    /// A signed integer zigzag-encoded (0, -1, 1, -2 as 0, 1, 2, 3), then as LEB128.
    #[inline]
    fn zigzag(&mut self, v: i128) {
        #[allow(clippy::cast_sign_loss, reason = "zigzag maps the sign into the low bit")]
        let z = ((v << 1) ^ (v >> 127)) as u128;
        self.varint(z);
    }

    /// [`zigzag`](Self::zigzag) for a number of at most 64 bits: the same bytes.
    #[inline]
    fn zigzag64(&mut self, v: i64) {
        #[allow(clippy::cast_sign_loss, reason = "zigzag maps the sign into the low bit")]
        let z = ((v << 1) ^ (v >> 63)) as u64;
        self.varint64(z);
    }
}

/// A sequence or map in progress: its count is written up front when known, or patched
/// in at the end when the serializer did not know it.
struct Compound<'a, 'b, 'f> {
    enc: &'b mut Encoder<'a, 'f>,
    /// Where the count goes and how many elements came, when the count was not known.
    patch: Option<(usize, u64)>,
}

impl<'a, 'b, 'f> Compound<'a, 'b, 'f> {
    fn start(enc: &'b mut Encoder<'a, 'f>, len: Option<usize>) -> Self {
        if let Some(n) = len {
            enc.len(n);
            Compound { enc, patch: None }
        } else {
            let at = enc.out.hold();
            Compound { enc, patch: Some((at, 0)) }
        }
    }

    fn counted(&mut self) {
        if let Some((_, n)) = &mut self.patch {
            *n += 1;
        }
    }

    fn finish(self) {
        if let Some((at, n)) = self.patch {
            self.enc.out.fill(at, n);
        }
    }
}

macro_rules! le {
    ($($name:ident: $t:ty => $var:ident),*) => {$(
        #[inline]
        fn $name(self, v: $t) -> Result<(), EncodeError> {
            if self.compact {
                self.$var(v.into());
            } else {
                self.out.put(&v.to_le_bytes());
            }
            Ok(())
        }
    )*};
}

impl<'a, 'b, 'f> ser::Serializer for &'b mut Encoder<'a, 'f> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Compound<'a, 'b, 'f>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Compound<'a, 'b, 'f>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    le!(serialize_i8: i8 => zigzag64, serialize_i16: i16 => zigzag64,
        serialize_i32: i32 => zigzag64, serialize_i64: i64 => zigzag64,
        serialize_i128: i128 => zigzag, serialize_u8: u8 => varint64,
        serialize_u16: u16 => varint64, serialize_u32: u32 => varint64,
        serialize_u64: u64 => varint64, serialize_u128: u128 => varint);

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.out.push(u8::from(v));
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        self.out.put(&v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        self.out.put(&v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.serialize_u32(u32::from(v))
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.serialize_bytes(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        self.len(v.len());
        self.out.put(v);
        Ok(())
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        use std::fmt::Write as _;
        use std::io::Write as _;
        if self.compact {
            // A variable-length count cannot be patched in place: the text is written
            // into a reused buffer first.
            let mut text = std::mem::take(&mut self.out.text);
            text.clear();
            let written = write!(text, "{value}").map_err(|e| EncodeError(e.to_string()));
            if written.is_ok() {
                self.len(text.len());
                self.out.put(text.as_bytes());
            }
            self.out.text = text;
            return written;
        }
        // Written in place, then its length patched in front: no temporary string.
        let at = self.out.hold();
        write!(self.out, "{value}").map_err(|e| EncodeError(e.to_string()))?;
        let n = u64::try_from(self.out.since(at)).unwrap_or(u64::MAX);
        self.out.fill(at, n);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), EncodeError> {
        self.out.push(0);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        self.out.push(1);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
    ) -> Result<(), EncodeError> {
        self.variant(index);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.variant(index);
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b, 'f>, EncodeError> {
        Ok(Compound::start(self, len))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, EncodeError> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, EncodeError> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, EncodeError> {
        self.variant(index);
        Ok(self)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b, 'f>, EncodeError> {
        Ok(Compound::start(self, len))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, EncodeError> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, EncodeError> {
        self.variant(index);
        Ok(self)
    }

    fn is_human_readable(&self) -> bool {
        // Types with a compact form (uuid, for one) use it; decimals and times keep
        // their exact text, which is canonical.
        false
    }
}

impl ser::SerializeSeq for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = EncodeError;

    #[allow(clippy::inline_always, reason = "measured: a fifth off a large state's encoding")]
    #[inline(always)]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.counted();
        value.serialize(&mut *self.enc)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish();
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.counted();
        key.serialize(&mut *self.enc)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(&mut *self.enc)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish();
        Ok(())
    }
}

macro_rules! fields {
    ($($tr:ident: $method:ident),*) => {$(
        impl ser::$tr for &mut Encoder<'_, '_> {
            type Ok = ();
            type Error = EncodeError;

            #[allow(clippy::inline_always, reason = "measured: a fifth off a large state's encoding")]
            #[inline(always)]
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), EncodeError> {
                Ok(())
            }
        }
    )*};
}

fields!(
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field
);

macro_rules! named_fields {
    ($($tr:ident),*) => {$(
        impl ser::$tr for &mut Encoder<'_, '_> {
            type Ok = ();
            type Error = EncodeError;

            #[allow(clippy::inline_always, reason = "measured: a fifth off a large state's encoding")]
            #[inline(always)]
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _: &'static str,
                value: &T,
            ) -> Result<(), EncodeError> {
                self.out.push(1);
                value.serialize(&mut **self)
            }

            fn skip_field(&mut self, _: &'static str) -> Result<(), EncodeError> {
                self.out.push(0);
                Ok(())
            }

            fn end(self) -> Result<(), EncodeError> {
                Ok(())
            }
        }
    )*};
}

named_fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::{stream, stream_compact, to_bytes, to_bytes_compact};

    /// The 64-bit fast paths write the bytes the wide path does: a number and its
    /// 128-bit widening encode the same, at every length of the variable-length form.
    #[test]
    fn narrow_and_wide_integers_encode_alike() {
        let mut shifts: Vec<u64> = (0..64).map(|k| 1u64 << k).collect();
        shifts.extend((0..64).map(|k| (1u64 << k) - 1));
        shifts.push(u64::MAX);
        for v in shifts {
            assert_eq!(to_bytes_compact(&v).unwrap(), to_bytes_compact(&u128::from(v)).unwrap());
            #[allow(clippy::cast_possible_wrap, reason = "every bit pattern, on purpose")]
            for s in [v as i64, (v as i64).wrapping_neg(), !(v as i64)] {
                assert_eq!(
                    to_bytes_compact(&s).unwrap(),
                    to_bytes_compact(&i128::from(s)).unwrap(),
                    "{s}"
                );
            }
        }
        let wide = to_bytes_compact(&u128::MAX).unwrap();
        assert_eq!(wide.len(), 19);
        assert_eq!(to_bytes_compact(&(u128::from(u64::MAX) + 1)).unwrap().len(), 10);
    }

    #[derive(Serialize)]
    struct Line {
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<u32>,
        qty: u32,
    }

    #[derive(Serialize)]
    enum Kind {
        A,
        B(u8),
        C { x: u16 },
    }

    /// Written through `Display` (as decimals and times are).
    struct Shown(rust_decimal::Decimal);
    impl Serialize for Shown {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&self.0)
        }
    }

    /// A hand-written form that parts from the serde walk's is caught (debug builds,
    /// as tests are), at the byte where it parts.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "at byte 2")]
    fn a_hand_written_form_apart_from_the_serde_walk_panics() {
        let line = Line { note: None, qty: 7 };
        let _ = super::stream_compact_as(
            &line,
            |_| {},
            |w| {
                w.skipped();
                w.field();
                w.u64(8);
                Ok(())
            },
        );
    }

    #[test]
    fn a_hand_written_form_like_the_serde_walks_passes() {
        let line = Line { note: None, qty: 7 };
        let mut out = Vec::new();
        super::stream_compact_as(
            &line,
            |c| out.extend_from_slice(c),
            |w| {
                w.field_unless(line.note.is_none(), &line.note)?;
                w.field();
                w.u64(line.qty.into());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(out, to_bytes_compact(&line).unwrap());
    }

    #[test]
    fn a_skipped_field_never_reads_as_the_next_one() {
        let skipped = to_bytes(&Line { note: None, qty: 7 }).unwrap();
        let present = to_bytes(&Line { note: Some(7), qty: 7 }).unwrap();
        assert_eq!(skipped, [0, 1, 7, 0, 0, 0]);
        assert_eq!(present, [1, 1, 7, 0, 0, 0, 1, 7, 0, 0, 0]);
    }

    #[test]
    fn shapes_encode_as_documented() {
        assert_eq!(to_bytes("ab").unwrap(), [2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b']);
        assert_eq!(to_bytes(&Kind::A).unwrap(), [0, 0, 0, 0]);
        assert_eq!(to_bytes(&Kind::B(9)).unwrap(), [1, 0, 0, 0, 9]);
        assert_eq!(to_bytes(&Kind::C { x: 1 }).unwrap(), [2, 0, 0, 0, 1, 1, 0]);
        let m: BTreeMap<u8, bool> = [(1, true), (2, false)].into();
        assert_eq!(to_bytes(&m).unwrap(), [2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0]);
        let displayed = Shown("12.50".parse().unwrap());
        let text = "12.50";
        let bytes = to_bytes(&displayed).unwrap();
        assert_eq!(&bytes[..8], 5u64.to_le_bytes());
        assert_eq!(&bytes[8..], text.as_bytes());
    }

    #[test]
    fn the_compact_form_writes_integers_by_their_size() {
        assert_eq!(to_bytes_compact(&0u64).unwrap(), [0]);
        assert_eq!(to_bytes_compact(&127u8).unwrap(), [127]);
        assert_eq!(to_bytes_compact(&128u32).unwrap(), [0x80, 1]);
        assert_eq!(to_bytes_compact(&-1i32).unwrap(), [1]);
        assert_eq!(to_bytes_compact(&1i32).unwrap(), [2]);
        assert_eq!(to_bytes_compact(&-64i64).unwrap(), [127]);
        assert_eq!(to_bytes_compact(&64i64).unwrap(), [0x80, 1]);
        // The extremes: 19 bytes for 128 bits, the last holding the top two.
        let max = to_bytes_compact(&u128::MAX).unwrap();
        assert_eq!(max.len(), 19);
        assert_eq!(max.last(), Some(&0x03));
        assert_eq!(to_bytes_compact(&i128::MIN).unwrap(), max);
        assert_eq!(to_bytes_compact(&i128::MAX).unwrap().len(), 19);
        // Shapes as in the wide form, with variable-length counts and indices.
        assert_eq!(to_bytes_compact(&Kind::B(9)).unwrap(), [1, 9]);
        assert_eq!(to_bytes_compact(&Kind::C { x: 300 }).unwrap(), [2, 1, 0xac, 0x02]);
        assert_eq!(to_bytes_compact(&Line { note: None, qty: 7 }).unwrap(), [0, 1, 7]);
        let displayed = Shown("12.50".parse().unwrap());
        assert_eq!(to_bytes_compact(&displayed).unwrap(), b"\x0512.50");
    }

    /// Reads one zigzag LEB128 number back: its value and the bytes it took.
    fn read_signed(bytes: &[u8]) -> (i128, usize) {
        let mut z = 0u128;
        for (n, b) in bytes.iter().enumerate() {
            z |= u128::from(b & 0x7f) << (7 * n);
            if b & 0x80 == 0 {
                #[allow(clippy::cast_possible_wrap, reason = "zigzag's inverse")]
                let v = ((z >> 1) as i128) ^ -((z & 1) as i128);
                return (v, n + 1);
            }
        }
        panic!("a number that does not end");
    }

    /// Every integer reads back from its bytes, and its bytes end by themselves (the
    /// field after it starts where they stop): checked over neighbours of every power
    /// of two and the extremes.
    #[test]
    fn compact_integers_read_back_and_end_by_themselves() {
        let mut values = vec![0, i128::MIN, i128::MAX];
        for shift in 0..127 {
            for delta in [-1i128, 0, 1] {
                let v = (1i128 << shift).saturating_add(delta);
                values.extend([v, -v]);
            }
        }
        for x in values {
            let bytes = to_bytes_compact(&(x, 5u8)).unwrap();
            let (back, used) = read_signed(&bytes);
            assert_eq!(back, x);
            assert_eq!(bytes.get(used..), Some(&[5u8][..]), "{x} ran into the next field");
        }
    }

    #[test]
    fn a_sequence_of_unknown_length_is_counted() {
        struct Unsized(Vec<u8>);
        impl Serialize for Unsized {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().filter(|_| true))
            }
        }
        assert_eq!(to_bytes(&Unsized(vec![4, 5])).unwrap(), to_bytes(&vec![4u8, 5]).unwrap());
    }

    /// Streaming hands out the bytes `to_bytes` writes, whatever the chunking and
    /// wherever lengths are patched in.
    #[test]
    fn streaming_gives_the_bytes_in_memory() {
        struct Unsized(Vec<u32>);
        impl Serialize for Unsized {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().filter(|_| true))
            }
        }
        let big: Vec<(String, Unsized, Shown)> = (0..20_000u32)
            .map(|i| {
                let shown = Shown(rust_decimal::Decimal::new(i64::from(i) * 7919, i % 5));
                (format!("item-{i}"), Unsized((0..i % 7).collect()), shown)
            })
            .collect();
        let whole = to_bytes(&big).unwrap();
        assert!(whole.len() > 3 * super::CHUNK);
        let mut chunks = 0;
        let mut streamed = Vec::new();
        stream(&big, |c| {
            chunks += 1;
            streamed.extend_from_slice(c);
        })
        .unwrap();
        assert!(chunks > 1, "handed out in one piece");
        assert!(
            streamed == whole,
            "streamed {} bytes unlike the {} in memory",
            streamed.len(),
            whole.len()
        );
        let whole = to_bytes_compact(&big).unwrap();
        let mut streamed = Vec::new();
        stream_compact(&big, |c| streamed.extend_from_slice(c)).unwrap();
        assert!(streamed == whole, "the compact form streamed unlike in memory");
        // One unknown-length sequence around everything: held whole, then handed out.
        let wrapped = Unsized((0..100_000).collect());
        let mut streamed = Vec::new();
        stream(&wrapped, |c| streamed.extend_from_slice(c)).unwrap();
        assert!(
            streamed == to_bytes(&wrapped).unwrap(),
            "an unknown length streamed unlike in memory"
        );
    }
}
