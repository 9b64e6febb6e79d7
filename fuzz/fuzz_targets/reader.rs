//! The fuzz targets' byte reader: walks the input one byte at a time, reading zeros once
//! it runs out, so every input decodes into something. Each target adds its own ways of
//! reading values on top (a target uses only some of these, hence `dead_code`).
#![allow(dead_code, reason = "each target uses only some of the readers")]

use rust_decimal::Decimal;

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Whether every byte has been read.
    pub(crate) fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next byte (0 past the end).
    pub(crate) fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    /// The next `N` bytes.
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// A figure: mostly small whole numbers, sometimes fractional (up to 28 places),
    /// negative or past what a quantity may be.
    pub(crate) fn figure(&mut self) -> Decimal {
        let kind = self.byte();
        let v = i64::from(self.byte()) | (i64::from(self.byte()) << 8);
        match kind % 8 {
            0 => Decimal::new(v, 2),
            1 => -Decimal::from(v),
            2 => Decimal::from_i128_with_scale(i128::from(v) * 10i128.pow(24), 0),
            3 => Decimal::new(v, u32::from(self.byte() % 29)),
            _ => Decimal::from(v),
        }
    }

    /// Up to `n` further bytes, as many as are left.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let end = self.pos.saturating_add(n).min(self.data.len());
        let out = self.data.get(self.pos..end).unwrap_or_default().to_vec();
        self.pos = self.pos.saturating_add(n);
        out
    }
}
