//! dram's swift binding (being written).
