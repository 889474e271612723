//! Writes a valid two-series segment image to the path given: a seed for the
//! `series_segment` fuzz target (`fuzz/README.md`).

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "series_segment.seed".into());
    if let Some(parent) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(parent).expect("cannot create the corpus directory");
    }
    std::fs::write(&path, bifrost_series::fuzzing::sample_segment())
        .expect("cannot write the seed");
    println!("wrote {path}");
}
