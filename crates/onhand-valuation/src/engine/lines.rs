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

impl Out<'_> {
    #[allow(clippy::too_many_arguments)] // one line's facts
    pub(super) fn line(
        &mut self,
        entity: u16,
        key: PostingKey,
        amount: Decimal,
        kind: PostingKind,
        item: Option<ItemIx>,
        site: Option<SiteIx>,
        document: Option<&str>,
    ) {
        if amount.is_zero() {
            return;
        }
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
        let item = item.and_then(|i| match &self.names {
            Some((k, code)) if *k == i => Some(code.clone()),
            _ => {
                let code = cat.item(i)?.code.clone();
                self.names = Some((i, code.clone()));
                Some(code)
            }
        });
        let site = site.and_then(|s| match &self.sites {
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
            kind,
            item,
            site,
            document: document.map(str::to_owned),
        });
    }

    /// Debit `dr`, credit `cr`, by `amount` (a negative amount swaps them).
    #[allow(clippy::too_many_arguments)] // one entry's facts
    pub(super) fn pair(
        &mut self,
        entity: u16,
        dr: PostingKey,
        cr: PostingKey,
        amount: Decimal,
        kind: PostingKind,
        item: Option<ItemIx>,
        site: Option<SiteIx>,
        document: Option<&str>,
    ) {
        self.line(entity, dr, amount, kind, item, site, document);
        self.line(entity, cr, -amount, kind, item, site, document);
    }
}

impl Valuation {
    /// Lines of a receipt into inventory against `offset` (which gets `value`).
    pub(super) fn receive_lines(
        out: &mut Out<'_>,
        step: &Step,
        offset: PostingKey,
        value: Decimal,
        s: SiteIx,
        doc: Option<&str>,
    ) {
        let (e, i) = (step.entity, Some(step.item));
        let m = PostingKind::Movement;
        out.line(e, PostingKey::Inventory, step.out.value, m, i, Some(s), doc);
        out.line(e, PostingKey::PriceVariance, value - step.out.value, m, i, Some(s), doc);
        out.line(e, offset, -value, m, i, Some(s), doc);
        for (tag, amount) in &step.out.trueups {
            out.pair(
                e,
                tag_key(*tag),
                PostingKey::Inventory,
                *amount,
                PostingKind::TrueUp,
                i,
                Some(s),
                doc,
            );
        }
        out.pair(
            e,
            PostingKey::Inventory,
            PostingKey::Rounding,
            step.out.residue,
            m,
            i,
            Some(s),
            doc,
        );
    }

    /// Lines of an issue from inventory to `key`.
    pub(super) fn issue_lines(
        out: &mut Out<'_>,
        step: &Step,
        key: PostingKey,
        s: SiteIx,
        doc: Option<&str>,
    ) {
        let (e, i) = (step.entity, Some(step.item));
        let m = PostingKind::Movement;
        out.pair(e, key, PostingKey::Inventory, step.out.value, m, i, Some(s), doc);
        out.pair(
            e,
            PostingKey::Rounding,
            PostingKey::Inventory,
            step.out.residue,
            m,
            i,
            Some(s),
            doc,
        );
    }
}
