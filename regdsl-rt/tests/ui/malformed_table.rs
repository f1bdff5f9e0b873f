regdsl_rt::registers!(inline "
CTRL   0x00000 - RX  Device Control
STATUS 0x00003 - RO  Device Status
CTRL   0x00010 - RW  Again
");

fn main() {}
