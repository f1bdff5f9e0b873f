// Three errors, each a compile_error! at file:line:col. (A row that does not parse defines no
// register: were the bad mode on the first `CTRL` row, the second would be the only `CTRL`.)
regdsl_rt::registers!(inline "
CTRL   0x00000 - RW  Device Control
STATUS 0x00003 - RO  Device Status
EICR   0x00800 - RX  Interrupt Cause
CTRL   0x00010 - RW  Again
");

fn main() {}
