//! The posting builder: the lines one event produces, each naming its entity, key,
//! amount, kind, item, site and document, with the item and site codes looked up once
//! per run of lines that name the same.

use onhand_master::{ItemCode, ItemIx, SiteCode, SiteIx};
use rust_decimal::Decimal;

use super::{Step, Valuation, at_scale, tag_key};
use crate::posting::{Posting, PostingKey, PostingKind};

/// Postings being built for one event.
pub(super) struct Out<'a> {
    pub(super) v: &'a Valuation,
    pub(super) event: u64,
    pub(super) lines: Vec<Posting>,
    /// The codes of the item and site the last line named (an event's lines mostly
    /// name the same).
    pub(super) names: Option<(ItemIx, ItemCode)>,
    pub(super) sites: Option<(SiteIx, SiteCode)>,
}

/// Where a run of posting lines belongs: the entity whose books they are in, their kind,
/// and the item, site and document they name. An event's lines mostly share all of
/// these, so the builder takes one context and only the key and amount per line.
#[derive(Debug, Clone, Copy)]
pub(super) struct At<'d> {
    pub(super) entity: u16,
    pub(super) kind: PostingKind,
    pub(super) item: Option<ItemIx>,
    pub(super) site: Option<SiteIx>,
    pub(super) doc: Option<&'d str>,
}

impl At<'_> {
    /// Movement lines of `entity` naming `item` (at `site`, if any), with no document.
    pub(super) fn movement(entity: u16, item: ItemIx, site: Option<SiteIx>) -> Self {
        At { entity, kind: PostingKind::Movement, item: Some(item), site, doc: None }
    }

    /// The same, of `kind`.
    pub(super) fn kind(self, kind: PostingKind) -> Self {
        At { kind, ..self }
    }

    /// The same, naming document `doc`.
    pub(super) fn doc(self, doc: Option<&str>) -> At<'_> {
        At { entity: self.entity, kind: self.kind, item: self.item, site: self.site, doc }
    }
}

impl Out<'_> {
    /// One line: `amount` (debit positive, credit negative) to `key` (nothing for zero).
    pub(super) fn line(&mut self, at: &At<'_>, key: PostingKey, amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        let entity = at.entity;
        let account = self
            .v
            .entities
            .get(usize::from(entity))
            .and_then(|e| Some((e, e.accounts.get(key as usize)?.clone())));
        let Some((e, account)) = account else {
            debug_assert!(
                false,
                "a posting for entity {entity} or key {key} the engine has no account for"
            );
            return;
        };
        let cat = &self.v.catalog;
        let amount = at_scale(amount, e.currency);
        let item = at.item.and_then(|i| match &self.names {
            Some((k, code)) if *k == i => Some(code.clone()),
            _ => {
                let code = cat.item(i)?.code.clone();
                self.names = Some((i, code.clone()));
                Some(code)
            }
        });
        let site = at.site.and_then(|s| match &self.sites {
            Some((k, code)) if *k == s => Some(code.clone()),
            _ => {
                let code = cat.site(s)?.code.clone();
                self.sites = Some((s, code.clone()));
                Some(code)
            }
        });
        self.lines.push(Posting {
            event: self.event,
            entity: e.code.clone(),
            key,
            account,
            amount,
            currency: e.currency,
            kind: at.kind,
            item,
            site,
            document: at.doc.map(str::to_owned),
        });
    }

    /// Debit `dr`, credit `cr`, by `amount` (a negative amount swaps them).
    pub(super) fn pair(&mut self, at: &At<'_>, dr: PostingKey, cr: PostingKey, amount: Decimal) {
        self.line(at, dr, amount);
        self.line(at, cr, -amount);
    }
}

impl Valuation {
    /// Lines of a receipt into inventory at `site` against `offset` (which gets `value`).
    pub(super) fn receive_lines(
        out: &mut Out<'_>,
        step: &Step,
        offset: PostingKey,
        value: Decimal,
        site: SiteIx,
        doc: Option<&str>,
    ) {
        let at = At::movement(step.entity, step.item, Some(site)).doc(doc);
        let kept = step.out.value;
        out.line(&at, PostingKey::Inventory, kept);
        out.line(&at, PostingKey::PriceVariance, value - kept);
        out.line(&at, offset, -value);
        let true_up = at.kind(PostingKind::TrueUp);
        for (tag, amount) in &step.out.trueups {
            out.pair(&true_up, tag_key(*tag), PostingKey::Inventory, *amount);
        }
        out.pair(&at, PostingKey::Inventory, PostingKey::Rounding, step.out.residue);
    }

    /// Lines of an issue from inventory at `site` to `key`.
    pub(super) fn issue_lines(
        out: &mut Out<'_>,
        step: &Step,
        key: PostingKey,
        site: SiteIx,
        doc: Option<&str>,
    ) {
        let at = At::movement(step.entity, step.item, Some(site)).doc(doc);
        out.pair(&at, key, PostingKey::Inventory, step.out.value);
        out.pair(&at, PostingKey::Rounding, PostingKey::Inventory, step.out.residue);
    }
}
