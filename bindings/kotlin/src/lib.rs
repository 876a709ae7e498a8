//! dram's kotlin binding (being written).
