//! [`Queues`]: every role's [`Ranked`] queue at every site. Sites get dense numbers the
//! first time an exception names them, and each exception keeps its site's number, so
//! reaching its queues on an update or a transition is an array index, not a hash of
//! the site's code.

use onhand_master::hash::{Map, map};
use onhand_master::{Role, SiteCode};

use super::ranked::Ranked;
use crate::kind::role_index;

/// How many roles there are: queues per site.
const ROLES: usize = Role::ALL.len();

/// Up to this many sites, a site's number is found by comparing codes.
const FEW: usize = 16;

/// The role queues of every site (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Queues {
    /// Site numbers by site (`None`: network-wide).
    numbers: Map<Option<SiteCode>, u32>,
    /// Per site number: the site and its queue of each role, in [`Role::ALL`] order.
    sites: Vec<(Option<SiteCode>, [Ranked; ROLES])>,
}

impl Default for Queues {
    fn default() -> Self {
        Queues { numbers: map(), sites: Vec::new() }
    }
}

impl Queues {
    /// The number of `site`, given it one if it has none.
    pub(crate) fn number(&mut self, site: Option<&SiteCode>) -> u32 {
        // A few sites: comparing codes costs less than hashing one.
        if self.sites.len() <= FEW {
            if let Some(n) = self.sites.iter().position(|(s, _)| s.as_ref() == site) {
                return u32::try_from(n).unwrap_or(u32::MAX);
            }
        } else if let Some(&n) = self.numbers.get(&site.cloned()) {
            return n;
        }
        let n = u32::try_from(self.sites.len()).unwrap_or(u32::MAX);
        self.numbers.insert(site.cloned(), n);
        self.sites.push((site.cloned(), Default::default()));
        n
    }

    /// The queue of `role` at site number `site` (created with the site).
    pub(crate) fn get_mut(&mut self, role: Role, site: u32) -> Option<&mut Ranked> {
        let s = self.sites.get_mut(usize::try_from(site).ok()?)?;
        s.1.get_mut(role_index(role))
    }

    /// The queue of `role` at `site`, if that site has one.
    pub(crate) fn get(&self, role: Role, site: Option<&SiteCode>) -> Option<&Ranked> {
        let &n = self.numbers.get(&site.cloned())?;
        self.sites.get(usize::try_from(n).ok()?)?.1.get(role_index(role))
    }

    /// Every queue with its role and site, sites in number order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Role, Option<&SiteCode>, &Ranked)> {
        self.sites.iter().flat_map(|(site, queues)| {
            Role::ALL.iter().zip(queues).map(move |(role, q)| (*role, site.as_ref(), q))
        })
    }
}
