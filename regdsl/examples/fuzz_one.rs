//! Times each stage of `regdsl::fuzzing::exercise` on the given files and prints its result
//! (to see why an input the fuzz driver wrote is slow or failing):
//! `cargo run --release -p regdsl --example fuzz_one -- target/fuzz-slowest.txt`.
fn main() {
    for p in std::env::args().skip(1) {
        let b = std::fs::read(&p).expect("readable file");
        let Ok(src) = std::str::from_utf8(&b) else {
            println!("{p}: not UTF-8");
            continue;
        };
        let t = std::time::Instant::now();
        let out = regdsl::compile("f", src);
        let compile = t.elapsed();
        let _ = regdsl::diag::render(&out.diagnostics, src, false);
        let render = t.elapsed() - compile;
        let _ = regdsl::fmt::format("f", src);
        let fmt = t.elapsed() - compile - render;
        print!("{p}: compile {compile:?}, render {render:?}, fmt {fmt:?}");
        if let Some(tb) = &out.table {
            let t = std::time::Instant::now();
            let _ = regdsl::dump::to_json(tb).to_string();
            let json = t.elapsed();
            let _ = regdsl::doc::to_markdown(tb);
            let doc = t.elapsed() - json;
            let _ = regdsl::codegen::expand(tb).to_string();
            let codegen = t.elapsed() - json - doc;
            print!(", dump {json:?}, doc {doc:?}, codegen {codegen:?}");
        }
        let t = std::time::Instant::now();
        let res = regdsl::fuzzing::exercise(&b);
        println!("; exercise {:?}: {res:?}", t.elapsed());
    }
}
