//! The glue between the ring engines and a driver's generated registers, the same text for
//! every Intel table that names its queue registers as the datasheets do (RDT, TDT, RXDCTL,
//! TXDCTL with ENABLE). A macro, since each table generates its own types.

/// Defines, in the invoking module, the per-queue register types the ring engines need:
/// `RdtIndex`/`TdtIndex` (a queue number validated once for the tail registers, whose
/// offsets the queue registers then resolve once),
/// `tail_indices(q)`, `RxRegs<B>`/`TxRegs<B>` implementing [`crate::QueueRegs`] (tail write
/// through the generated `write_publish`, stop through RXDCTL/TXDCTL.ENABLE),
/// `disable_rx_queue`/`disable_tx_queue`, the ring address and length writes
/// `set_rx_ring`/`set_tx_ring`, and the second half of a queue start,
/// `wait_rx_enabled_then_tail`/`wait_tx_enabled` (each driver writes RXDCTL/TXDCTL its own way
/// first).
///
/// Expects in scope: the generated `Regs`, `RDT`, `TDT`, `RXDCTL`, `TXDCTL` (e.g.
/// `use crate::regs::*;`; also RDBAL, RDBAH, RDLEN, TDBAL, TDBAH, TDLEN, TDH), `regdsl_rt::Bus`, and the driver's `Error` with the variants
/// `Register(String)` and `QueueEnableTimeout { dir, queue, what, timeout }`, and `Result`.
#[macro_export]
macro_rules! queue_regs {
    () => {
        /// A receive queue number validated once against RDT's index set, so that the
        /// per-refill tail write has no range check left in it.
        pub type RdtIndex = regdsl_rt::Index<<RDT::Reg as regdsl_rt::ArraySpec>::Indices>;
        /// As [`RdtIndex`], for TDT.
        pub type TdtIndex = regdsl_rt::Index<<TDT::Reg as regdsl_rt::ArraySpec>::Indices>;

        /// Validates queue number `q` for the tail registers.
        pub fn tail_indices(q: u32) -> Result<(RdtIndex, TdtIndex)> {
            match (RdtIndex::new(q), TdtIndex::new(q)) {
                (Some(r), Some(t)) => Ok((r, t)),
                _ => Err(Error::Register(format!(
                    "queue {q} has no RDT/TDT register"
                ))),
            }
        }

        /// Bound for the queue-disable waits at shutdown.
        const STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(100);

        /// RXDCTL.ENABLE = 0 and wait until it reads 0 (82599 4.6.7.1, 82576 4.5.9). `false`
        /// when it stays set.
        pub fn disable_rx_queue<B: Bus>(regs: &Regs<B>, q: u32) -> bool {
            regs.RXDCTL().at(q).clr(RXDCTL::ENABLE);
            regs.RXDCTL()
                .at(q)
                .wait_clear(RXDCTL::ENABLE, STOP_TIMEOUT)
                .is_ok()
        }

        /// TXDCTL.ENABLE = 0 and wait until it reads 0.
        pub fn disable_tx_queue<B: Bus>(regs: &Regs<B>, q: u32) -> bool {
            regs.TXDCTL().at(q).clr(TXDCTL::ENABLE);
            regs.TXDCTL()
                .at(q)
                .wait_clear(TXDCTL::ENABLE, STOP_TIMEOUT)
                .is_ok()
        }

        /// A receive ring's device address (RDBAL/RDBAH) and length in bytes (RDLEN.LEN). The
        /// head and tail are each driver's (RDH is read-only on the 82599).
        pub fn set_rx_ring<B: Bus>(
            regs: &Regs<B>,
            q: u32,
            ring_phys: u64,
            ring_len: usize,
        ) -> Result<()> {
            // Past u32, u32::MAX: it does not fit the field either.
            let len = RDLEN::LEN
                .try_val(u32::try_from(ring_len).unwrap_or(u32::MAX))
                .map_err(|e| Error::Register(e.to_string()))?;
            regs.RDBAL().at(q).write(ring_phys as u32);
            regs.RDBAH().at(q).write((ring_phys >> 32) as u32);
            regs.RDLEN().at(q).write(len);
            Ok(())
        }

        /// A transmit ring's device address (TDBAL/TDBAH), length in bytes (TDLEN.LEN), and
        /// head and tail 0 (TDH/TDT).
        pub fn set_tx_ring<B: Bus>(
            regs: &Regs<B>,
            q: u32,
            ring_phys: u64,
            ring_len: usize,
        ) -> Result<()> {
            // Past u32, u32::MAX: it does not fit the field either.
            let len = TDLEN::LEN
                .try_val(u32::try_from(ring_len).unwrap_or(u32::MAX))
                .map_err(|e| Error::Register(e.to_string()))?;
            regs.TDBAL().at(q).write(ring_phys as u32);
            regs.TDBAH().at(q).write((ring_phys >> 32) as u32);
            regs.TDLEN().at(q).write(len);
            regs.TDH().at(q).write(0u32);
            regs.TDT().at(q).write(0u32);
            Ok(())
        }

        fn enable_timeout(dir: &'static str, queue: u32, timeout: std::time::Duration) -> Error {
            Error::QueueEnableTimeout {
                dir,
                queue,
                what: "enable",
                timeout,
            }
        }

        /// After RXDCTL.ENABLE was written: bounded wait for it to read back set, then the
        /// card gets the filled descriptors (release fence, RDT = `tail`; 82599 4.6.7.1,
        /// 82576 4.5.9).
        pub fn wait_rx_enabled_then_tail<B: Bus>(
            regs: &Regs<B>,
            q: u32,
            tail: u32,
            timeout: std::time::Duration,
        ) -> Result<()> {
            regs.RXDCTL()
                .at(q)
                .wait_set(RXDCTL::ENABLE, timeout)
                .map_err(|_| enable_timeout("RX", q, timeout))?;
            regdsl_rt::fence::publish();
            regs.RDT().at(q).write(tail);
            Ok(())
        }

        /// After TXDCTL.ENABLE was written: bounded wait for it to read back set (82599
        /// 4.6.8.1; the 82576 alike).
        pub fn wait_tx_enabled<B: Bus>(
            regs: &Regs<B>,
            q: u32,
            timeout: std::time::Duration,
        ) -> Result<()> {
            regs.TXDCTL()
                .at(q)
                .wait_set(TXDCTL::ENABLE, timeout)
                .map_err(|_| enable_timeout("TX", q, timeout))?;
            Ok(())
        }

        /// A receive queue's registers: RDT (its offset resolved once) and RXDCTL to stop it.
        pub struct RxRegs<B: Bus> {
            regs: Regs<B>,
            rdt: regdsl_rt::Element<RDT::Reg>,
        }

        impl<B: Bus> RxRegs<B> {
            pub(crate) fn new(regs: Regs<B>, rdt: RdtIndex) -> Self {
                RxRegs {
                    regs,
                    rdt: regdsl_rt::Element::new(rdt),
                }
            }
        }

        impl<B: Bus> $crate::QueueRegs for RxRegs<B> {
            #[inline(always)]
            fn id(&self) -> u32 {
                self.rdt.index()
            }
            /// The release fence, then RDT.
            #[inline(always)]
            fn write_tail(&self, tail: u32) {
                self.rdt.on(self.regs.bus()).write_publish(tail);
            }
            fn stop(&self) -> bool {
                disable_rx_queue(&self.regs, self.rdt.index())
            }
        }

        /// A transmit queue's registers: TDT (its offset resolved once) and TXDCTL to stop it.
        pub struct TxRegs<B: Bus> {
            regs: Regs<B>,
            tdt: regdsl_rt::Element<TDT::Reg>,
        }

        impl<B: Bus> TxRegs<B> {
            pub(crate) fn new(regs: Regs<B>, tdt: TdtIndex) -> Self {
                TxRegs {
                    regs,
                    tdt: regdsl_rt::Element::new(tdt),
                }
            }
        }

        impl<B: Bus> $crate::QueueRegs for TxRegs<B> {
            #[inline(always)]
            fn id(&self) -> u32 {
                self.tdt.index()
            }
            /// The release fence, then TDT.
            #[inline(always)]
            fn write_tail(&self, tail: u32) {
                self.tdt.on(self.regs.bus()).write_publish(tail);
            }
            fn stop(&self) -> bool {
                disable_tx_queue(&self.regs, self.tdt.index())
            }
        }
    };
}
