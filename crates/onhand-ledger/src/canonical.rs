//! The canonical encoding of an event, version 1: the bytes its idempotency digest
//! ([`Event::content_digest`]) is the SHA-256 of.
//!
//! It is written by hand, field by field, so it depends on no dependency's `Hash` or
//! serialization and stays the same across upgrades of `chrono`, `rust_decimal` or `uuid`, on
//! every platform. It changes only with a new version here (and a new snapshot format,
//! as snapshots keep the digests).
//!
//! # The encoding
//!
//! The five bytes `OHEV` `0x01` (the encoding and its version), then the event's fields
//! but `recorded_at` (a host retrying an event records it again later, and that is still
//! the same event), in declaration order, each self-delimiting:
//!
//! | value | bytes |
//! |---|---|
//! | integer (`u8`, `u32`, `i32`, `u64`, `i64`) | fixed width, little-endian |
//! | string, code | length as `u32`, then the UTF-8 bytes |
//! | decimal | normalized (no trailing zeros, no negative zero), then scale (`u8`), sign (`u8`, 1 for negative) and the 96-bit magnitude as three `u32` low to high: 14 bytes, so `12` and `12.0`, which compare equal, encode alike |
//! | time | seconds since the Unix epoch (`i64`), then nanoseconds (`u32`) |
//! | date | days since 0001-01-01 of the proleptic Gregorian calendar, plus one (`i32`) |
//! | event id | the UUID's 16 bytes, in order |
//! | option | `0`, or `1` then the value |
//! | sequence | count as `u64`, then the values |
//! | role, stock status | its stable name, as a string |
//! | quantity, money | decimal, then unit or currency code as a string |
//! | enum | the variant's tag (`u8`, in the tables below), then its fields |
//!
//! Document kinds: purchase order 0, transfer order 1, sales order 2, count 3, return
//! authorisation 4, internal 5. Site scope: all 0, sites 1. Bodies: receipt 0, put-away
//! 1, pick 2, ship 3, transfer ship 4, transfer receipt 5, customer return 6,
//! disposition 7, adjustment 8, cycle count 9, status change 10, scrap 11, transfer
//! request 12, transfer approve 13, transfer close 14, approve 15, reject 16, close
//! period 17 (through, then the entity as an optional code), reopen period 18 (to as an
//! optional time, then the entity as an optional code), reversal 19 (the event
//! reversed), return to supplier 20 (a movement).
//!
//! [`Event::content_digest`]: crate::Event::content_digest

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use onhand_master::{Money, Qty};
use onhand_status::StockStatus;
use rust_decimal::Decimal;

use crate::event::{
    Actor, Body, Count, CountLine, DocKind, DocumentRef, Event, EventId, Line, SiteLines,
    SiteScope, TransferRequest,
};

/// The encoding's name and version, first in every encoding.
pub(crate) const HEADER: [u8; 5] = *b"OHEV\x01";

/// Bytes an encoding holds before it moves to the heap: most events fit.
const INLINE: usize = 512;

