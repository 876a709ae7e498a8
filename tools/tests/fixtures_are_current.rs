//! The committed test vectors must be exactly what the generator produces today.

#[test]
fn committed_vectors_match_the_generator() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    for (name, bytes) in dram_tools::fixtures::generate().unwrap() {
        let committed = std::fs::read(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == bytes,
            "tests/vectors/{name} is stale; run `cargo run -p dram-tools --bin dram -- fixtures --out tests/vectors`"
        );
    }
}
