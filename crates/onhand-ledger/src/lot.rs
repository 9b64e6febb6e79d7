//! Lots: the ledger's table of lots per item, with expiry and first receipt, created by
//! the events that bring a new lot into the network.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::hash::{Map, map};
use onhand_master::{ItemIx, LotCode};
use serde::{Deserialize, Serialize};

use crate::position::LotIx;

/// What the ledger knows about a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotInfo {
    /// The item.
    pub item: ItemIx,
    /// The lot code.
    pub code: LotCode,
    /// When it expires (`None`: it does not).
    pub expiry: Option<NaiveDate>,
    /// When it first came into the network (effective time), for FIFO.
    pub first_receipt: DateTime<Utc>,
}

/// The lot table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lots {
    lots: Vec<LotInfo>,
    index: Map<(ItemIx, LotCode), LotIx>,
}

impl Default for Lots {
    fn default() -> Self {
        Lots { lots: Vec::new(), index: map() }
    }
}

impl Lots {
    pub(crate) fn find(&self, item: ItemIx, code: &LotCode) -> Option<LotIx> {
        // Codes are stored inline, so the key is built on the stack.
        self.index.get(&(item, code.clone())).copied()
    }

    pub(crate) fn get(&self, ix: LotIx) -> Option<&LotInfo> {
        self.lots.get(ix.index())
    }

    /// The handle the next new lot will get.
    pub(crate) fn next(&self, offset: usize) -> Option<LotIx> {
        u32::try_from(self.lots.len() + offset).ok().map(LotIx)
    }

    pub(crate) fn insert(&mut self, info: LotInfo) -> Option<LotIx> {
        let ix = self.next(0)?;
        self.index.insert((info.item, info.code.clone()), ix);
        self.lots.push(info);
        Some(ix)
    }

    pub(crate) fn all(&self) -> &[LotInfo] {
        &self.lots
    }

    pub(crate) fn len(&self) -> usize {
        self.lots.len()
    }
}