/// An encoding being written: into an inline buffer while it fits, then into a heap
/// buffer holding all of it. Each write is one bounds check and a copy; the bytes are
/// exactly those of the documented encoding.
pub(crate) struct Encoder {
    /// The bytes, while `len` is at most [`INLINE`].
    inline: [u8; INLINE],
    /// Bytes written; past [`INLINE`] (`INLINE + 1`) once they moved to `heap`.
    len: usize,
    /// All the bytes, once they outgrew `inline`.
    heap: Vec<u8>,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        Encoder { inline: [0; INLINE], len: 0, heap: Vec::new() }
    }

    /// The bytes written.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self.inline.get(..self.len) {
            Some(bytes) => bytes,
            None => &self.heap,
        }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.inline.get_mut(self.len..end) {
            Some(to) => {
                to.copy_from_slice(bytes);
                self.len = end;
            }
            None => self.spill(bytes),
        }
    }

    /// Writes past the inline buffer: moves what it holds to the heap once, then
    /// appends there.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, bytes: &[u8]) {
        if let Some(held) = self.inline.get(..self.len) {
            self.heap.reserve(2 * INLINE + bytes.len());
            self.heap.extend_from_slice(held);
            self.len = INLINE + 1;
        }
        self.heap.extend_from_slice(bytes);
    }

    #[inline]
    fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }

    #[inline]
    fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }

    #[inline]
    fn i32(&mut self, v: i32) {
        self.put(&v.to_le_bytes());
    }

    #[inline]
    fn i64(&mut self, v: i64) {
        self.put(&v.to_le_bytes());
    }

    /// A length or count: past `u32::MAX` (no code is longer than 64 bytes) a string
    /// could not be told from another; counts are `u64`.
    #[inline]
    fn len(&mut self, n: usize) {
        self.put(&(n as u64).to_le_bytes());
    }

    #[inline]
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// A string given by its bytes (a code's, read without re-checking its UTF-8).
    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        // Codes are at most 64 bytes: the length always fits.
        self.u32(u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.put(b);
    }

    #[inline]
    fn decimal(&mut self, d: Decimal) {
        let n = d.normalize();
        let parts = n.unpack();
        // The scale is at most 28.
        self.u8(u8::try_from(n.scale()).unwrap_or(u8::MAX));
        self.u8(u8::from(parts.negative));
        self.u32(parts.lo);
        self.u32(parts.mid);
        self.u32(parts.hi);
    }

    #[inline]
    fn time(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp());
        self.u32(t.timestamp_subsec_nanos());
    }

    #[inline]
    fn date(&mut self, d: NaiveDate) {
        self.i32(d.num_days_from_ce());
    }

    #[inline]
    fn id(&mut self, id: EventId) {
        self.put(id.0.as_bytes());
    }

    #[inline]
    fn opt<T>(&mut self, v: Option<T>, mut f: impl FnMut(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }

    #[inline]
    fn seq<'a, T: 'a>(&mut self, items: &'a [T], mut f: impl FnMut(&mut Self, &'a T)) {
        self.len(items.len());
        for x in items {
            f(self, x);
        }
    }

    #[inline]
    fn status(&mut self, s: StockStatus) {
        self.str(s.as_str());
    }

    #[inline]
    fn qty(&mut self, q: Qty) {
        self.decimal(q.value());
        self.str(q.uom().as_str());
    }

    #[inline]
    fn money(&mut self, m: Money) {
        self.decimal(m.amount());
        self.str(m.currency().as_str());
    }

    #[inline]
    fn actor(&mut self, a: &Actor) {
        self.bytes(a.id.as_bytes());
        self.seq(&a.roles, |e, r| e.str(r.as_str()));
        match &a.sites {
            SiteScope::All => self.u8(0),
            SiteScope::Sites(sites) => {
                self.u8(1);
                self.seq(sites, |e, s| e.bytes(s.as_bytes()));
            }
        }
    }

    #[inline]
    fn reference(&mut self, r: &DocumentRef) {
        self.u8(match r.kind {
            DocKind::PurchaseOrder => 0,
            DocKind::TransferOrder => 1,
            DocKind::SalesOrder => 2,
            DocKind::Count => 3,
            DocKind::ReturnAuthorisation => 4,
            DocKind::Internal => 5,
        });
        self.bytes(r.number.as_bytes());
    }

    #[inline]
    fn line(&mut self, l: &Line) {
        self.bytes(l.item.as_bytes());
        self.qty(l.qty);
        self.opt(l.bin.as_ref(), |e, b| e.bytes(b.as_bytes()));
        self.opt(l.to_bin.as_ref(), |e, b| e.bytes(b.as_bytes()));
        self.opt(l.lot.as_ref(), |e, x| e.bytes(x.as_bytes()));
        self.seq(&l.serials, |e, s| e.bytes(s.as_bytes()));
        self.opt(l.from, Self::status);
        self.opt(l.to, Self::status);
        self.opt(l.owner.as_ref(), |e, o| e.bytes(o.as_bytes()));
        self.opt(l.expiry, Self::date);
        self.opt(l.unit_cost, Self::money);
        self.opt(l.doc_line, Self::u32);
        self.opt(l.original, Self::id);
    }

    #[inline]
    fn movement(&mut self, tag: u8, m: &SiteLines) {
        self.u8(tag);
        self.bytes(m.site.as_bytes());
        self.seq(&m.lines, Self::line);
    }

    #[inline]
    fn count_line(&mut self, l: &CountLine) {
        self.bytes(l.item.as_bytes());
        self.opt(l.bin.as_ref(), |e, b| e.bytes(b.as_bytes()));
        self.opt(l.lot.as_ref(), |e, x| e.bytes(x.as_bytes()));
        self.opt(l.status, Self::status);
        self.qty(l.counted);
        self.seq(&l.serials, |e, s| e.bytes(s.as_bytes()));
        self.opt(l.owner.as_ref(), |e, o| e.bytes(o.as_bytes()));
    }

    #[inline]
    fn count(&mut self, c: &Count) {
        self.u8(9);
        self.bytes(c.site.as_bytes());
        self.seq(&c.lines, Self::count_line);
    }

    #[inline]
    fn transfer_request(&mut self, r: &TransferRequest) {
        self.u8(12);
        self.bytes(r.from.as_bytes());
        self.bytes(r.to.as_bytes());
        self.seq(&r.lines, |e, l| {
            e.bytes(l.item.as_bytes());
            e.qty(l.qty);
        });
        self.opt(r.expected_arrival, Self::time);
    }

    #[inline]
    fn body(&mut self, b: &Body) {
        match b {
            Body::Receipt(m) => self.movement(0, m),
            Body::Putaway(m) => self.movement(1, m),
            Body::Pick(m) => self.movement(2, m),
            Body::Ship(m) => self.movement(3, m),
            Body::TransferShip(m) => self.movement(4, m),
            Body::TransferReceipt(m) => self.movement(5, m),
            Body::CustomerReturn(m) => self.movement(6, m),
            Body::Disposition(m) => self.movement(7, m),
            Body::Adjustment(m) => self.movement(8, m),
            Body::CycleCount(c) => self.count(c),
            Body::StatusChange(m) => self.movement(10, m),
            Body::Scrap(m) => self.movement(11, m),
            Body::TransferRequest(r) => self.transfer_request(r),
            Body::TransferApprove => self.u8(13),
            Body::TransferClose => self.u8(14),
            Body::Approve { event } => {
                self.u8(15);
                self.id(*event);
            }
            Body::Reject { event } => {
                self.u8(16);
                self.id(*event);
            }
            Body::ClosePeriod { through, entity } => {
                self.u8(17);
                self.time(*through);
                self.opt(entity.as_ref(), |e, x| e.bytes(x.as_bytes()));
            }
            Body::ReopenPeriod { to, entity } => {
                self.u8(18);
                self.opt(*to, Self::time);
                self.opt(entity.as_ref(), |e, x| e.bytes(x.as_bytes()));
            }
            Body::Reversal { event } => {
                self.u8(19);
                self.id(*event);
            }
            Body::SupplierReturn(m) => self.movement(20, m),
        }
    }
}

