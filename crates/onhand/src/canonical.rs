//! The canonical binary form of a value (see [`onhand_master::canonical`]): the bytes the
//! journal chain, the state digest and the snapshot digest hash.

pub(crate) use onhand_master::canonical::encode;
