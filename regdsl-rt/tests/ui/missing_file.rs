regdsl_rt::registers!("no/such/table.txt");

fn main() {}