impl Encoder {
    /// Writes the canonical encoding of `event` (see the module documentation).
    #[inline]
    pub(crate) fn event(&mut self, event: &Event) {
        self.put(&HEADER);
        self.id(event.id);
        self.time(event.effective_at);
        self.actor(&event.actor);
        self.bytes(event.reason.as_bytes());
        self.reference(&event.reference);
        self.body(&event.body);
    }

    /// Writes what a journal entry's digest covers of `event` (format 2, see
    /// [`JOURNAL_FORMAT`](crate::JOURNAL_FORMAT)): its canonical encoding, then
    /// `recorded_at` (a time), which the canonical encoding leaves out and a journal
    /// entry must not.
    #[inline]
    pub(crate) fn event_recorded(&mut self, event: &Event) {
        self.event(event);
        self.time(event.recorded_at);
    }
}

/// The SHA-256 of `event`'s canonical encoding, written in place (an encoder is 500
/// bytes: returning one would copy it).
pub(crate) fn digest(event: &Event) -> crate::journal::Digest {
    let mut e = Encoder::new();
    e.event(event);
    crate::journal::Digest::of(e.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn encode(event: &Event) -> Encoder {
        let mut e = Encoder::new();
        e.event(event);
        e
    }

    fn encode_recorded(event: &Event) -> Encoder {
        let mut e = Encoder::new();
        e.event_recorded(event);
        e
    }

    /// The encoding of a receipt, byte for byte as the module documentation says.
    #[test]
    fn the_encoding_is_as_documented() -> Result<(), Box<dyn std::error::Error>> {
        let mut e = testing::receipt(1, "ATL", "BOLT-M8", "12.50 EA", "RCV-01")?;
        e.actor.roles = vec![onhand_master::Role::Warehouse];
        let bytes = encode(&e);
        let mut want: Vec<u8> = b"OHEV\x01".to_vec();
        want.extend_from_slice(&1u128.to_be_bytes()); // the id's UUID bytes
        want.extend_from_slice(&e.effective_at.timestamp().to_le_bytes());
        want.extend_from_slice(&0u32.to_le_bytes());
        let s = |w: &mut Vec<u8>, s: &str| {
            w.extend_from_slice(&u32::try_from(s.len()).unwrap_or(0).to_le_bytes());
            w.extend_from_slice(s.as_bytes());
        };
        s(&mut want, "receiver");
        want.extend_from_slice(&1u64.to_le_bytes());
        s(&mut want, "warehouse");
        want.push(0); // all sites
        s(&mut want, "RECEIPT");
        want.push(0); // purchase order
        s(&mut want, "PO-1");
        want.push(0); // receipt
        s(&mut want, "ATL");
        want.extend_from_slice(&1u64.to_le_bytes());
        s(&mut want, "BOLT-M8");
        // 12.50 normalized: 125 at scale 1.
        want.extend_from_slice(&[1, 0]);
        want.extend_from_slice(&125u32.to_le_bytes());
        want.extend_from_slice(&[0; 8]);
        s(&mut want, "EA");
        want.extend_from_slice(&[1]);
        s(&mut want, "RCV-01");
        want.push(0); // no to-bin
        want.push(0); // no lot
        want.extend_from_slice(&0u64.to_le_bytes()); // no serials
        want.extend_from_slice(&[0; 7]); // from, to, owner, expiry, cost, doc line, original
        assert_eq!(bytes.as_slice(), want.as_slice());
        Ok(())
    }

    /// The encoding as the module documentation's table states it, written plainly
    /// (a `Vec`, one push at a time): the model the buffered encoder is held to.
    mod model {
        use super::*;

        pub(super) struct W(pub(super) Vec<u8>);

        impl W {
            fn int(&mut self, b: &[u8]) {
                self.0.extend_from_slice(b);
            }
            fn s(&mut self, s: &str) {
                self.int(&u32::try_from(s.len()).unwrap().to_le_bytes());
                self.int(s.as_bytes());
            }
            fn dec(&mut self, d: Decimal) {
                let n = d.normalize();
                self.0.push(u8::try_from(n.scale()).unwrap());
                self.0.push(u8::from(n.is_sign_negative()));
                self.int(&n.mantissa().unsigned_abs().to_le_bytes()[..12]);
            }
            pub(super) fn time(&mut self, t: DateTime<Utc>) {
                self.int(&t.timestamp().to_le_bytes());
                self.int(&t.timestamp_subsec_nanos().to_le_bytes());
            }
            fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
                match v {
                    None => self.0.push(0),
                    Some(v) => {
                        self.0.push(1);
                        f(self, v);
                    }
                }
            }
            fn count(&mut self, n: usize) {
                self.int(&(n as u64).to_le_bytes());
            }
            fn qty(&mut self, q: Qty) {
                self.dec(q.value());
                self.s(q.uom().as_str());
            }
            fn line(&mut self, l: &Line) {
                self.s(l.item.as_str());
                self.qty(l.qty);
                self.opt(l.bin.as_ref(), |w, b| w.s(b.as_str()));
                self.opt(l.to_bin.as_ref(), |w, b| w.s(b.as_str()));
                self.opt(l.lot.as_ref(), |w, b| w.s(b.as_str()));
                self.count(l.serials.len());
                for x in &l.serials {
                    self.s(x.as_str());
                }
                self.opt(l.from, |w, x| w.s(x.as_str()));
                self.opt(l.to, |w, x| w.s(x.as_str()));
                self.opt(l.owner.as_ref(), |w, x| w.s(x.as_str()));
                self.opt(l.expiry, |w, d| w.int(&d.num_days_from_ce().to_le_bytes()));
                self.opt(l.unit_cost, |w, m| {
                    w.dec(m.amount());
                    w.s(m.currency().as_str());
                });
                self.opt(l.doc_line, |w, n| w.int(&n.to_le_bytes()));
                self.opt(l.original, |w, id| w.int(id.0.as_bytes()));
            }
            fn lines(&mut self, tag: u8, m: &SiteLines) {
                self.0.push(tag);
                self.s(m.site.as_str());
                self.count(m.lines.len());
                for l in &m.lines {
                    self.line(l);
                }
            }
        }

        pub(super) fn encode(e: &Event) -> Vec<u8> {
            let mut w = W(b"OHEV\x01".to_vec());
            w.int(e.id.0.as_bytes());
            w.time(e.effective_at);
            w.s(e.actor.id.as_str());
            w.count(e.actor.roles.len());
            for r in &e.actor.roles {
                w.s(r.as_str());
            }
            match &e.actor.sites {
                SiteScope::All => w.0.push(0),
                SiteScope::Sites(sites) => {
                    w.0.push(1);
                    w.count(sites.len());
                    for x in sites {
                        w.s(x.as_str());
                    }
                }
            }
            w.s(e.reason.as_str());
            w.0.push(match e.reference.kind {
                DocKind::PurchaseOrder => 0,
                DocKind::TransferOrder => 1,
                DocKind::SalesOrder => 2,
                DocKind::Count => 3,
                DocKind::ReturnAuthorisation => 4,
                DocKind::Internal => 5,
            });
            w.s(e.reference.number.as_str());
            match &e.body {
                Body::Receipt(m) => w.lines(0, m),
                Body::Putaway(m) => w.lines(1, m),
                Body::Pick(m) => w.lines(2, m),
                Body::Ship(m) => w.lines(3, m),
                Body::TransferShip(m) => w.lines(4, m),
                Body::TransferReceipt(m) => w.lines(5, m),
                Body::CustomerReturn(m) => w.lines(6, m),
                Body::Disposition(m) => w.lines(7, m),
                Body::Adjustment(m) => w.lines(8, m),
                Body::CycleCount(c) => {
                    w.0.push(9);
                    w.s(c.site.as_str());
                    w.count(c.lines.len());
                    for l in &c.lines {
                        w.s(l.item.as_str());
                        w.opt(l.bin.as_ref(), |w, b| w.s(b.as_str()));
                        w.opt(l.lot.as_ref(), |w, b| w.s(b.as_str()));
                        w.opt(l.status, |w, x| w.s(x.as_str()));
                        w.qty(l.counted);
                        w.count(l.serials.len());
                        for x in &l.serials {
                            w.s(x.as_str());
                        }
                        w.opt(l.owner.as_ref(), |w, x| w.s(x.as_str()));
                    }
                }
                Body::StatusChange(m) => w.lines(10, m),
                Body::Scrap(m) => w.lines(11, m),
                Body::TransferRequest(r) => {
                    w.0.push(12);
                    w.s(r.from.as_str());
                    w.s(r.to.as_str());
                    w.count(r.lines.len());
                    for l in &r.lines {
                        w.s(l.item.as_str());
                        w.qty(l.qty);
                    }
                    w.opt(r.expected_arrival, W::time);
                }
                Body::TransferApprove => w.0.push(13),
                Body::TransferClose => w.0.push(14),
                Body::Approve { event } => {
                    w.0.push(15);
                    w.int(event.0.as_bytes());
                }
                Body::Reject { event } => {
                    w.0.push(16);
                    w.int(event.0.as_bytes());
                }
                Body::ClosePeriod { through, entity } => {
                    w.0.push(17);
                    w.time(*through);
                    w.opt(entity.as_ref(), |w, x| w.s(x.as_str()));
                }
                Body::ReopenPeriod { to, entity } => {
                    w.0.push(18);
                    w.opt(*to, W::time);
                    w.opt(entity.as_ref(), |w, x| w.s(x.as_str()));
                }
                Body::Reversal { event } => {
                    w.0.push(19);
                    w.int(event.0.as_bytes());
                }
                Body::SupplierReturn(m) => w.lines(20, m),
            }
            w.0
        }
    }

    /// Events of every body, with every option present or absent, codes of every
    /// length (serial numbers up to 64 bytes) and enough lines to outgrow the inline
    /// buffer.
    mod strategy {
        use proptest::prelude::*;

        use super::*;
        use crate::event::{ActorId, DocNumber, ReasonCode, TransferLine};
        use onhand_master::{
            BinCode, CurrencyCode, EntityCode, ItemCode, LotCode, Role, SerialNo, SiteCode, UomCode,
        };

        fn text(max: usize) -> impl Strategy<Value = String> {
            proptest::string::string_regex(&format!("[A-Z0-9][A-Z0-9./#+_-]{{0,{}}}", max - 1))
                .unwrap()
        }

        fn time() -> impl Strategy<Value = DateTime<Utc>> {
            (-10_000_000_000i64..10_000_000_000, 0u32..1_000_000_000)
                .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap())
        }

        fn decimal() -> impl Strategy<Value = Decimal> {
            (any::<i64>(), 0u32..12).prop_map(|(m, scale)| Decimal::new(m, scale))
        }

        fn qty() -> impl Strategy<Value = Qty> {
            (decimal(), prop_oneof![Just("EA"), Just("KG"), Just("CASE12")])
                .prop_map(|(d, u)| Qty::new(d.abs(), UomCode::new(u).unwrap()).unwrap())
        }

        fn status() -> impl Strategy<Value = StockStatus> {
            proptest::sample::select(StockStatus::ALL.to_vec())
        }

        fn id() -> impl Strategy<Value = EventId> {
            any::<u128>().prop_map(EventId::from_u128)
        }

        fn line() -> impl Strategy<Value = Line> {
            let codes = (
                text(40),
                qty(),
                proptest::option::of(text(40)),
                proptest::option::of(text(40)),
                proptest::option::of(text(40)),
                proptest::collection::vec(text(64), 0..4),
            );
            let rest = (
                proptest::option::of(status()),
                proptest::option::of(status()),
                proptest::option::of(text(40)),
                proptest::option::of(-800_000i32..800_000),
                proptest::option::of((decimal(), prop_oneof![Just("USD"), Just("JPY")])),
                proptest::option::of(any::<u32>()),
                proptest::option::of(id()),
            );
            (codes, rest).prop_map(|((item, qty, bin, to_bin, lot, serials), rest)| {
                let (from, to, owner, expiry, cost, doc_line, original) = rest;
                let mut l = Line::new(ItemCode::new(item).unwrap(), qty);
                l.bin = bin.map(|b| BinCode::new(b).unwrap());
                l.to_bin = to_bin.map(|b| BinCode::new(b).unwrap());
                l.lot = lot.map(|b| LotCode::new(b).unwrap());
                l.serials = serials.into_iter().map(|s| SerialNo::new(s).unwrap()).collect();
                l.from = from;
                l.to = to;
                l.owner = owner.map(|o| EntityCode::new(o).unwrap());
                l.expiry = expiry.and_then(NaiveDate::from_num_days_from_ce_opt);
                l.unit_cost = cost.map(|(d, c)| Money::new(d, CurrencyCode::new(c).unwrap()));
                l.doc_line = doc_line;
                l.original = original;
                l
            })
        }

        fn site_lines() -> impl Strategy<Value = SiteLines> {
            (text(40), proptest::collection::vec(line(), 0..6))
                .prop_map(|(site, lines)| SiteLines { site: SiteCode::new(site).unwrap(), lines })
        }

        fn count() -> impl Strategy<Value = Count> {
            let line = (
                text(40),
                proptest::option::of(text(40)),
                proptest::option::of(text(40)),
                proptest::option::of(status()),
                qty(),
                proptest::collection::vec(text(64), 0..3),
                proptest::option::of(text(40)),
            )
                .prop_map(|(item, bin, lot, status, counted, serials, owner)| {
                    CountLine {
                        item: ItemCode::new(item).unwrap(),
                        bin: bin.map(|b| BinCode::new(b).unwrap()),
                        lot: lot.map(|b| LotCode::new(b).unwrap()),
                        status,
                        counted,
                        serials: serials.into_iter().map(|s| SerialNo::new(s).unwrap()).collect(),
                        owner: owner.map(|o| EntityCode::new(o).unwrap()),
                    }
                });
            (text(40), proptest::collection::vec(line, 0..8))
                .prop_map(|(site, lines)| Count { site: SiteCode::new(site).unwrap(), lines })
        }

        fn body() -> impl Strategy<Value = Body> {
            let entity =
                || proptest::option::of(text(40).prop_map(|e| EntityCode::new(e).unwrap()));
            let request = (
                text(40),
                text(40),
                proptest::collection::vec((text(40), qty()), 0..5),
                proptest::option::of(time()),
            )
                .prop_map(|(from, to, lines, expected_arrival)| {
                    Body::TransferRequest(TransferRequest {
                        from: SiteCode::new(from).unwrap(),
                        to: SiteCode::new(to).unwrap(),
                        lines: lines
                            .into_iter()
                            .map(|(item, qty)| TransferLine {
                                item: ItemCode::new(item).unwrap(),
                                qty,
                            })
                            .collect(),
                        expected_arrival,
                    })
                });
            prop_oneof![
                (0u8..13, site_lines()).prop_map(|(k, m)| match k {
                    0 => Body::Receipt(m),
                    1 => Body::Putaway(m),
                    2 => Body::Pick(m),
                    3 => Body::Ship(m),
                    4 => Body::TransferShip(m),
                    5 => Body::TransferReceipt(m),
                    6 => Body::CustomerReturn(m),
                    7 => Body::Disposition(m),
                    8 => Body::Adjustment(m),
                    9 => Body::StatusChange(m),
                    10 => Body::Scrap(m),
                    _ => Body::SupplierReturn(m),
                }),
                count().prop_map(Body::CycleCount),
                request,
                Just(Body::TransferApprove),
                Just(Body::TransferClose),
                (0u8..3, id()).prop_map(|(k, event)| match k {
                    0 => Body::Approve { event },
                    1 => Body::Reject { event },
                    _ => Body::Reversal { event },
                }),
                (time(), entity())
                    .prop_map(|(through, entity)| Body::ClosePeriod { through, entity }),
                (proptest::option::of(time()), entity())
                    .prop_map(|(to, entity)| Body::ReopenPeriod { to, entity }),
            ]
        }

        pub(super) fn event() -> impl Strategy<Value = Event> {
            let actor = (
                text(40),
                proptest::sample::subsequence(Role::ALL.to_vec(), 0..=Role::ALL.len()),
                proptest::option::of(proptest::collection::vec(text(40), 0..4)),
            )
                .prop_map(|(id, roles, sites)| Actor {
                    id: ActorId::new(id).unwrap(),
                    roles,
                    sites: match sites {
                        None => SiteScope::All,
                        Some(s) => SiteScope::Sites(
                            s.into_iter().map(|x| SiteCode::new(x).unwrap()).collect(),
                        ),
                    },
                });
            let kind = proptest::sample::select(vec![
                DocKind::PurchaseOrder,
                DocKind::TransferOrder,
                DocKind::SalesOrder,
                DocKind::Count,
                DocKind::ReturnAuthorisation,
                DocKind::Internal,
            ]);
            (id(), time(), time(), actor, text(40), kind, text(40), body()).prop_map(
                |(id, effective_at, recorded_at, actor, reason, kind, number, body)| Event {
                    id,
                    effective_at,
                    recorded_at,
                    actor,
                    reason: ReasonCode::new(reason).unwrap(),
                    reference: DocumentRef { kind, number: DocNumber::new(number).unwrap() },
                    body,
                },
            )
        }
    }

    proptest::proptest! {
        /// The buffered encoder writes exactly the documented bytes, for events small
        /// enough to stay inline and large enough to move to the heap; the journal's
        /// form is the same bytes followed by `recorded_at`.
        #[test]
        fn the_encoder_writes_the_documented_bytes(e in strategy::event()) {
            let want = model::encode(&e);
            let (got, recorded) = (encode(&e), encode_recorded(&e));
            proptest::prop_assert_eq!(got.as_slice(), want.as_slice());
            let mut w = model::W(want);
            w.time(e.recorded_at);
            proptest::prop_assert_eq!(recorded.as_slice(), w.0.as_slice());
        }
    }

    /// Quantities that compare equal encode alike; a negative zero is zero.
    #[test]
    fn equal_decimals_encode_alike() {
        let enc = |d: Decimal| {
            let mut e = Encoder::new();
            e.decimal(d);
            e.as_slice().to_vec()
        };
        assert_eq!(enc(Decimal::new(120, 1)), enc(Decimal::new(12, 0)));
        assert_eq!(enc(Decimal::new(-0, 3)), enc(Decimal::ZERO));
        assert_ne!(enc(Decimal::new(-12, 0)), enc(Decimal::new(12, 0)));
    }
}
