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
use smallvec::SmallVec;

use crate::event::{
    Actor, Body, Count, CountLine, DocKind, DocumentRef, Event, EventId, Line, SiteLines,
    SiteScope, TransferRequest,
};

/// The encoding's name and version, first in every encoding.
pub(crate) const HEADER: [u8; 5] = *b"OHEV\x01";

/// An encoding being written. Most events fit the inline buffer.
pub(crate) struct Encoder(SmallVec<[u8; 256]>);

impl Encoder {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    /// A length or count: past `u32::MAX` (no code is longer than 64 bytes) a string
    /// could not be told from another; counts are `u64`.
    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        // Codes are at most 64 bytes: the length always fits.
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(s.as_bytes());
    }

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

    fn time(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp());
        self.u32(t.timestamp_subsec_nanos());
    }

    fn date(&mut self, d: NaiveDate) {
        self.i32(d.num_days_from_ce());
    }

    fn id(&mut self, id: EventId) {
        self.0.extend_from_slice(id.0.as_bytes());
    }

    fn opt<T>(&mut self, v: Option<T>, mut f: impl FnMut(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }

    fn seq<'a, T: 'a>(&mut self, items: &'a [T], mut f: impl FnMut(&mut Self, &'a T)) {
        self.len(items.len());
        for x in items {
            f(self, x);
        }
    }

    fn status(&mut self, s: StockStatus) {
        self.str(s.as_str());
    }

    fn qty(&mut self, q: Qty) {
        self.decimal(q.value());
        self.str(q.uom().as_str());
    }

    fn money(&mut self, m: Money) {
        self.decimal(m.amount());
        self.str(m.currency().as_str());
    }

    fn actor(&mut self, a: &Actor) {
        self.str(a.id.as_str());
        self.seq(&a.roles, |e, r| e.str(r.as_str()));
        match &a.sites {
            SiteScope::All => self.u8(0),
            SiteScope::Sites(sites) => {
                self.u8(1);
                self.seq(sites, |e, s| e.str(s.as_str()));
            }
        }
    }

    fn reference(&mut self, r: &DocumentRef) {
        self.u8(match r.kind {
            DocKind::PurchaseOrder => 0,
            DocKind::TransferOrder => 1,
            DocKind::SalesOrder => 2,
            DocKind::Count => 3,
            DocKind::ReturnAuthorisation => 4,
            DocKind::Internal => 5,
        });
        self.str(r.number.as_str());
    }

    fn line(&mut self, l: &Line) {
        self.str(l.item.as_str());
        self.qty(l.qty);
        self.opt(l.bin.as_ref(), |e, b| e.str(b.as_str()));
        self.opt(l.to_bin.as_ref(), |e, b| e.str(b.as_str()));
        self.opt(l.lot.as_ref(), |e, x| e.str(x.as_str()));
        self.seq(&l.serials, |e, s| e.str(s.as_str()));
        self.opt(l.from, Self::status);
        self.opt(l.to, Self::status);
        self.opt(l.owner.as_ref(), |e, o| e.str(o.as_str()));
        self.opt(l.expiry, Self::date);
        self.opt(l.unit_cost, Self::money);
        self.opt(l.doc_line, Self::u32);
        self.opt(l.original, Self::id);
    }

    fn movement(&mut self, tag: u8, m: &SiteLines) {
        self.u8(tag);
        self.str(m.site.as_str());
        self.seq(&m.lines, Self::line);
    }

    fn count_line(&mut self, l: &CountLine) {
        self.str(l.item.as_str());
        self.opt(l.bin.as_ref(), |e, b| e.str(b.as_str()));
        self.opt(l.lot.as_ref(), |e, x| e.str(x.as_str()));
        self.opt(l.status, Self::status);
        self.qty(l.counted);
        self.seq(&l.serials, |e, s| e.str(s.as_str()));
        self.opt(l.owner.as_ref(), |e, o| e.str(o.as_str()));
    }

    fn count(&mut self, c: &Count) {
        self.u8(9);
        self.str(c.site.as_str());
        self.seq(&c.lines, Self::count_line);
    }

    fn transfer_request(&mut self, r: &TransferRequest) {
        self.u8(12);
        self.str(r.from.as_str());
        self.str(r.to.as_str());
        self.seq(&r.lines, |e, l| {
            e.str(l.item.as_str());
            e.qty(l.qty);
        });
        self.opt(r.expected_arrival, Self::time);
    }

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
                self.opt(entity.as_ref(), |e, x| e.str(x.as_str()));
            }
            Body::ReopenPeriod { to, entity } => {
                self.u8(18);
                self.opt(*to, Self::time);
                self.opt(entity.as_ref(), |e, x| e.str(x.as_str()));
            }
            Body::Reversal { event } => {
                self.u8(19);
                self.id(*event);
            }
            Body::SupplierReturn(m) => self.movement(20, m),
        }
    }
}

/// The canonical encoding of `event` (see the module documentation).
pub(crate) fn encode(event: &Event) -> SmallVec<[u8; 256]> {
    let mut e = Encoder(SmallVec::new());
    e.0.extend_from_slice(&HEADER);
    e.id(event.id);
    e.time(event.effective_at);
    e.actor(&event.actor);
    e.str(event.reason.as_str());
    e.reference(&event.reference);
    e.body(&event.body);
    e.0
}

/// What a journal entry's digest covers of `event` (format 2, see
/// [`JOURNAL_FORMAT`](crate::JOURNAL_FORMAT)): its canonical encoding, then
/// `recorded_at` (a time), which the canonical encoding leaves out and a journal entry
/// must not.
pub(crate) fn encode_recorded(event: &Event) -> SmallVec<[u8; 256]> {
    let mut e = Encoder(encode(event));
    e.time(event.recorded_at);
    e.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

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

    /// Quantities that compare equal encode alike; a negative zero is zero.
    #[test]
    fn equal_decimals_encode_alike() {
        let enc = |d: Decimal| {
            let mut e = Encoder(SmallVec::new());
            e.decimal(d);
            e.0
        };
        assert_eq!(enc(Decimal::new(120, 1)), enc(Decimal::new(12, 0)));
        assert_eq!(enc(Decimal::new(-0, 3)), enc(Decimal::ZERO));
        assert_ne!(enc(Decimal::new(-12, 0)), enc(Decimal::new(12, 0)));
    }
}
