//! dram's c binding (being written).
