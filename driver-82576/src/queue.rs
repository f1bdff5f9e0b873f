//! The 82576's queue registers for the shared ring engines: RDT/TDT written through the generated
//! handles (index validated once), RXDCTL/TXDCTL to stop a queue. The text is `nic_queue`'s
//! (`queue_regs!`), the types this table's.

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;

nic_queue::queue_regs!();
